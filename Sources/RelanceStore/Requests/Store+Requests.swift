import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension CustomerRequest: FetchableRecord {
    static let selectSQL = """
        SELECT r.*, i.number, i.currency, c.name AS customer_name
        FROM request r JOIN invoice i ON i.id = r.invoice_id JOIN customer c ON c.id = r.customer_id
        """

    /// The columns `selectSQL` adds to the request's own: its invoice's number and currency, and who
    /// the customer is.
    struct Subject: Decodable, FetchableRecord, SnakeCaseColumns {
        var number: String
        var currency: Currency
        var customerName: String

    }

    /// A row of `selectSQL`.
    public init(row: Row) throws {
        try self.init(RequestRecord(row: row), Subject(row: row))
    }

    init(_ request: RequestRecord, _ subject: Subject) throws {
        self.init(
            id: try request.storedID(), invoiceID: request.invoiceID, invoiceNumber: subject.number,
            customerID: request.customerID, customerName: subject.customerName, currency: subject.currency,
            kind: request.kind, status: request.status, schedule: Store.schedule(fromText: request.schedule),
            message: request.message, contact: request.contact, callback: request.callback,
            autoAccepted: request.autoAccepted, answer: request.answer, answeredAt: request.answeredAt,
            createdAt: request.createdAt)
    }
}

extension NewRequest {
    /// The same submission always hashes the same: a double submit finds the first.
    var fingerprint: String {
        let parts = [
            kind.rawValue, Store.scheduleText(schedule), message ?? "", contact?.rawValue ?? "",
            callback?.rawValue ?? "",
        ]
        return Crypto.hex(Crypto.sha256(Array(parts.joined(separator: "\u{1F}").utf8)))
    }
}

extension Store {
    // MARK: - Settings

    /// The business's rules for plans.
    public func planSettings() async throws -> PlanSettings {
        try await pool.read { db in try Store.planSettings(db) }
    }

    static func planSettings(_ db: Database) throws -> PlanSettings {
        guard let stored = try PlanSettingsRecord.fetchOne(db, key: 1) else { return .init() }
        var replyTime: [Language: String] = [:]
        if let text = stored.replyTimeFr { replyTime[.fr] = text }
        if let text = stored.replyTimeEn { replyTime[.en] = text }
        return PlanSettings(
            limits: PlanLimits(
                maximumInstalments: stored.maximumInstalments, maximumSpanDays: stored.maximumSpanDays,
                minimumInstalment: stored.minimumInstalment),
            autoAccept: stored.autoAccept, autoAcceptMaximumInstalments: stored.autoAcceptMaximumInstalments,
            autoAcceptMaximumSpanDays: stored.autoAcceptMaximumSpanDays,
            reminderOffsets: stored.reminderOffsets.split(separator: ",").compactMap { Int($0) },
            breakAfterDays: stored.breakAfterDays, replyTime: replyTime)
    }

    /// Replaces the rules for plans; the schema's CHECKs refuse values out of range.
    public func savePlanSettings(_ settings: PlanSettings, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in try Store.writePlanSettings(db, settings) }
    }

    static func writePlanSettings(_ db: Database, _ settings: PlanSettings) throws {
        try db.execute(
            sql: """
                UPDATE plan_settings SET maximum_instalments = ?, maximum_span_days = ?, minimum_instalment = ?,
                    auto_accept = ?, auto_accept_maximum_instalments = ?, auto_accept_maximum_span_days = ?,
                    reminder_offsets = ?, break_after_days = ?, reply_time_fr = ?, reply_time_en = ?
                WHERE id = 1
                """,
            arguments: [
                settings.limits.maximumInstalments, settings.limits.maximumSpanDays,
                settings.limits.minimumInstalment, settings.autoAccept, settings.autoAcceptMaximumInstalments,
                settings.autoAcceptMaximumSpanDays,
                settings.reminderOffsets.sorted().map(String.init).joined(separator: ","),
                settings.breakAfterDays, settings.replyTime[.fr], settings.replyTime[.en],
            ])
    }

    // MARK: - Customers ask

    /// Stores a proposal or question from the invoice page, as `decide` judges it from what this
    /// transaction reads, in one transaction: the invoice's reminders pause at once and its queued
    /// reminders are cancelled; a pending request of the same kind is replaced; a proposal accepted at
    /// once becomes a plan; and the customer gets a short confirmation by text (`compose` writes it in
    /// their language).
    public func submitRequest(
        _ new: NewRequest, now: Date, today: CalendarDate, links: LinkSettings,
        compose: @escaping @Sendable (RequestNotice) -> String,
        decide: @Sendable (RequestSituation) -> RequestDecision
    ) async throws -> RequestOutcome {
        try await pool.write { db in
            let invoice = try Store.invoice(db, id: new.invoiceID)
            let fingerprint = new.fingerprint
            let dayAgo = now.addingTimeInterval(-86_400)
            let duplicate = try CustomerRequest.fetchOne(
                db,
                sql: CustomerRequest.selectSQL
                    + " WHERE r.invoice_id = ? AND r.kind = ? AND r.fingerprint = ? AND r.created_at > ?"
                    + " ORDER BY r.id DESC LIMIT 1",
                arguments: [new.invoiceID, new.kind, fingerprint, dayAgo])
            let recent =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM request WHERE invoice_id = ? AND created_at > ?",
                    arguments: [new.invoiceID, dayAgo]) ?? 0
            let settings = try Store.planSettings(db)
            let autoAccept: Bool
            switch decide(
                RequestSituation(invoice: invoice, settings: settings, requestsToday: recent, duplicate: duplicate))
            {
            case .answer(let outcome): return outcome
            case .store(let acceptAtOnce): autoAccept = acceptAtOnce
            }

            if let replaced = try RequestRecord.pending(invoiceID: new.invoiceID)
                .filter(RequestRecord.Columns.kind == new.kind)
                .select(RequestRecord.Columns.id, as: Int64.self)
                .fetchOne(db)
            {
                try db.execute(
                    sql: "UPDATE request SET status = ? WHERE id = ?", arguments: [RequestStatus.replaced, replaced])
                try Store.logEvent(
                    db, invoiceID: new.invoiceID, .requestReplaced, requestID: replaced, detail: nil, at: now)
            }
            try db.execute(
                sql: """
                    INSERT INTO request (invoice_id, customer_id, link_id, kind, schedule, message, contact, callback,
                        fingerprint, ip_hash, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.invoiceID, invoice.customerID, new.linkID, new.kind,
                    new.kind == .plan ? Store.scheduleText(new.schedule) : nil, new.message, new.contact, new.callback,
                    fingerprint, new.ipHash, now,
                ])
            let requestID = db.lastInsertedRowID
            try Store.emitInvoiceEvent(
                db, .requestCreated, invoiceID: new.invoiceID,
                extra: [
                    "request": [
                        "id": requestID, "kind": new.kind.rawValue, "message": new.message as Any? ?? NSNull(),
                        "contact": new.contact?.rawValue as Any? ?? NSNull(),
                        "instalments": new.kind == .plan
                            ? new.schedule.map { ["due_on": $0.dueOn.iso, "amount": $0.amount] as [String: Any] } : [],
                    ] as [String: Any]
                ], now: now)
            try Store.logEvent(
                db, invoiceID: new.invoiceID, .requestCreated, requestID: requestID,
                detail: new.kind == .plan ? "\(new.schedule.count) instalments proposed" : "question", at: now)
            try Store.pauseReminders(
                db, invoiceID: new.invoiceID,
                reason: new.kind == .plan ? "payment plan proposed" : "question from customer",
                requestID: requestID, now: now)

            var event = RequestNotice.Event.received
            if autoAccept {
                try db.execute(sql: "UPDATE request SET auto_accepted = 1 WHERE id = ?", arguments: [requestID])
                _ = try Store.recordAnswer(
                    db, requestID: requestID, .accept(nil), message: nil, now: now, today: today, links: links,
                    notify: nil)
                event = .acceptedAtOnce
            }
            let request = try Store.request(db, id: requestID)
            try Store.notifyCustomer(
                db, request: request, event: event, kind: .requestConfirmation, link: nil, now: now,
                compose: compose)
            return .created(request)
        }
    }

    // MARK: - The business answers

    /// Requests, newest first, optionally only those with `status`; keyset pagination on the id.
    public func requests(status: RequestStatus?, beforeID: Int64?, limit: Int) async throws -> [CustomerRequest] {
        try await pool.read { db in
            var sql = CustomerRequest.selectSQL + " WHERE r.id < ?"
            var arguments: StatementArguments = [beforeID ?? Int64.max]
            if let status {
                sql += " AND r.status = ?"
                arguments += [status]
            }
            return try CustomerRequest.fetchAll(
                db, sql: sql + " ORDER BY r.id DESC LIMIT ?", arguments: arguments + [limit])
        }
    }

    /// One request.
    public func request(id: Int64) async throws -> CustomerRequest {
        try await pool.read { db in try Store.request(db, id: id) }
    }

    static func request(_ db: Database, id: Int64) throws -> CustomerRequest {
        guard
            let request = try CustomerRequest.fetchOne(
                db, sql: CustomerRequest.selectSQL + " WHERE r.id = ?", arguments: [id])
        else { throw StoreError.notFound("request \(id)") }
        return request
    }

    /// Records the business's answer and tells the customer by text with a fresh link. Accepting turns
    /// the plan into instalments that are reminded on their own; declining or answering a question
    /// resumes the invoice's normal reminders (unless another request is still open).
    public func answerRequest(
        id: Int64, _ answer: RequestAnswer, message: String?, now: Date, today: CalendarDate, links: LinkSettings,
        audit: AuditNote? = nil, compose: @escaping @Sendable (RequestNotice) -> String
    ) async throws -> CustomerRequest {
        try await write(audit: audit, fill: { note, answered in note.invoiceID = note.invoiceID ?? answered.invoiceID })
        { db in
            try Store.recordAnswer(
                db, requestID: id, answer, message: message, now: now, today: today, links: links, notify: compose)
        }
    }

    static func recordAnswer(
        _ db: Database, requestID: Int64, _ answer: RequestAnswer, message: String?, now: Date, today: CalendarDate,
        links: LinkSettings, notify: (@Sendable (RequestNotice) -> String)?
    ) throws -> CustomerRequest {
        let request = try Store.request(db, id: requestID)
        guard request.status == .pending else { throw RequestAnswerError.notPending(request.status) }
        let invoice = try Store.invoice(db, id: request.invoiceID)
        guard invoice.status == .open, invoice.balance.minorUnits > 0 else { throw RequestAnswerError.invoiceClosed }
        let status: RequestStatus
        let event: RequestNotice.Event
        let line: InvoiceEventKind
        switch answer {
        case .accept(let modified):
            guard request.kind == .plan else { throw RequestAnswerError.wrongKind(request.kind) }
            let schedule = modified ?? request.schedule
            // The business may go beyond its own limits; the plan must still add up and lie ahead.
            let problems = PaymentPlan.problems(
                schedule, balance: invoice.balance.minorUnits, today: today,
                limits: PlanLimits(maximumInstalments: 120, maximumSpanDays: 3650, minimumInstalment: 0))
            guard problems.isEmpty else { throw RequestAnswerError.invalidSchedule(problems) }
            try Store.startPlan(db, invoice: invoice, requestID: requestID, schedule: schedule, now: now)
            if modified != nil {
                try db.execute(
                    sql: "UPDATE request SET schedule = ? WHERE id = ?",
                    arguments: [Store.scheduleText(schedule), requestID])
            }
            status = .accepted
            event = .accepted
            line = .requestAccepted
        case .decline:
            guard request.kind == .plan else { throw RequestAnswerError.wrongKind(request.kind) }
            status = .declined
            event = .declined
            line = .requestDeclined
        case .reply:
            guard request.kind == .question else { throw RequestAnswerError.wrongKind(request.kind) }
            status = .answered
            event = .answered
            line = .requestAnswered
        }
        try db.execute(
            sql: "UPDATE request SET status = ?, answer = ?, answered_at = ? WHERE id = ?",
            arguments: [status, message, now, requestID])
        try Store.logEvent(db, invoiceID: request.invoiceID, line, requestID: requestID, detail: message, at: now)
        try Store.resumeRemindersIfNothingOpen(db, invoiceID: request.invoiceID, now: now)
        let answered = try Store.request(db, id: requestID)
        if let notify {
            let business = try Store.business(db)
            let expiry: Date? =
                status == .accepted
                ? answered.schedule.last.map {
                    $0.dueOn.adding(days: 30).startInstant(in: TimeZoneName.zone(business.timeZone) ?? .gmt)
                } : nil
            let link = try Store.createLink(
                db, invoiceID: request.invoiceID, expiresAt: expiry, purpose: .reminder, renewedFrom: nil,
                keyring: links.keyring, now: now)
            try Store.notifyCustomer(
                db, request: answered, event: event, kind: .requestAnswer, link: link, now: now,
                compose: { notify($0) }, links: links)
        }
        return answered
    }

    // MARK: - Plans

    static func startPlan(_ db: Database, invoice: InvoiceSummary, requestID: Int64?, schedule: [Instalment], now: Date)
        throws
    {
        if let previous = try PlanRecord.active(invoiceID: invoice.id).fetchOne(db) {
            try endPlan(
                db, planID: previous.storedID(), invoiceID: invoice.id, status: .cancelled,
                reason: .replaced, now: now)
        }
        var plan = PlanRecord(
            invoiceID: invoice.id, requestID: requestID, status: .active, paidBefore: invoice.paid, createdAt: now)
        try plan.insert(db)
        let planID = try plan.storedID()
        for (index, instalment) in schedule.enumerated() {
            var installment = InstallmentRecord(
                planID: planID, position: index + 1, dueOn: instalment.dueOn, amount: instalment.amount)
            try installment.insert(db)
        }
        try logEvent(
            db, invoiceID: invoice.id, .planStarted, requestID: requestID,
            detail:
                "\(schedule.count) instalments, \(schedule.first?.dueOn.iso ?? "") to \(schedule.last?.dueOn.iso ?? "")",
            at: now)
        // The plan is reminded from now on; the invoice's own stages wait until it ends.
        try db.execute(sql: "UPDATE invoice SET next_action_at = ? WHERE id = ?", arguments: [now, invoice.id])
    }

    static func endPlan(
        _ db: Database, planID: Int64, invoiceID: Int64, status: PlanStatus, reason: PlanEnd, now: Date
    ) throws {
        try db.execute(
            sql: "UPDATE plan SET status = ?, ended_at = ?, end_reason = ? WHERE id = ? AND status = ?",
            arguments: [status, now, reason.text, planID, PlanStatus.active])
        let line = InvoiceEventKind(planEnded: status) ?? .planCancelled
        try logEvent(db, invoiceID: invoiceID, line, requestID: nil, detail: reason.text, at: now)
    }

    /// Once an invoice is paid or void, its plan ends and its open requests have nothing left to answer.
    static func closeRequestsAndPlan(_ db: Database, invoiceID: Int64, paid: Bool, now: Date) throws {
        if let plan = try PlanRecord.active(invoiceID: invoiceID).fetchOne(db) {
            try endPlan(
                db, planID: plan.storedID(), invoiceID: invoiceID, status: paid ? .completed : .cancelled,
                reason: paid ? .paidInFull : .invoiceCancelled, now: now)
        }
        try db.execute(
            sql: """
                UPDATE request SET status = ?, answered_at = ?, answer = ?
                WHERE invoice_id = ? AND status = ?
                """,
            arguments: [
                RequestStatus.cancelled, now, paid ? "invoice paid" : "invoice cancelled", invoiceID,
                RequestStatus.pending,
            ])
    }

    // MARK: - Pauses and history

    /// Pauses an invoice's reminders by hand; queued reminders are cancelled.
    public func pauseReminders(invoiceID: Int64, reason: String, now: Date, audit: AuditNote? = nil) async throws
        -> InvoiceSummary
    {
        try await write(audit: audit) { db in
            let invoice = try Store.invoice(db, id: invoiceID)
            guard invoice.status == .open else { throw StoreError.invoiceClosed }
            try Store.pauseReminders(db, invoiceID: invoiceID, reason: reason, requestID: nil, now: now)
            return try Store.invoice(db, id: invoiceID)
        }
    }

    /// Resumes an invoice's reminders, whatever paused them; the next tick sends what applies now.
    public func resumeReminders(invoiceID: Int64, now: Date, audit: AuditNote? = nil) async throws -> InvoiceSummary {
        try await write(audit: audit) { db in
            _ = try Store.invoice(db, id: invoiceID)
            try Store.resumeReminders(db, invoiceID: invoiceID, detail: "by the business", now: now)
            return try Store.invoice(db, id: invoiceID)
        }
    }

    static func pauseReminders(_ db: Database, invoiceID: Int64, reason: String, requestID: Int64?, now: Date) throws {
        try db.execute(
            sql: """
                UPDATE invoice SET reminders_paused_at = COALESCE(reminders_paused_at, ?), reminders_paused_reason = ?,
                    next_action_at = NULL
                WHERE id = ?
                """, arguments: [now, reason, invoiceID])
        try cancelQueuedMessages(db, invoiceID: invoiceID, now: now, reason: reason, remindersOnly: true)
        try logEvent(db, invoiceID: invoiceID, .remindersPaused, requestID: requestID, detail: reason, at: now)
    }

    static func resumeRemindersIfNothingOpen(_ db: Database, invoiceID: Int64, now: Date) throws {
        guard try RequestRecord.pending(invoiceID: invoiceID).fetchCount(db) == 0 else { return }
        try resumeReminders(db, invoiceID: invoiceID, detail: nil, now: now)
    }

    /// Lifts a pause on an open invoice; the next tick sends what applies now.
    static func resumeReminders(_ db: Database, invoiceID: Int64, detail: String?, now: Date) throws {
        try db.execute(
            sql: """
                UPDATE invoice SET reminders_paused_at = NULL, reminders_paused_reason = NULL, next_action_at = ?
                WHERE id = ? AND reminders_paused_at IS NOT NULL AND paid_at IS NULL AND voided_at IS NULL
                """, arguments: [now, invoiceID])
        if db.changesCount > 0 {
            try logEvent(db, invoiceID: invoiceID, .remindersResumed, requestID: nil, detail: detail, at: now)
        }
    }

    /// One line of an invoice's history.
    static func logEvent(
        _ db: Database, invoiceID: Int64, _ kind: InvoiceEventKind, requestID: Int64?, detail: String?, at: Date
    ) throws {
        var event = InvoiceEventRecord(invoiceID: invoiceID, at: at, kind: kind, requestID: requestID, detail: detail)
        try event.insert(db)
    }

    // MARK: - Texts to the customer

    static func notifyCustomer(
        _ db: Database, request: CustomerRequest, event: RequestNotice.Event, kind: MessageKind, link: IssuedLink?,
        now: Date, compose: (RequestNotice) -> String, links: LinkSettings? = nil
    ) throws {
        guard let customer = try CustomerTableRecord.fetchOne(db, key: request.customerID),
            let phone = customer.phone, customer.smsOptedOutAt == nil
        else { return }
        let notice = RequestNotice(
            event: event, kind: request.kind, business: try Store.business(db), invoiceNumber: request.invoiceNumber,
            customerLocale: customer.locale, schedule: request.schedule, currency: request.currency,
            answer: request.answer, link: link.flatMap { link in links.map { $0.urls.invoicePage(token: link.token) } })
        let analysis = SMSText.analyze(compose(notice))
        var message = MessageRecord(
            customerID: request.customerID, invoiceID: request.invoiceID, linkID: link?.linkID, kind: kind,
            channel: .sms, recipient: phone, body: analysis.text, status: .queued, createdAt: now,
            encoding: analysis.encoding, segments: analysis.segments, attempts: 0, updatedAt: now,
            requestID: request.id)
        try message.insert(db)
        let messageID = try message.storedID()
        if let link {
            try db.execute(sql: "UPDATE link SET message_id = ? WHERE id = ?", arguments: [messageID, link.linkID])
        }
        try recordEvent(db, messageID: messageID, status: .queued, at: now, detail: nil)
    }

    // MARK: - Schedules as text

    static func scheduleText(_ schedule: [Instalment]) -> String {
        schedule.map { "\($0.dueOn.iso):\($0.amount)" }.joined(separator: ";")
    }

    static func schedule(fromText text: String?) -> [Instalment] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: ";").compactMap { part in
            let fields = part.split(separator: ":")
            guard fields.count == 2, let day = CalendarDate(iso: String(fields[0])), let amount = Int64(fields[1])
            else { return nil }
            return Instalment(dueOn: day, amount: amount)
        }
    }
}
