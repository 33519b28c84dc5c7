import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// Customers: a list with search, and a page each with contact details to correct (audited), whether texts
/// and emails may go to them, their invoices, messages and replies.
extension Dashboard {
    static let customersPerPage = 50

    /// How the customer page names each field of `CustomerRules` in its messages.
    static func customerLabel(_ field: String, _ t: Words) -> String {
        switch field {
        case "name": t("dash.customer.field.name")
        case "phone": t("dash.customer.field.phone")
        case "email": t("dash.customer.field.email")
        case "locale": t("dash.customer.field.locale")
        case "time_zone": t("dash.customer.field.time_zone")
        default: field
        }
    }

    /// A message's status (`message.status`) as the dashboard shows it.
    static func messageStatus(_ status: MessageStatus, _ t: Words) -> String {
        switch status {
        case .queued: t("dash.message.status.queued")
        case .sending: t("dash.message.status.sending")
        case .sent: t("dash.message.status.sent")
        case .delivered: t("dash.message.status.delivered")
        case .failed: t("dash.message.status.failed")
        case .unknown: t("dash.message.status.unknown")
        case .cancelled: t("dash.message.status.cancelled")
        }
    }

    /// `GET /dashboard/customers?q=…&after=ID`
    @Sendable func customers(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let query = request.uri.queryParameters
        let search = Dashboard.searchText(request) ?? ""
        var after: (name: String, id: Int64)?
        if let raw = query["after"].flatMap({ Int64(String($0)) }), raw > 0 {
            do {
                let last = try await store.customer(id: raw)
                after = (last.name, last.id)
            } catch StoreError.notFound {
                after = nil
            }
        }
        let rows = try await store.customers(
            search: search.isEmpty ? nil : search, after: after, limit: Dashboard.customersPerPage + 1)
        let page = rows.prefix(Dashboard.customersPerPage)
        var next = ""
        if rows.count > Dashboard.customersPerPage, let last = page.last {
            next =
                "/dashboard/customers?after=\(last.id)"
                + (search.isEmpty
                    ? "" : "&q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return views.page(
            "customers",
            [
                "section": "customers", "q": search, "empty": page.isEmpty, "next": next,
                "rows": page.map { customer -> [String: Any] in
                    [
                        "link": "/dashboard/customers/\(customer.id)", "name": customer.name,
                        "phone": customer.phone ?? "", "email": customer.email ?? "", "open": customer.openInvoices,
                        "sms_stopped": customer.smsOptedOutAt != nil, "email_stopped": customer.emailOptedOutAt != nil,
                    ]
                },
            ], session: session)
    }

    func customerID(_ context: AppRequestContext) throws -> Int64 {
        guard let raw = context.parameters.get("id"), raw.utf8.count <= 18, let id = Int64(raw), id > 0 else {
            throw HTTPError(.notFound)
        }
        return id
    }

    /// `GET /dashboard/customers/{id}`
    @Sendable func customerPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let id = try customerID(context)
        return try await customerView(
            session: session, id: id, values: nil, problems: [],
            notice: request.uri.queryParameters["notice"].map(String.init), status: .ok)
    }

    /// The customer a page or a form is about; one the store does not have is a page not found.
    func storedCustomer(_ id: Int64) async throws -> CustomerRecord {
        do {
            return try await store.customer(id: id)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
    }

    func customerView(
        session: DashboardContext, id: Int64, values: [String: String]?, problems: [FieldProblems.Problem],
        notice: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let customer = try await storedCustomer(id)
        let zone = try await businessZone()
        let shown =
            values ?? [
                "name": customer.name, "phone": customer.phone ?? "", "email": customer.email ?? "",
                "locale": customer.locale ?? "", "time_zone": customer.timeZone ?? "",
            ]
        let shownValues: [String: Any] = shown
        // Not set, French, English, and whatever else the billing system sent (`en-GB`), kept as it is.
        let locale = shown["locale"] ?? ""
        let t = session.t
        var locales: [(String, String)] = [
            ("", t("dash.customer.locale.none")), ("fr", t("dash.customer.locale.fr")),
            ("en", t("dash.customer.locale.en")),
        ]
        if !locales.contains(where: { $0.0 == locale }) { locales.append((locale, locale)) }
        var byField: [String: String] = [:]
        for problem in problems where byField[problem.field] == nil {
            byField[problem.field] = session.t.problem(problem)
        }
        let reference = customer.externalRef ?? ""
        let messages = try await store.messages(customerID: id, limit: 50)
        let replies = try await store.replies(customerID: id, limit: 50)
        return views.page(
            "customer",
            [
                "section": "customers", "id": id, "name": customer.name,
                "ref_text": reference.isEmpty ? "" : t("dash.customer.ref", reference),
                "values": shownValues, "problems": byField, "has_errors": !problems.isEmpty,
                "locales": locales.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == locale] as [String: Any] },
                "errors": problems.map {
                    [
                        "input": $0.field,
                        "text": t(
                            "dash.customer.error_item", Dashboard.customerLabel($0.field, t), session.t.problem($0)),
                    ]
                },
                "notice": notice ?? "", "open_text": t("dash.customer.open_count", String(customer.openInvoices)),
                "sms_stopped": customer.smsOptedOutAt.map {
                    t("dash.customer.sms_stopped_since", Dashboard.localTime($0, zone))
                } ?? "",
                "email_stopped": customer.emailOptedOutAt.map {
                    t("dash.customer.email_stopped_since", Dashboard.localTime($0, zone))
                } ?? "",
                "times_note": t("dash.customer.times_note", zone.identifier), "no_messages": messages.isEmpty,
                "no_replies": replies.isEmpty,
                "messages": messages.map { message -> [String: Any] in
                    [
                        "at": Dashboard.localTime(message.sentAt ?? message.createdAt, zone),
                        "what": [
                            message.stage ?? message.kind.rawValue,
                            message.channel == .sms
                                ? t("dash.customer.channel.sms") : t("dash.customer.channel.email"),
                        ].joined(separator: " · "),
                        "status": Dashboard.messageStatus(message.status, t),
                    ]
                },
                "replies": replies.map { ["at": Dashboard.localTime($0.receivedAt, zone), "body": $0.body] },
            ], session: session, status: status)
    }

    /// `POST /dashboard/customers/{id}` — `name`, `phone`, `email`, `locale`, `time_zone`.
    @Sendable func saveCustomer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let id = try customerID(context)
        var values: [String: String] = [:]
        for name in ["name", "phone", "email", "locale", "time_zone"] { values[name] = fields[name] ?? "" }
        var draft = CustomerDraft()
        draft.name = fields["name"]
        draft.phone = fields["phone"].map(PhoneNumber.compact)
        draft.email = fields["email"]
        draft.locale = fields["locale"]
        draft.timeZone = fields["time_zone"]
        let checked: CustomerInput
        do throws(FieldProblems) {
            checked = try CustomerRules.check(draft)
        } catch {
            return try await customerView(
                session: session, id: id, values: values, problems: error.list, notice: nil,
                status: .unprocessableContent)
        }
        let now = settings.clock.now()
        let before = try await storedCustomer(id)
        // What changed, old and new, so a number moved to another phone can be traced.
        let changes = [
            ("name", before.name, checked.name), ("phone", before.phone, checked.phone?.e164),
            ("email", before.email, checked.email), ("language", before.locale, checked.locale),
            ("time zone", before.timeZone, checked.timeZone),
        ].filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1 ?? "none") → \($0.2 ?? "none")" }
        guard !changes.isEmpty else {
            return redirect("/dashboard/customers/\(id)", notice: session.t("dash.customer.nothing_to_change"))
        }
        do {
            try await store.updateCustomer(
                id: id,
                CustomerEdit(
                    name: checked.name, phone: checked.phone, email: checked.email, locale: checked.locale,
                    timeZone: checked.timeZone),
                audit: session.audit(
                    "customer.updated", detail: "customer \(id): " + changes.joined(separator: ", "), at: now))
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        return redirect("/dashboard/customers/\(id)", notice: session.t("dash.customer.saved"))
    }

    /// `POST /dashboard/customers/{id}/opt-in` — `channel` (sms or email) and `source`: where the customer
    /// said they want messages again.
    @Sendable func optIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let id = try customerID(context)
        guard let channel = Store.OptInChannel(rawValue: fields["channel"] ?? "") else {
            return redirect("/dashboard/customers/\(id)", notice: session.t("dash.customer.opt_in.no_channel"))
        }
        let source = (fields["source"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (3...200).contains(source.unicodeScalars.count), !PlainText.hasControlCharacters(source) else {
            return redirect("/dashboard/customers/\(id)", notice: session.t("dash.customer.opt_in.no_source"))
        }
        let now = settings.clock.now()
        do {
            try await store.optIn(
                customerID: id, channel: channel, source: source,
                audit: session.audit("customer.opt_in", detail: "customer \(id)", at: now))
        } catch StoreError.notFound {
            return redirect("/dashboard/customers/\(id)", notice: session.t("dash.customer.opt_in.not_out"))
        }
        return redirect(
            "/dashboard/customers/\(id)",
            notice: channel == .sms
                ? session.t("dash.customer.opt_in.sms_done") : session.t("dash.customer.opt_in.email_done"))
    }
}
