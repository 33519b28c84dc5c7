import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// The invoice list (filters, sort, keyset pages, CSV) and one invoice's page: its money, its plan,
/// its whole history, and what the business can do about it.
extension Dashboard {
    static let pageSize = 50

    /// The list's filter from the query string; values it does not know are ignored, not errors.
    func filter(_ request: Request) -> InvoiceFilter {
        // Parsed as a form: a browser sends the search's spaces as "+", which the URI's own
        // query parameters keep as plus signs.
        let query = FormFields(request.uri.query ?? "")
        var filter = InvoiceFilter()
        if let raw = query["status"], let status = InvoiceFilter.Status(rawValue: String(raw)) {
            filter.status = status
        }
        if let raw = query["aging"], let bucket = Int(String(raw)), (0...4).contains(bucket) {
            filter.agingBucket = bucket
        }
        if let raw = query["customer"], let id = Int64(raw), id > 0 { filter.customerID = id }
        if let raw = query["q"] {
            let search = raw.trimmingCharacters(in: .whitespaces)
            if !search.isEmpty { filter.search = String(search.prefix(100)) }
        }
        if let raw = query["sort"], let sort = InvoiceFilter.Sort(rawValue: raw) { filter.sort = sort }
        return filter
    }

    func queryString(_ filter: InvoiceFilter, after: String? = nil) -> String {
        var items: [(String, String)] = [("status", filter.status.rawValue), ("sort", filter.sort.rawValue)]
        if let bucket = filter.agingBucket { items.append(("aging", String(bucket))) }
        if let customer = filter.customerID { items.append(("customer", String(customer))) }
        if let search = filter.search { items.append(("q", search)) }
        if let after { items.append(("after", after)) }
        return items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
    }

    /// `GET /dashboard/invoices?status=&aging=&customer=&q=&sort=&after=`
    @Sendable func invoices(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let today = try await today()
        let filter = filter(request)
        let after = request.uri.queryParameters["after"].map(String.init)
        let page = try await store.invoicePage(filter, today: today, cursor: after, limit: Dashboard.pageSize)
        let rows: [[String: Any]] = page.items.map { item in
            var row = listRow(item, today: today)
            row["customer_link"] = "/dashboard/invoices?status=all&customer=\(item.customerID)"
            return row
        }
        func options(_ pairs: [(String, String)], _ selected: String) -> [[String: Any]] {
            pairs.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == selected] }
        }
        return views.page(
            "invoices",
            [
                "section": "invoices", "rows": rows, "empty": rows.isEmpty, "q": filter.search ?? "",
                "customer": filter.customerID.map(String.init) ?? "",
                "status_options": options(
                    [("open", "Open"), ("overdue", "Overdue"), ("paid", "Paid"), ("void", "Void"), ("all", "All")],
                    filter.status.rawValue),
                "aging_options": options(
                    [
                        ("", "Any age"), ("0", "Not due"), ("1", "1–30 days late"), ("2", "31–60 days late"),
                        ("3", "61–90 days late"), ("4", "Over 90 days late"),
                    ],
                    filter.agingBucket.map(String.init) ?? ""),
                "sort_options": options(
                    [
                        ("due", "Oldest due first"), ("-due", "Newest due first"), ("-amount", "Largest first"),
                        ("number", "Number"),
                    ],
                    filter.sort.rawValue),
                "next_link": page.next.map { "/dashboard/invoices?" + queryString(filter, after: $0) } ?? "",
                "first_link": after == nil ? "" : "/dashboard/invoices?" + queryString(filter),
                "csv_link": "/dashboard/invoices.csv?" + queryString(filter),
            ], session: session)
    }

    func listRow(_ item: InvoiceListItem, today: CalendarDate) -> [String: Any] {
        let (label, tone) = stateLabel(item.status, dueOn: item.dueOn, today: today)
        return [
            "id": item.id, "number": item.number, "customer": item.customerName,
            "amount": Format.amount(item.amount, .en), "balance": Format.amount(item.balance, .en),
            "due": item.dueOn.iso, "state": label, "tone": tone, "paused": item.remindersPaused,
            "plan": item.hasActivePlan, "link": "/dashboard/invoices/\(item.id)",
        ]
    }

    /// "12 d late", "due in 3 d", "paid"…, and the tone the page colours it with.
    func stateLabel(_ status: InvoiceStatus, dueOn: CalendarDate, today: CalendarDate) -> (String, String) {
        switch DueState(status: status, dueOn: dueOn, today: today) {
        case .paid: ("paid", "paid")
        case .void: ("void", "muted")
        case .dueToday: ("due today", "soon")
        case .dueIn(let days): ("due in \(days) d", days <= 3 ? "soon" : "")
        case .overdue(let days): ("\(days) d late", "late")
        }
    }

    /// `GET /dashboard/invoices.csv` — the filtered list, every page, as CSV.
    @Sendable func invoicesCSV(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let today = try await today()
        let items = try await store.invoiceExport(filter(request), today: today)
        var csv = "number,customer,phone,currency,amount,paid,balance,issued_on,due_on,status,days_late\r\n"
        for item in items {
            let late = max(0, today.daysSinceEpoch - item.dueOn.daysSinceEpoch)
            // Text cells are neutralised; numbers and dates are written by Relance and left as they are.
            let text = [item.number, item.customerName, item.customerPhone ?? ""].map(CSVField.escape)
            let numbers = [
                item.amount.currency.code, Format.typedAmount(item.amount, .en),
                Format.typedAmount(Money(minorUnits: item.paid, currency: item.amount.currency), .en),
                Format.typedAmount(item.balance, .en), item.issuedOn.iso, item.dueOn.iso, item.status.rawValue,
                item.status == .open ? String(late) : "",
            ]
            csv += (text + numbers).joined(separator: ",") + "\r\n"
        }
        try await store.audit(
            session.audit("invoices.exported", detail: "\(items.count) rows", at: settings.clock.now()))
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"invoices-\(today.iso).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    // MARK: - One invoice

    func invoiceID(_ context: AppRequestContext) throws -> Int64 {
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else { throw HTTPError(.notFound) }
        return id
    }

    /// `GET /dashboard/invoices/{id}`
    @Sendable func invoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let id = try invoiceID(context)
        let invoice: InvoiceSummary
        do {
            invoice = try await store.invoice(id: id)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
        let zone = try await businessZone()
        let today = CalendarDate(instant: settings.clock.now(), timeZone: zone)
        let currency = invoice.amount.currency
        let now = settings.clock.now()
        var values: [String: Any] = [
            "section": "invoices", "id": id, "number": invoice.number, "customer": invoice.customerName,
            "customer_link": "/dashboard/invoices?status=all&customer=\(invoice.customerID)",
            "amount": Format.amount(invoice.amount, .en),
            "paid": Format.amount(Money(minorUnits: invoice.paid, currency: currency), .en),
            "balance": Format.amount(invoice.balance, .en), "issued": invoice.issuedOn.iso, "due": invoice.dueOn.iso,
            "currency": currency.code, "open": invoice.status == .open, "status": invoice.status.rawValue,
            "today": today.iso, "notice": request.uri.queryParameters["notice"].map(String.init) ?? "",
            "paused": invoice.remindersPausedAt != nil, "paused_reason": invoice.remindersPausedReason ?? "",
            "next_reminder": invoice.nextActionAt.map { Dashboard.localTime($0, zone) } ?? "—",
            "clicks": invoice.personClicks, "time_zone": zone.identifier,
        ]
        let (state, tone) = stateLabel(invoice.status, dueOn: invoice.dueOn, today: today)
        values["state"] = state
        values["tone"] = tone
        let payments = try await store.payments(invoiceID: id)
        values["has_payments"] = !payments.isEmpty
        values["payments"] = payments.map { payment -> [String: Any] in
            [
                "amount": Format.amount(Money(minorUnits: payment.amount, currency: currency), .en),
                "method": payment.method, "reference": payment.reference ?? "",
                "received": Dashboard.localTime(payment.receivedAt, zone),
            ]
        }
        if let plan = try await store.plan(invoiceID: id) {
            values["plan"] =
                [
                    "status": plan.status,
                    "rows": plan.instalments.enumerated().map { index, instalment -> [String: Any] in
                        [
                            "position": index + 1, "due": instalment.dueOn.iso,
                            "amount": Format.amount(Money(minorUnits: instalment.amount, currency: currency), .en),
                            "paid": Format.amount(Money(minorUnits: plan.paid[index], currency: currency), .en),
                            "next": index == plan.nextIndex && plan.status == "active",
                        ]
                    },
                    "end_reason": plan.endReason ?? "",
                ] as [String: Any]
        }
        values["history"] = try await store.history(invoiceID: id).reversed().map { item -> [String: Any] in
            [
                "at": Dashboard.localTime(item.at, zone), "sentence": Dashboard.sentence(item), "kind": item.kind,
                "detail": item.detail ?? "",
                "tone": item.kind.hasPrefix("payment") || item.kind == "plan.completed"
                    ? "good" : item.kind.hasSuffix("failed") || item.kind == "plan.broken" ? "bad" : "",
            ]
        }
        if invoice.status == .open {
            do {
                let preview = try await store.previewReminder(
                    invoiceID: id, now: now, links: linkSettings, emailEnabled: settings.emailConfigured)
                values["preview"] =
                    [
                        "stage": preview.stage, "body": preview.body,
                        "encoding": preview.encoding == .gsm7 ? "GSM-7" : "UCS-2",
                        "segments": preview.segments, "characters": preview.body.count, "recipient": preview.recipient,
                        "email": preview.email.map { "\($0.recipient): \($0.subject)" } ?? "",
                        "by_email": preview.channel == .email, "subject": preview.subject ?? "",
                    ] as [String: Any]
            } catch let refusal as Store.RemindRefusal {
                values["preview_refused"] = Dashboard.describe(refusal)
            }
        }
        let open = try await store.requests(status: .pending, beforeID: nil, limit: 200).filter { $0.invoiceID == id }
        values["pending_requests"] = open.map {
            ["id": $0.id, "kind": $0.kind == .plan ? "plan proposal" : "question"]
        }
        values["methods"] = API.paymentMethods.sorted().map { ["value": $0, "selected": $0 == "transfer"] }
        return views.page("invoice", values, session: session)
    }

    var linkSettings: LinkSettings { LinkSettings(baseURL: settings.baseURL, keyring: settings.keyring) }

    static func describe(_ refusal: Store.RemindRefusal) -> String {
        switch refusal {
        case .settled: "paid or void: nothing to remind"
        case .noPhone: "the customer has no phone number"
        case .optedOut: "the customer opted out of text messages (STOP)"
        case .nothingLeft: "every reminder stage has been sent"
        case .onPlan: "the invoice is on a payment plan: its instalments are reminded on their own"
        case .noEmail:
            "this stage goes by email only, and the customer has no usable address, unsubscribed, or email is not set up"
        }
    }

    /// The business's time zone: every time the dashboard shows is in it.
    func businessZone() async throws -> TimeZone {
        timeZones.zone(try await store.business().timeZone) ?? .gmt
    }

    // MARK: - Actions

    /// `POST /dashboard/invoices/{id}/payments` — `amount` (as typed), `method`, `reference`, `received_on`.
    @Sendable func recordPayment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let back = "/dashboard/invoices/\(id)"
        let invoice = try await store.invoice(id: id)
        let now = settings.clock.now()
        guard let amount = TypedAmount.parse(fields["amount"] ?? "", currency: invoice.amount.currency), amount > 0
        else {
            return redirect(
                back, notice: "Payment not recorded: the amount is not a number of \(invoice.amount.currency.code).")
        }
        let method = fields["method"] ?? "transfer"
        guard API.paymentMethods.contains(method) else {
            return redirect(back, notice: "Payment not recorded: unknown method.")
        }
        let reference = (fields["reference"] ?? "").trimmingCharacters(in: .whitespaces)
        guard reference.unicodeScalars.count <= 200 else {
            return redirect(back, notice: "Payment not recorded: the reference is too long.")
        }
        guard !PlainText.hasControlCharacters(reference) else {
            return redirect(back, notice: "Payment not recorded: the reference holds a control character.")
        }
        var received = now
        if let raw = fields["received_on"], !raw.isEmpty {
            guard let day = CalendarDate(iso: raw), day <= (try await today()) else {
                return redirect(back, notice: "Payment not recorded: the date is not a past date (YYYY-MM-DD).")
            }
            received = day.startInstant(in: try await businessZone())
        }
        let money = Format.amount(Money(minorUnits: amount, currency: invoice.amount.currency), .en)
        do {
            _ = try await store.recordPayment(
                invoiceID: id,
                NewPayment(
                    amount: amount, method: method, reference: reference.isEmpty ? nil : reference, receivedAt: received
                ),
                now: now,
                audit: session.audit("payment.recorded", invoiceID: id, detail: "\(money) by \(method)", at: now))
        } catch let error as StoreError {
            return redirect(back, notice: "Payment not recorded: " + Problem(error).detail)
        }
        return redirect(back, notice: "Payment of \(money) recorded.")
    }

    /// `POST /dashboard/invoices/{id}/pause` — optional `reason`.
    @Sendable func pause(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let reason = String((fields["reason"] ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
        guard !PlainText.hasControlCharacters(reason) else {
            return redirect("/dashboard/invoices/\(id)", notice: "Not paused: the reason holds a control character.")
        }
        let now = settings.clock.now()
        do {
            _ = try await store.pauseReminders(
                invoiceID: id, reason: reason.isEmpty ? "paused by \(session.session.user.email)" : reason, now: now,
                audit: session.audit("reminders.paused", invoiceID: id, detail: reason, at: now))
        } catch StoreError.invoiceClosed {
            return redirect("/dashboard/invoices/\(id)", notice: "Nothing to pause: the invoice is paid or void.")
        }
        return redirect("/dashboard/invoices/\(id)", notice: "Reminders paused.")
    }

    /// `POST /dashboard/invoices/{id}/resume`
    @Sendable func resume(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let now = settings.clock.now()
        _ = try await store.resumeReminders(
            invoiceID: id, now: now, audit: session.audit("reminders.resumed", invoiceID: id, at: now))
        return redirect("/dashboard/invoices/\(id)", notice: "Reminders resumed.")
    }

    /// `POST /dashboard/invoices/{id}/remind` — queues the reminder the page previewed.
    @Sendable func remindNow(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let now = settings.clock.now()
        do {
            let queued = try await store.remindNow(
                invoiceID: id, now: now, links: linkSettings, emailEnabled: settings.emailConfigured,
                audit: session.audit("reminder.sent_now", invoiceID: id, at: now))
            let also = queued.email.map { " and by email to \($0.recipient)" } ?? ""
            return redirect(
                "/dashboard/invoices/\(id)", notice: "Reminder '\(queued.stage)' queued to \(queued.recipient)\(also).")
        } catch let refusal as Store.RemindRefusal {
            return redirect(
                "/dashboard/invoices/\(id)", notice: "No reminder sent: " + Dashboard.describe(refusal) + ".")
        }
    }

    /// `POST /dashboard/invoices/{id}/links` — a new signed link, shown once on the page.
    @Sendable func newLink(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let now = settings.clock.now()
        let link = try await store.createLink(
            invoiceID: id, expiresAt: nil, purpose: .api, keyring: settings.keyring, now: now,
            audit: session.audit("link.created", invoiceID: id, at: now))
        return redirect("/dashboard/invoices/\(id)", notice: "New link: " + settings.linkURL(token: link.token))
    }

    /// `POST /dashboard/invoices/{id}/revoke-links` — every link to the invoice stops working.
    @Sendable func revokeLinks(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let now = settings.clock.now()
        let count = try await store.revokeLinks(
            invoiceID: id, now: now, audit: session.audit("links.revoked", invoiceID: id, at: now))
        return redirect("/dashboard/invoices/\(id)", notice: "\(count) link(s) revoked.")
    }

    /// `POST /dashboard/invoices/{id}/void`
    @Sendable func void(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await form(request, context)
        let session = try await session(context)
        let id = try invoiceID(context)
        let now = settings.clock.now()
        _ = try await store.voidInvoice(
            id: id, now: now, audit: session.audit("invoice.voided", invoiceID: id, at: now))
        return redirect("/dashboard/invoices/\(id)", notice: "Invoice voided: it asks for nothing more.")
    }
}

/// CSV cells for spreadsheets: quoted when needed, and never read as a formula.
enum CSVField {
    static func escape(_ value: String) -> String {
        var text = value
        // A cell starting with = + - @ (or a tab or return) is a formula to Excel and LibreOffice.
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        // Bytes, not Characters: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
        if text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) || text != value {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
