import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// Settings and accounts. Staff may read the settings; only owners change them or manage users.
extension Dashboard {
    func requireOwner(_ session: DashboardContext) throws {
        guard session.session.user.role == .owner else {
            throw HTTPError(.forbidden, message: session.t("dash.users.owner_only"))
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
        let t = session.t
        let dayNames = [
            t("dash.settings.weekday.mon"), t("dash.settings.weekday.tue"), t("dash.settings.weekday.wed"),
            t("dash.settings.weekday.thu"), t("dash.settings.weekday.fri"), t("dash.settings.weekday.sat"),
            t("dash.settings.weekday.sun"),
        ]
        let weekdays = dayNames.enumerated().map { index, name -> [String: Any] in
            ["value": index + 1, "name": name, "checked": rules.weekdays.contains(index + 1)]
        }
        let texts = try await store.providerStatus(since: settings.clock.now().addingTimeInterval(-86_400))
        let webhooks = try await webhookRows(t)
        let providerRows = texts.counts.map { row -> [String: Any] in
            [
                "channel": row.channel == .sms ? t("dash.settings.channel.sms") : t("dash.settings.channel.email"),
                "provider": row.provider, "status": Dashboard.messageStatus(row.status, t), "count": row.count,
            ]
        }
        var lastFailure = ""
        if let last = texts.lastFailure {
            lastFailure = t("dash.settings.last_failure", last.provider, Dashboard.localTime(last.at, zone), last.error)
        }
        return views.page(
            "settings",
            [
                "providers": providerRows, "no_texts": providerRows.isEmpty, "queued": texts.queued,
                "email_status": settings.emailConfigured
                    ? t("dash.settings.email_ready") : t("dash.settings.email_missing"),
                "webhooks": webhooks, "no_webhooks": webhooks.isEmpty, "last_failure": lastFailure,
                "section": "settings", "owner": session.session.user.role == .owner, "errors": errors,
                "has_errors": !errors.isEmpty, "notice": notice ?? "",
                "name": business.name, "phone": business.phone ?? "", "email": business.email ?? "",
                "address": business.address ?? "", "payment_url": business.paymentURL ?? "",
                "legal": business.legal ?? "", "logo_src": business.logoHash.map(PublicURLs.logoPath(version:)) ?? "",
                "beneficiary": business.bankBeneficiary ?? "", "iban": business.bankIBAN ?? "",
                "bic": business.bankBIC ?? "", "fr": business.defaultLocale == "fr",
                "en": business.defaultLocale == "en",
                "time_zone": business.timeZone, "link_days": business.linkLifetimeDays,
                "start_hour": rules.windowStartHour, "end_hour": rules.windowEndHour, "weekdays": weekdays,
                "holidays": rules.holidays.sorted().map(\.iso).joined(separator: "\n"),
                "cap_hours": Int(rules.smsMinimumInterval / 3600), "pause_on_reply": pause,
                "max_instalments": plans.limits.maximumInstalments, "max_span": plans.limits.maximumSpanDays,
                "min_instalment": Format.typedAmount(
                    Money(minorUnits: plans.limits.minimumInstalment, currency: euro), session.language),
                "auto_accept": plans.autoAccept, "break_after": plans.breakAfterDays,
            ], session: session, status: status)
    }

    /// How the settings page names each field of the business profile in its messages.
    static func settingsLabel(_ field: BusinessProfile.Field, _ t: Words) -> String {
        switch field {
        case .name: t("dash.settings.label.name")
        case .phone: t("dash.settings.label.phone")
        case .email: t("dash.settings.label.email")
        case .address: t("dash.settings.label.address")
        case .legal: t("dash.settings.label.legal")
        case .payment_url: t("dash.settings.label.payment_url")
        case .bank_beneficiary: t("dash.settings.label.beneficiary")
        case .bank_iban: "IBAN"
        case .bank_bic: "BIC"
        case .default_locale: t("dash.settings.label.language")
        case .time_zone: t("dash.settings.label.time_zone")
        case .link_lifetime_days: t("dash.settings.label.link_lifetime")
        }
    }

    /// A problem `BusinessProfile` found, in the person's language. RelanceCore words its problems in
    /// English (the API shows them as they are); each one it can give is matched here, and one this
    /// list does not know yet is shown in English.
    static func settingsProblem(_ field: BusinessProfile.Field, _ message: String, _ t: Words) -> String {
        if let limit = BusinessProfile.limits[field], message == "at most \(limit) characters" {
            return t("dash.settings.problem.too_long", String(limit))
        }
        let days = BusinessProfile.linkLifetimes
        if field == .link_lifetime_days, message == "from \(days.lowerBound) to \(days.upperBound) days" {
            return t("dash.settings.problem.link_lifetime", String(days.lowerBound), String(days.upperBound))
        }
        switch (field, message) {
        case (_, "no control characters"): return t("dash.settings.problem.control_characters")
        case (.name, "required"): return t("dash.settings.problem.required")
        case (.phone, "an international number such as +33 1 23 45 67 89"): return t("dash.settings.problem.phone")
        case (.email, "not an email address"): return t("dash.settings.problem.email")
        case (.payment_url, "an https:// web address"): return t("dash.settings.problem.payment_url")
        case (.bank_iban, "the check digits do not match"): return t("dash.settings.problem.iban")
        case (.bank_bic, "8 or 11 letters and digits"): return t("dash.settings.problem.bic")
        case (.default_locale, "fr or en"): return t("dash.settings.problem.language")
        case (.time_zone, "a name such as Europe/Paris"): return t("dash.settings.problem.time_zone")
        default: return message
        }
    }

    /// The sending rules' and plan settings' problems in the person's language, one line each.
    static func settingsProblems(
        _ sending: [SendingRules.Problem], _ plans: [PlanSettings.Problem], _ t: Words
    ) -> [String] {
        var lines: [String] = []
        func add(_ line: String) { lines.append(line) }
        for problem in sending {
            switch problem {
            case .windowStart, .windowEnd, .windowOrder:
                // The form asks for the hours together: one line for the window, however it is wrong.
                let hours = t.phrase(
                    "dash.settings.problem.sending_hours", bounds: SendingRules.Bounds.windowStartHour,
                    SendingRules.Bounds.windowEndHour)
                if !lines.contains(hours) { add(hours) }
            case .weekdays: add(t("dash.settings.problem.sending_days"))
            case .holiday(let typed): add(t("dash.settings.problem.holiday", String(typed.prefix(20))))
            case .holidayCount: add(t("dash.settings.problem.holiday_count", String(SendingRules.Bounds.holidays)))
            case .frequencyCap:
                add(t.phrase("dash.settings.problem.frequency_cap", bounds: SendingRules.Bounds.smsIntervalHours))
            }
        }
        typealias Bounds = PlanSettings.Bounds
        let mostPayments = t.phrase("dash.settings.problem.most_payments", bounds: Bounds.instalments)
        let longestSpan = t.phrase("dash.settings.problem.longest_span", bounds: Bounds.spanDays)
        let brokenAfter = t.phrase("dash.settings.problem.broken_after", bounds: Bounds.breakAfterDays)
        for problem in plans {
            switch problem {
            case .maximumInstalments: add(mostPayments)
            case .maximumSpanDays: add(longestSpan)
            case .minimumInstalment: add(t("dash.settings.problem.smallest_payment"))
            case .breakAfterDays, .breakBeforeStoredReminders: add(brokenAfter)
            // Fields this form does not send (the API's); each is named by its nearest line here.
            case .autoAcceptMaximumInstalments: add(mostPayments)
            case .autoAcceptMaximumSpanDays: add(longestSpan)
            case .reminderOffsets, .remindersAfterBreak: add(brokenAfter)
            case .replyTimeLanguage, .replyTimeTooLong, .replyTimeControlCharacters:
                // Only the API sends reply times; one line however many languages are wrong.
                let line = t("dash.settings.problem.reply_time", String(Bounds.replyTime))
                if !lines.contains(line) { add(line) }
            }
        }
        return lines
    }

    /// `POST /dashboard/settings` — the whole form; nothing is saved unless every field is right.
    @Sendable func saveSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
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
        let holidays = (fields["holidays"] ?? "").split(whereSeparator: { $0.isNewline || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let sending = SendingRules.Draft(
            windowStartHour: Int(fields["start_hour"] ?? ""), windowEndHour: Int(fields["end_hour"] ?? ""),
            // Boxes outside Monday…Sunday cannot be ticked; a forged one is dropped, not argued with.
            weekdays: fields.all("weekday").compactMap { Int($0) }.filter(SendingRules.Bounds.weekday.contains),
            holidays: holidays, smsIntervalHours: Int(fields["cap_hours"] ?? ""))
        let plans = PlanSettings.Draft(
            maximumInstalments: Int(fields["max_instalments"] ?? ""), maximumSpanDays: Int(fields["max_span"] ?? ""),
            minimumInstalment: TypedAmount.parse(fields["min_instalment"] ?? "", currency: euro),
            autoAccept: fields["auto_accept"] == "on", breakAfterDays: Int(fields["break_after"] ?? ""))
        let now = settings.clock.now()
        do {
            _ = try await SettingsService(storage: store, clock: settings.clock).saveAll(
                profile: draft, sending: sending, pauseOnReply: fields["pause_on_reply"] == "on", plans: plans,
                audit: session.audit("settings.saved", at: now))
        } catch let problems as SettingsService.Problems {
            let errors =
                problems.profile.map {
                    session.t(
                        "dash.settings.problem_line", Dashboard.settingsLabel($0.field, session.t),
                        Dashboard.settingsProblem($0.field, $0.message, session.t))
                } + Dashboard.settingsProblems(problems.sending, problems.plans, session.t)
            var business = try await store.business()
            business.profile.show(draft)
            return try await settingsView(
                session: session, business: business, errors: errors, notice: nil, status: .unprocessableContent)
        }
        return redirect("/dashboard/settings", notice: session.t("dash.settings.saved"))
    }

    /// `POST /dashboard/settings/test-sms` — `phone`; owners only. Goes through the outbox like any text.
    @Sendable func testSMS(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
        guard let phone = PhoneNumber(typed: fields["phone"] ?? "") else {
            return redirect("/dashboard/settings", notice: session.t("dash.settings.test_sms_phone"))
        }
        let now = settings.clock.now()
        let business = try await store.business()
        let id = try await store.queueTestMessage(
            phone: phone, body: session.t("dash.settings.test_sms_body", business.name), now: now,
            audit: session.audit("sms.test_queued", at: now))
        return redirect("/dashboard/settings", notice: session.t("dash.settings.test_sms_queued", String(id)))
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
                        "id": user.id, "email": user.email,
                        "role": user.role == .owner
                            ? session.t("dash.users.role.owner") : session.t("dash.users.role.staff"),
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
            return redirect("/dashboard/users", notice: session.t("dash.users.added", user.email))
        } catch let error as AccountError {
            return redirect(
                "/dashboard/users", notice: session.t("dash.users.not_added", Dashboard.describe(error, session.t)))
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
            return redirect(
                "/dashboard/users", notice: session.t("dash.users.not_removed", Dashboard.describe(error, session.t)))
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        return redirect("/dashboard/users", notice: session.t("dash.users.removed"))
    }

    /// Why an account was not added or removed, in the person's language.
    static func describe(_ error: AccountError, _ t: Words) -> String {
        switch error {
        case .duplicateEmail: t("dash.users.error.duplicate_email")
        case .invalidEmail: t("dash.users.error.invalid_email")
        case .weakPassword: t("dash.users.error.weak_password")
        case .lastOwner: t("dash.users.error.last_owner")
        case .busy: t("dash.users.error.busy")
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
    func webhookRows(_ t: Words) async throws -> [[String: Any]] {
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
                        t(
                            "dash.webhooks.last_attempt", Dashboard.localTime(attempt.at, zone),
                            attempt.statusCode.map { "HTTP \($0)" } ?? String((attempt.error ?? "").prefix(80)))
                    }
                    return [
                        "id": delivery.id, "type": delivery.type, "event_id": "evt_\(delivery.eventID)",
                        "status": Dashboard.deliveryStatus(delivery.status, t), "bad": delivery.status == .failed,
                        "attempts": delivery.attempts, "last": outcome ?? t("dash.webhooks.waiting"),
                        "replayable": delivery.status != .delivering,
                    ]
                },
            ])
        }
        return rows
    }

    /// A webhook delivery's status (`webhook_delivery.status`) as the settings page shows it.
    static func deliveryStatus(_ status: WebhookDeliveryStatus, _ t: Words) -> String {
        switch status {
        case .pending: t("dash.webhooks.status.pending")
        case .delivering: t("dash.webhooks.status.delivering")
        case .delivered: t("dash.webhooks.status.delivered")
        case .failed: t("dash.webhooks.status.failed")
        }
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
            return redirect("/dashboard/settings", notice: session.t("dash.webhooks.in_flight", String(id)))
        }
        return redirect("/dashboard/settings", notice: session.t("dash.webhooks.replayed", String(id)))
    }
}
