import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// Settings and accounts. Staff may read the settings; only owners change them or manage users.
extension Dashboard {
    func requireOwner(_ session: DashboardContext) throws {
        guard session.session.user.role == .owner else {
            throw HTTPError(.forbidden, message: "Only an owner can do this.")
        }
    }

    // MARK: - Settings

    /// Plan limits are stored in minor units; the form shows them with two decimals, as for euros.
    var euro: Currency { Currency(code: "EUR") ?? Currency(code: "USD").unsafelyUnwrapped }

    /// `GET /dashboard/settings`
    @Sendable func settingsPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        return try await settingsView(
            session: session, business: try await store.business(), errors: [],
            notice: request.uri.queryParameters["notice"].map(String.init), status: .ok)
    }

    func settingsView(
        session: DashboardContext, business: Business, errors: [String], notice: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let rules = try await store.sendingRules()
        let pause = try await store.pausesOnReply()
        let plans = try await store.planSettings()
        let zone = try await businessZone()
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].enumerated().map {
            index, name -> [String: Any] in
            ["value": index + 1, "name": name, "checked": rules.weekdays.contains(index + 1)]
        }
        let texts = try await store.providerStatus(since: settings.clock.now().addingTimeInterval(-86_400))
        let webhooks = try await webhookRows()
        let providerRows = texts.counts.map { row -> [String: Any] in
            [
                "channel": row.channel == "sms" ? "text" : "email", "provider": row.provider, "status": row.status,
                "count": row.count,
            ]
        }
        var failure: [String: Any] = [:]
        if let last = texts.lastFailure {
            failure = ["provider": last.provider, "error": last.error, "at": Dashboard.localTime(last.at, zone)]
        }
        return views.page(
            "settings",
            [
                "providers": providerRows, "no_texts": providerRows.isEmpty, "queued": texts.queued,
                "email_status": settings.emailConfigured
                    ? "Email reminders are set up."
                    : "Email is not set up (RELANCE_SMTP_URL): email stages are skipped.",
                "webhooks": webhooks, "no_webhooks": webhooks.isEmpty,
                "has_failure": !failure.isEmpty, "failure": failure,
                "section": "settings", "owner": session.session.user.role == .owner, "errors": errors,
                "has_errors": !errors.isEmpty, "notice": notice ?? "",
                "name": business.name, "phone": business.phone ?? "", "email": business.email ?? "",
                "address": business.address ?? "", "payment_url": business.paymentURL ?? "",
                "legal": business.legal ?? "", "logo_src": business.logoHash.map { "/logo?v=" + $0 } ?? "",
                "beneficiary": business.bankBeneficiary ?? "", "iban": business.bankIBAN ?? "",
                "bic": business.bankBIC ?? "", "fr": business.defaultLocale == "fr",
                "en": business.defaultLocale == "en",
                "time_zone": business.timeZone, "link_days": business.linkLifetimeDays,
                "start_hour": rules.windowStartHour, "end_hour": rules.windowEndHour, "weekdays": weekdays,
                "holidays": rules.holidays.sorted().map(\.iso).joined(separator: "\n"),
                "cap_hours": Int(rules.smsMinimumInterval / 3600), "pause_on_reply": pause,
                "max_instalments": plans.limits.maximumInstalments, "max_span": plans.limits.maximumSpanDays,
                "min_instalment": Format.typedAmount(
                    Money(minorUnits: plans.limits.minimumInstalment, currency: euro), .en),
                "auto_accept": plans.autoAccept, "break_after": plans.breakAfterDays,
            ], session: session, status: status)
    }

    /// `POST /dashboard/settings` — the whole form; nothing is saved unless every field is right.
    /// How the settings page names each field of the business profile in its messages.
    static let settingsLabels: [BusinessProfile.Field: String] = [
        .name: "name", .phone: "phone", .email: "email", .address: "address", .legal: "legal",
        .payment_url: "payment URL", .bank_beneficiary: "beneficiary", .bank_iban: "IBAN", .bank_bic: "BIC",
        .default_locale: "language", .time_zone: "time zone", .link_lifetime_days: "link lifetime",
    ]

    @Sendable func saveSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
        var errors: [String] = []
        var business = try await store.business()
        var draft = BusinessProfile.Draft()
        draft.name = fields["name"]
        draft.phone = fields["phone"]
        draft.email = fields["email"]
        draft.address = fields["address"]
        draft.legal = fields["legal"]
        draft.paymentURL = fields["payment_url"]
        draft.bankBeneficiary = fields["beneficiary"]
        draft.bankIBAN = fields["iban"]
        draft.bankBIC = fields["bic"]
        draft.defaultLocale = fields["default_locale"] ?? "fr"
        draft.timeZone = fields["time_zone"]
        draft.linkLifetimeDays = Int(fields["link_days"] ?? "")
        do throws(BusinessProfile.Problems) {
            business.apply(try BusinessProfile(checking: draft))
        } catch {
            errors += error.list.map { "\(Dashboard.settingsLabels[$0.field] ?? $0.field.rawValue): \($0.message)" }
            business.show(draft)
        }

        var rules = try await store.sendingRules()
        let start = Int(fields["start_hour"] ?? "")
        let end = Int(fields["end_hour"] ?? "")
        if let start, let end, (0...23).contains(start), (1...24).contains(end), start < end {
            rules.windowStartHour = start
            rules.windowEndHour = end
        } else {
            errors.append("sending hours: a start from 0 to 23 before an end from 1 to 24")
        }
        let days = Set(fields.all("weekday").compactMap { Int($0) }.filter { (1...7).contains($0) })
        if days.isEmpty { errors.append("sending days: at least one") } else { rules.weekdays = days }
        var holidays: Set<CalendarDate> = []
        for line in (fields["holidays"] ?? "").split(whereSeparator: { $0.isNewline || $0 == "," }) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            if let day = CalendarDate(iso: trimmed) {
                holidays.insert(day)
            } else {
                errors.append("holidays: '\(String(trimmed.prefix(20)))' is not a date YYYY-MM-DD")
            }
        }
        rules.holidays = holidays
        if let cap = Int(fields["cap_hours"] ?? ""), (0...2160).contains(cap) {
            rules.smsMinimumInterval = TimeInterval(cap) * 3600
        } else {
            errors.append("frequency cap: from 0 to 2160 hours")
        }

        var plans = try await store.planSettings()
        if let count = Int(fields["max_instalments"] ?? ""), (2...60).contains(count) {
            plans.limits.maximumInstalments = count
        } else {
            errors.append("plans, most payments: from 2 to 60")
        }
        if let span = Int(fields["max_span"] ?? ""), (7...1095).contains(span) {
            plans.limits.maximumSpanDays = span
        } else {
            errors.append("plans, longest span: from 7 to 1095 days")
        }
        if let minimum = TypedAmount.parse(fields["min_instalment"] ?? "", currency: euro) {
            plans.limits.minimumInstalment = minimum
        } else {
            errors.append("plans, smallest payment: an amount such as 10.00")
        }
        plans.autoAccept = fields["auto_accept"] == "on"
        if let days = Int(fields["break_after"] ?? ""), (1...90).contains(days),
            plans.reminderOffsets.allSatisfy({ $0 < days })
        {
            plans.breakAfterDays = days
        } else {
            errors.append("plans, broken after: from 1 to 90 days, after the last instalment reminder")
        }

        guard errors.isEmpty else {
            return try await settingsView(
                session: session, business: business, errors: errors, notice: nil, status: .unprocessableContent)
        }
        let now = settings.clock.now()
        try await store.saveSettings(
            business: business, rules: rules, pauseOnReply: fields["pause_on_reply"] == "on", plans: plans, now: now,
            audit: session.audit("settings.saved", at: now))
        return redirect("/dashboard/settings", notice: "Settings saved.")
    }

    /// `POST /dashboard/settings/test-sms` — `phone`; owners only. Goes through the outbox like any text.
    @Sendable func testSMS(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
        let raw = PhoneNumber.compact(fields["phone"] ?? "")
        guard let phone = PhoneNumber(raw) else {
            return redirect(
                "/dashboard/settings", notice: "No test sent: give an international number such as +33 6 12 34 56 78.")
        }
        let now = settings.clock.now()
        let business = try await store.business()
        let id = try await store.queueTestMessage(
            phone: phone, body: "\(business.name): test message from Relance. No reply needed.", now: now,
            audit: session.audit("sms.test_queued", at: now))
        return redirect(
            "/dashboard/settings", notice: "Test text queued (message \(id)); its status shows here once sent.")
    }

    // MARK: - Users

    /// `GET /dashboard/users` — owners only.
    @Sendable func usersPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        try requireOwner(session)
        let users = try await store.users()
        return views.page(
            "users",
            [
                "section": "users", "notice": request.uri.queryParameters["notice"].map(String.init) ?? "",
                "users": users.map { user -> [String: Any] in
                    [
                        "id": user.id, "email": user.email, "role": user.role.rawValue,
                        "me": user.id == session.session.user.id,
                    ]
                },
            ], session: session)
    }

    /// `POST /dashboard/users` — `email`, `password`, `role`; owners only.
    @Sendable func addUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
        let role = UserRole(rawValue: fields["role"] ?? "") ?? .staff
        let now = settings.clock.now()
        do {
            let user = try await store.addUser(
                email: fields["email"] ?? "", password: fields["password"] ?? "", role: role, now: now,
                by: .user(session.session.user.id))
            return redirect("/dashboard/users", notice: "\(user.email) can now sign in.")
        } catch let error as AccountError {
            return redirect("/dashboard/users", notice: "Not added: " + Dashboard.describe(error))
        }
    }

    /// `POST /dashboard/users/{id}/disable` — owners only; the last owner stays.
    @Sendable func disableUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
        guard let raw = context.parameters.get("id"), let id = Int64(raw) else { throw HTTPError(.notFound) }
        let now = settings.clock.now()
        do {
            try await store.disableUser(
                id: id, now: now, audit: session.audit("user.disabled", detail: "user \(id)", at: now))
        } catch let error as AccountError {
            return redirect("/dashboard/users", notice: "Not removed: " + Dashboard.describe(error))
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        return redirect("/dashboard/users", notice: "Access removed.")
    }

    static func describe(_ error: AccountError) -> String {
        switch error {
        case .duplicateEmail: "an account with this email exists."
        case .invalidEmail: "the email does not look right."
        case .weakPassword: "the password needs at least 10 characters."
        case .lastOwner: "at least one owner must remain."
        case .busy: "the server is busy checking passwords; try again in a moment."
        }
    }

    // MARK: - Replies

    /// `POST /dashboard/replies/{id}/read`
    @Sendable func markReplyRead(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        guard let raw = context.parameters.get("id"), let id = Int64(raw) else { throw HTTPError(.notFound) }
        let session = try await session(context)
        let now = settings.clock.now()
        try await store.markReplyRead(
            id: id, now: now, audit: session.audit("reply.read", detail: "reply \(id)", at: now))
        return redirect("/dashboard/requests#replies")
    }
}

extension Dashboard {
    /// Each webhook endpoint with its 10 latest deliveries, for the settings page.
    func webhookRows() async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        let zone = try await businessZone()
        for endpoint in try await store.webhookEndpoints() {
            let deliveries = try await store.deliveries(endpointID: endpoint.id, status: nil, before: nil, limit: 10)
            rows.append([
                "url": endpoint.url, "events": endpoint.events.joined(separator: ", "),
                "created": Dashboard.localTime(endpoint.createdAt, zone), "no_deliveries": deliveries.isEmpty,
                "deliveries": deliveries.map { delivery -> [String: Any] in
                    let last = delivery.attemptLog.last
                    let outcome = last.map { attempt in
                        Dashboard.localTime(attempt.at, zone) + ": "
                            + (attempt.statusCode.map { "HTTP \($0)" } ?? String((attempt.error ?? "").prefix(80)))
                    }
                    return [
                        "id": delivery.id, "type": delivery.type, "event_id": "evt_\(delivery.eventID)",
                        "status": delivery.status, "bad": delivery.status == "failed", "attempts": delivery.attempts,
                        "last": outcome ?? "waiting", "replayable": delivery.status != "delivering",
                    ]
                },
            ])
        }
        return rows
    }

    /// `POST /dashboard/webhook-deliveries/{id}/replay` — sends a delivery again now.
    @Sendable func replayWebhook(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else { throw HTTPError(.notFound) }
        let now = settings.clock.now()
        do {
            _ = try await store.replayDelivery(
                id: id, now: now, audit: session.audit("webhook.replayed", detail: "delivery \(id)", at: now))
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        } catch WebhookReplayError.inFlight {
            return redirect("/dashboard/settings", notice: "Delivery \(id) is being sent right now.")
        }
        return redirect("/dashboard/settings", notice: "Delivery \(id) will be sent again within a few seconds.")
    }
}
