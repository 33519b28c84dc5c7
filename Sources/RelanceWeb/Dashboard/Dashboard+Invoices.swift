import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
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
        filter.search = Dashboard.searchText(request)
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
        let t = session.t
        let rows: [[String: Any]] = page.items.map { item in
            var row = listRow(item, today: today, t: t)
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
                    [
                        ("open", t("dash.invoices.status.open")), ("overdue", t("dash.invoices.status.overdue")),
                        ("paid", t("dash.invoices.status.paid")), ("void", t("dash.invoices.status.void")),
                        ("all", t("dash.invoices.status.all")),
                    ],
                    filter.status.rawValue),
                "aging_options": options(
                    [
                        ("", t("dash.invoices.aging.any")), ("0", t("dash.invoices.aging.not_due")),
                        ("1", t("dash.invoices.aging.1_30")), ("2", t("dash.invoices.aging.31_60")),
                        ("3", t("dash.invoices.aging.61_90")), ("4", t("dash.invoices.aging.over_90")),
                    ],
                    filter.agingBucket.map(String.init) ?? ""),
                "sort_options": options(
                    [
                        ("due", t("dash.invoices.sort.due")), ("-due", t("dash.invoices.sort.due_desc")),
                        ("-amount", t("dash.invoices.sort.amount")), ("number", t("dash.invoices.sort.number")),
                    ],
                    filter.sort.rawValue),
                "next_link": page.next.map { "/dashboard/invoices?" + queryString(filter, after: $0) } ?? "",
                "first_link": after == nil ? "" : "/dashboard/invoices?" + queryString(filter),
                "csv_link": "/dashboard/invoices.csv?" + queryString(filter),
            ], session: session)
    }

    func listRow(_ item: InvoiceListItem, today: CalendarDate, t: Words) -> [String: Any] {
        let (label, tone) = stateLabel(item.status, dueOn: item.dueOn, today: today, t: t)
        return [
            "id": item.id, "number": item.number, "customer": item.customerName,
            "amount": t.amount(item.amount), "balance": t.amount(item.balance), "due": t.date(item.dueOn),
            "state": label, "tone": tone, "paused": item.remindersPaused, "plan": item.hasActivePlan,
            "link": "/dashboard/invoices/\(item.id)",
        ]
    }

    /// "12 d late", "due in 3 d", "paid"…, and the tone the page colours it with.
    func stateLabel(_ status: InvoiceStatus, dueOn: CalendarDate, today: CalendarDate, t: Words) -> (String, String) {
        switch DueState(status: status, dueOn: dueOn, today: today) {
        case .paid: (t("dash.invoice.state.paid"), "paid")
        case .void: (t("dash.invoice.state.void"), "muted")
        case .dueToday: (t("dash.invoice.state.due_today"), "soon")
        case .dueIn(let days): (t("dash.invoice.state.due_in", String(days)), days <= 3 ? "soon" : "")
        case .overdue(let days): (t("dash.invoice.state.late", String(days)), "late")
        }
    }

    /// `GET /dashboard/invoices.csv` — the filtered list, every page, as CSV.
    @Sendable func invoicesCSV(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let today = try await today()
        let items = try await store.invoiceExport(filter(request), today: today)
        let t = session.t
        // In the person's language: a French spreadsheet reads "1234,56" as a number, and then expects
        // cells separated by ";" (the comma being the decimal mark). Dates stay YYYY-MM-DD, which every
        // spreadsheet reads as a date.
        let separator = t.language == .fr ? ";" : ","
        func cell(_ value: String) -> String { CSVField.escape(value, separator: separator) }
        let header = [
            t("dash.invoices.csv.number"), t("dash.invoices.csv.customer"), t("dash.invoices.csv.phone"),
            t("dash.invoices.csv.currency"), t("dash.invoices.csv.amount"), t("dash.invoices.csv.paid"),
            t("dash.invoices.csv.balance"), t("dash.invoices.csv.issued_on"), t("dash.invoices.csv.due_on"),
            t("dash.invoices.csv.status"), t("dash.invoices.csv.days_late"),
        ]
        var csv = header.map(cell).joined(separator: separator) + "\r\n"
        for item in items {
            let late = max(0, today.daysSinceEpoch - item.dueOn.daysSinceEpoch)
            // Text cells are neutralised; numbers and dates are written by Relance and left as they are.
            let text = [item.number, item.customerName, item.customerPhone ?? ""].map(cell)
            let status =
                switch item.status {
                case .open: t("dash.invoices.csv.status.open")
                case .paid: t("dash.invoices.csv.status.paid")
                case .void: t("dash.invoices.csv.status.void")
                }
            let numbers = [
                item.amount.currency.code, Format.typedAmount(item.amount, t.language),
                Format.typedAmount(Money(minorUnits: item.paid, currency: item.amount.currency), t.language),
                Format.typedAmount(item.balance, t.language), item.issuedOn.iso, item.dueOn.iso, cell(status),
                item.status == .open ? String(late) : "",
            ]
            csv += (text + numbers).joined(separator: separator) + "\r\n"
        }
        try await store.audit(
            session.audit("invoices.exported", detail: "\(items.count) rows", at: settings.clock.now()))
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(t("dash.invoices.csv.file", today.iso))\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    // MARK: - One invoice

    /// The invoice a page or a form is about; one the store does not have is a page not found.
    func storedInvoice(_ id: Int64) async throws -> InvoiceSummary {
        do {
            return try await store.invoice(id: id)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
    }

    /// `GET /dashboard/invoices/{id}`
    @Sendable func invoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let id = try pathID(context)
        let invoice = try await storedInvoice(id)
        let zone = try await businessZone()
        let today = CalendarDate(instant: settings.clock.now(), timeZone: zone)
        let currency = invoice.amount.currency
        let now = settings.clock.now()
        let t = session.t
        var values: [String: Any] = [
            "section": "invoices", "id": id, "number": invoice.number, "customer": invoice.customerName,
            "customer_link": "/dashboard/invoices?status=all&customer=\(invoice.customerID)",
            "amount": t.amount(invoice.amount), "paid": t.amount(Money(minorUnits: invoice.paid, currency: currency)),
            "balance": t.amount(invoice.balance), "issued": t.date(invoice.issuedOn), "due": t.date(invoice.dueOn),
            "currency": currency.code, "open": invoice.status == .open, "status": invoice.status.rawValue,
            "today": today.iso, "notice": request.uri.queryParameters["notice"].map(String.init) ?? "",
            "paused": invoice.remindersPausedAt != nil,
            "paused_text": t(
                "dash.invoice.paused_reason", Dashboard.invoicePauseReason(invoice.remindersPausedReason, t: t)),
            "next_reminder": invoice.nextActionAt.map { Dashboard.localTime($0, zone) } ?? "—",
            "clicks": invoice.personClicks, "history_note": t("dash.invoice.history.note", zone.identifier),
        ]
        let (state, tone) = stateLabel(invoice.status, dueOn: invoice.dueOn, today: today, t: t)
        values["state"] = state
        values["tone"] = tone
        let payments = try await store.payments(invoiceID: id)
        values["has_payments"] = !payments.isEmpty
        values["payments"] = payments.map { payment -> [String: Any] in
            [
                "amount": t.amount(Money(minorUnits: payment.amount, currency: currency)),
                "method": Dashboard.paymentMethodLabel(payment.method, t: t), "reference": payment.reference ?? "",
                "received": Dashboard.localTime(payment.receivedAt, zone),
            ]
        }
        if let plan = try await store.plan(invoiceID: id) {
            values["plan"] =
                [
                    "status": Dashboard.invoicePlanStatus(plan.status, t: t),
                    "rows": plan.instalments.enumerated().map { index, instalment -> [String: Any] in
                        [
                            "position": index + 1, "due": t.date(instalment.dueOn),
                            "amount": t.amount(Money(minorUnits: instalment.amount, currency: currency)),
                            "paid": t.amount(Money(minorUnits: plan.paid[index], currency: currency)),
                            "next": index == plan.nextIndex && plan.status == .active,
                        ]
                    },
                    "end_reason": plan.endReason.map { Dashboard.invoicePlanEndReason($0, t: t) } ?? "",
                ] as [String: Any]
        }
        values["history"] = try await store.history(invoiceID: id).reversed().map { item -> [String: Any] in
            [
                "at": Dashboard.localTime(item.at, zone), "sentence": Dashboard.sentence(item, t: t), "kind": item.kind,
                "detail": item.detail ?? "",
                "tone": item.kind.hasPrefix("payment") || item.kind == "plan.completed"
                    ? "good" : item.kind.hasSuffix("failed") || item.kind == "plan.broken" ? "bad" : "",
            ]
        }
        if invoice.status == .open {
            do {
                let preview = try await settings.sendNow(store).preview(invoiceID: id)
                // "To …, stage <strong>late</strong>: GSM-7, …": the stage's name sits in <strong> between two
                // phrases, and French puts a space before the ":" that follows it.
                let encoding = preview.encoding == .gsm7 ? "GSM-7" : "UCS-2"
                let byEmail = preview.channel == .email
                let lead: String
                let after: String
                if byEmail {
                    lead = t("dash.invoice.preview.email_to", preview.recipient)
                    after = t("dash.invoice.preview.email_subject", preview.subject ?? "")
                } else {
                    lead = t("dash.invoice.preview.sms_to", preview.recipient)
                    after = t("dash.invoice.preview.sms_size", encoding, String(preview.body.count))
                }
                let alsoByEmail = preview.email.map {
                    t("dash.invoice.preview.also_email", $0.recipient, $0.subject)
                }
                values["preview"] =
                    [
                        "stage": Dashboard.stageName(preview.stage, t), "body": preview.body,
                        "lead": lead, "tail": Dashboard.invoicePageColon(t) + " " + after,
                        "segments": t("dash.invoice.preview.segments", String(preview.segments)),
                        "email": alsoByEmail ?? "", "by_email": byEmail,
                    ] as [String: Any]
            } catch let refusal as RemindRefusal {
                values["preview_refused"] = t("dash.invoice.preview.refused", Dashboard.describe(refusal, t: t))
            }
        }
        let open = try await store.requests(status: .pending, beforeID: nil, limit: 200).filter { $0.invoiceID == id }
        values["pending_requests"] = open.map { pending -> [String: Any] in
            [
                "id": pending.id,
                "text": pending.kind == .plan ? t("dash.invoice.pending.plan") : t("dash.invoice.pending.question"),
            ]
        }
        if invoice.status == .open { values["correction"] = try await correctionValues(invoice, t: t, zone: zone) }
        values["methods"] = PaymentMethod.offered.map { method -> [String: Any] in
            [
                "value": method.rawValue, "label": Dashboard.paymentMethodLabel(method.rawValue, t: t),
                "selected": method == .transfer,
            ]
        }
        return views.page("invoice", values, session: session)
    }

    static func describe(_ refusal: RemindRefusal, t: Words) -> String {
        switch refusal {
        case .settled: t("dash.invoice.refusal.settled")
        case .noPhone: t("dash.invoice.refusal.no_phone")
        case .optedOut: t("dash.invoice.refusal.opted_out")
        case .nothingLeft: t("dash.invoice.refusal.nothing_left")
        case .onPlan: t("dash.invoice.refusal.on_plan")
        case .noEmail: t("dash.invoice.refusal.no_email")
        }
    }

    /// ":" after a word, as the language writes it (French puts a narrow no-break space before it), for
    /// a colon that follows markup and so cannot be in the catalogue's phrase (phrases are trimmed).
    static func invoicePageColon(_ t: Words) -> String { t.language == .fr ? "\u{202F}:" : ":" }

    /// A payment method, as the payment form offers it and the payments table shows it.
    static func paymentMethodLabel(_ method: String, t: Words) -> String {
        // A stored name no longer in the list is shown as stored.
        guard let known = PaymentMethod(rawValue: method) else { return method }
        switch known {
        case .card: return t("dash.invoice.method.card")
        case .transfer: return t("dash.invoice.method.transfer")
        case .directDebit: return t("dash.invoice.method.direct_debit")
        case .cash: return t("dash.invoice.method.cash")
        case .cheque: return t("dash.invoice.method.cheque")
        case .check: return t("dash.invoice.method.check")
        case .other: return t("dash.invoice.method.other")
        }
    }

    /// A plan's status (`active`, `completed`, `broken`, `cancelled`) as the plan's tag says it.
    static func invoicePlanStatus(_ status: PlanStatus, t: Words) -> String {
        switch status {
        case .active: t("dash.invoice.plan.status.active")
        case .completed: t("dash.invoice.plan.status.completed")
        case .broken: t("dash.invoice.plan.status.broken")
        case .cancelled: t("dash.invoice.plan.status.cancelled")
        }
    }

    /// Why a plan ended, as the store wrote it (in English), in the person's language when it is one of
    /// Relance's reasons (`PlanEnd`); anything else as written.
    static func invoicePlanEndReason(_ reason: String, t: Words) -> String {
        switch PlanEnd(text: reason) {
        case .replaced: t("dash.invoice.plan.end.replaced")
        case .paidInFull: t("dash.invoice.plan.end.paid")
        case .invoiceCancelled: t("dash.invoice.plan.end.cancelled")
        case .missed(let instalment, let dueOn, let days):
            t("dash.invoice.plan.end.broken", String(instalment), t.date(dueOn), String(days))
        case nil: reason
        }
    }

    /// Why reminders are paused, as stored: the store's own reasons and "paused by …" (written by
    /// `pause` below, in English, as the audit trail is) in the person's language; a typed reason as typed.
    static func invoicePauseReason(_ reason: String?, t: Words) -> String {
        guard let reason else { return "" }
        switch reason {
        case "payment plan proposed": return t("dash.invoice.paused.plan_proposed")
        case "question from customer": return t("dash.invoice.paused.question")
        case "reply from customer": return t("dash.invoice.paused.reply")
        default: break
        }
        if reason.hasPrefix("paused by ") {
            return t("dash.invoice.paused.by", String(reason.dropFirst("paused by ".count)))
        }
        return reason
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
        let id = try pathID(context)
        let back = "/dashboard/invoices/\(id)"
        let invoice = try await store.invoice(id: id)
        let now = settings.clock.now()
        let t = session.t
        guard let amount = TypedAmount.parse(fields["amount"] ?? "", currency: invoice.amount.currency),
            Money.acceptedMinorUnits.contains(amount)
        else {
            return redirect(back, notice: t("dash.invoice.notice.payment_amount", invoice.amount.currency.code))
        }
        guard let method = PaymentMethod(typed: fields["method"] ?? PaymentMethod.transfer.rawValue) else {
            return redirect(back, notice: t("dash.invoice.notice.payment_method"))
        }
        let reference = PaymentReference.trimmed(fields["reference"])
        switch reference.map(PaymentReference.problems)?.first {
        case .tooLong: return redirect(back, notice: t("dash.invoice.notice.payment_reference_long"))
        case .controlCharacters: return redirect(back, notice: t("dash.invoice.notice.payment_reference_control"))
        case nil: break
        }
        var received = now
        if let raw = fields["received_on"], !raw.isEmpty {
            guard let day = CalendarDate(iso: raw), day <= (try await today()) else {
                return redirect(back, notice: t("dash.invoice.notice.payment_date"))
            }
            received = day.startInstant(in: try await businessZone())
        }
        let money = Money(minorUnits: amount, currency: invoice.amount.currency)
        // The audit trail is written once for every reader, in English like the rest of it.
        let audited = Format.amount(money, .en)
        do {
            _ = try await PaymentService(storage: store, clock: .fixed(now)).record(
                NewPayment(amount: amount, method: method, reference: reference, receivedAt: received),
                invoiceID: id,
                audit: session.audit(
                    "payment.recorded", invoiceID: id, detail: "\(audited) by \(method.rawValue)", at: now))
        } catch let error as StoreError {
            let notice: String
            switch error {
            case .invoiceVoided: notice = t("dash.invoice.notice.payment_void")
            case .invoicePaid: notice = t("dash.invoice.notice.payment_paid")
            case .overpayment(let balance):
                notice = t(
                    "dash.invoice.notice.payment_over",
                    t.amount(Money(minorUnits: balance, currency: invoice.amount.currency)))
            case .duplicatePaymentReference(let paymentID):
                notice = t("dash.invoice.notice.payment_duplicate", String(paymentID))
            default: notice = t("dash.invoice.notice.payment_refused", Problem(error).detail)
            }
            return redirect(back, notice: notice)
        }
        return redirect(back, notice: t("dash.invoice.notice.payment_recorded", t.amount(money)))
    }

    /// What every button on an invoice's page starts with: the form, its token checked; who pressed it;
    /// which invoice; and when. Each action then goes back to the invoice's page with a notice.
    struct InvoiceAction {
        var fields: FormFields
        var session: DashboardContext
        var id: Int64
        var now: Date

        /// The invoice's page.
        var page: String { "/dashboard/invoices/\(id)" }

        /// The audit line of this action on this invoice.
        func audit(_ action: String, detail: String? = nil) -> AuditNote {
            session.audit(action, invoiceID: id, detail: detail, at: now)
        }
    }

    func invoiceAction(_ request: Request, _ context: AppRequestContext) async throws -> InvoiceAction {
        let fields = try await form(request, context)
        let session = try await session(context)
        return InvoiceAction(fields: fields, session: session, id: try pathID(context), now: settings.clock.now())
    }

    /// `POST /dashboard/invoices/{id}/pause` — optional `reason`.
    @Sendable func pause(_ request: Request, context: AppRequestContext) async throws -> Response {
        let action = try await invoiceAction(request, context)
        let t = action.session.t
        let reason = String((action.fields["reason"] ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
        guard !PlainText.hasControlCharacters(reason) else {
            return redirect(action.page, notice: t("dash.invoice.notice.pause_control"))
        }
        do {
            _ = try await store.pauseReminders(
                invoiceID: action.id,
                reason: reason.isEmpty ? "paused by \(action.session.session.user.email)" : reason,
                now: action.now, audit: action.audit("reminders.paused", detail: reason))
        } catch StoreError.invoiceClosed {
            return redirect(action.page, notice: t("dash.invoice.notice.pause_closed"))
        }
        return redirect(action.page, notice: t("dash.invoice.notice.paused"))
    }

    /// `POST /dashboard/invoices/{id}/resume`
    @Sendable func resume(_ request: Request, context: AppRequestContext) async throws -> Response {
        let action = try await invoiceAction(request, context)
        _ = try await store.resumeReminders(
            invoiceID: action.id, now: action.now, audit: action.audit("reminders.resumed"))
        return redirect(action.page, notice: action.session.t("dash.invoice.notice.resumed"))
    }

    /// `POST /dashboard/invoices/{id}/remind` — queues the reminder the page previewed.
    @Sendable func remindNow(_ request: Request, context: AppRequestContext) async throws -> Response {
        let action = try await invoiceAction(request, context)
        let t = action.session.t
        do {
            let queued = try await settings.sendNow(store).send(
                invoiceID: action.id, audit: action.audit("reminder.sent_now"))
            let stage = Dashboard.stageName(queued.stage, t)
            let notice =
                queued.email.map {
                    t("dash.invoice.notice.reminder_queued_email", stage, queued.recipient, $0.recipient)
                } ?? t("dash.invoice.notice.reminder_queued", stage, queued.recipient)
            return redirect(action.page, notice: notice)
        } catch let refusal as RemindRefusal {
            return redirect(
                action.page, notice: t("dash.invoice.notice.no_reminder", Dashboard.describe(refusal, t: t)))
        }
    }

    /// `POST /dashboard/invoices/{id}/links` — a new signed link, shown once on the page.
    @Sendable func newLink(_ request: Request, context: AppRequestContext) async throws -> Response {
        let action = try await invoiceAction(request, context)
        let link = try await store.createLink(
            invoiceID: action.id, expiresAt: nil, purpose: .api, keyring: settings.keyring, now: action.now,
            audit: action.audit("link.created"))
        return redirect(
            action.page,
            notice: action.session.t("dash.invoice.notice.new_link", settings.urls.invoicePage(token: link.token)))
    }

    /// `POST /dashboard/invoices/{id}/revoke-links` — every link to the invoice stops working.
    @Sendable func revokeLinks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let action = try await invoiceAction(request, context)
        let count = try await store.revokeLinks(
            invoiceID: action.id, now: action.now, audit: action.audit("links.revoked"))
        return redirect(action.page, notice: action.session.t("dash.invoice.notice.revoked", String(count)))
    }

    /// `POST /dashboard/invoices/{id}/void`
    @Sendable func void(_ request: Request, context: AppRequestContext) async throws -> Response {
        let action = try await invoiceAction(request, context)
        _ = try await store.voidInvoice(id: action.id, now: action.now, audit: action.audit("invoice.voided"))
        return redirect(action.page, notice: action.session.t("dash.invoice.notice.voided"))
    }
}

/// CSV cells for spreadsheets: quoted when needed, and never read as a formula.
enum CSVField {
    /// `separator` is the one between cells: "," (English) or ";" (French, where "," is the decimal mark).
    static func escape(_ value: String, separator: String = ",") -> String {
        var text = value
        // A cell starting with = + - @ (or a tab or return) is a formula to Excel and LibreOffice.
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        let split = separator.utf8.first ?? 44
        // Bytes, not Characters: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
        if text.utf8.contains(where: { $0 == split || $0 == 34 || $0 == 10 || $0 == 13 }) || text != value {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
