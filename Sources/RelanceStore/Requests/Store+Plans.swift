import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// One line of an invoice's history: what happened, when.
public struct HistoryItem: Sendable, Equatable {
    public var at: Date
    /// `invoice.created`, `message.queued`, `message.delivered`…, `link.opened`, `link.previewed`,
    /// `payment.received`, `request.created`, `request.accepted`…, `plan.started`, `plan.broken`…
    public var kind: String
    public var detail: String?
    public var messageID: Int64?
    public var requestID: Int64?
    /// What a sentence about the event needs, by name: `stage`, `channel`, `recipient`, `segments`,
    /// `variant`, `message_kind` for messages; `amount` (minor units), `currency`, `method`, `reference`
    /// for payments; `who` for actions.
    public var facts: [String: String] = [:]
}

extension Store {
    // MARK: - Reading plans

    /// The invoice's active plan, or else its latest one.
    public func plan(invoiceID: Int64) async throws -> PlanView? {
        try await pool.read { db in try Store.planView(db, invoiceID: invoiceID) }
    }

    /// The same, read on the caller's thread for the customer page (only for invoices that have a plan).
    public func planNow(invoiceID: Int64) throws -> PlanView? {
        try syncReader.read { db in try Store.planView(db, invoiceID: invoiceID) }
    }

    static func planView(_ db: Database, invoiceID: Int64) throws -> PlanView? {
        guard
            let row = try PlanRow.fetchOne(
                db,
                sql: """
                    SELECT p.*, (SELECT COALESCE(SUM(amount), 0) FROM payment WHERE invoice_id = p.invoice_id) AS total
                    FROM plan p WHERE p.invoice_id = ? ORDER BY p.status = 'active' DESC, p.id DESC LIMIT 1
                    """, arguments: [invoiceID])
        else { return nil }
        let plan = row.plan
        let planID = try plan.storedID()
        let installments = try InstallmentRecord.of(planID: planID).fetchAll(db)
        let instalments = installments.map { Instalment(dueOn: $0.dueOn, amount: $0.amount) }
        return PlanView(
            id: planID, invoiceID: invoiceID, status: plan.status, createdAt: plan.createdAt,
            endedAt: plan.endedAt, endReason: plan.endReason, instalments: instalments,
            instalmentIDs: try installments.map { try $0.storedID() },
            paid: PaymentPlan.allocate(instalments, paid: row.received.total - plan.paidBefore))
    }

    /// A row of `planView`'s SELECT: the plan, and everything its invoice has received.
    struct PlanRow: FetchableRecord {
        struct Received: Decodable, FetchableRecord {
            var total: Int64
        }

        var plan: PlanRecord
        var received: Received

        init(row: Row) throws {
            plan = try PlanRecord(row: row)
            received = try Received(row: row)
        }
    }

    // MARK: - History

    /// Everything that happened to an invoice, oldest first: creation, each message's statuses, link
    /// opens and previews, payments, requests and answers, plan events and pauses.
    public func history(invoiceID: Int64) async throws -> [HistoryItem] {
        try await pool.read { db in
            let invoice = try Store.invoice(db, id: invoiceID)
            var items = [HistoryItem(at: invoice.createdAt, kind: "invoice.created", detail: nil)]
            // Its own messages, and the reminders about several invoices that named it.
            let reminded = ReminderRecord.select(ReminderRecord.Columns.messageID)
                .filter(ReminderRecord.Columns.invoiceID == invoiceID)
            let about = MessageEventRecord.message.filter(
                MessageRecord.Columns.invoiceID == invoiceID || reminded.contains(MessageRecord.Columns.id))
            let events = try MessageEventRecord.including(required: about).order(MessageEventRecord.Columns.id)
                .asRequest(of: MessageHistoryRow.self).fetchAll(db)
            for (event, row) in events.map({ ($0.messageEvent, $0.message) }) {
                // The queued event carries the message itself: what, to whom, how long, which wording.
                var detail = event.detail
                if event.status == .queued {
                    let what = row.stage.map { "\(row.kind.rawValue) \($0)" } ?? row.kind.rawValue
                    let variant = row.variant.map { ", wording \($0.rawValue)" } ?? ""
                    let size = row.segments.map { ", \($0) segment(s) \(row.encoding?.rawValue ?? "")" } ?? ""
                    detail = "\(what) by \(row.channel.rawValue) to \(row.recipient)\(size)\(variant): " + row.body
                }
                var facts = ["channel": row.channel.rawValue, "message_kind": row.kind.rawValue]
                facts["stage"] = row.stage
                facts["recipient"] = row.recipient
                facts["segments"] = row.segments.map(String.init)
                facts["variant"] = row.variant?.rawValue
                items.append(
                    HistoryItem(
                        at: event.at, kind: "message.\(event.status.rawValue)", detail: detail, messageID: row.id,
                        requestID: row.requestID, facts: facts))
            }
            for click in try ClickRecord.fetchAll(
                db,
                sql: """
                    SELECT k.* FROM click k JOIN link l ON l.id = k.link_id
                    WHERE l.invoice_id = ? ORDER BY k.id
                    """, arguments: [invoiceID])
            {
                items.append(
                    HistoryItem(at: click.at, kind: click.agent == .preview ? "link.previewed" : "link.opened"))
            }
            for payment in try PaymentRecord.filter(PaymentRecord.Columns.invoiceID == invoiceID)
                .order(PaymentRecord.Columns.id)
                .fetchAll(db)
            {
                let amount = Format.amount(Money(minorUnits: payment.amount, currency: invoice.amount.currency), .en)
                let reference = payment.reference.map { ", reference \($0)" } ?? ""
                var facts = [
                    "amount": String(payment.amount), "currency": invoice.amount.currency.code,
                    "method": payment.method,
                ]
                facts["reference"] = payment.reference
                items.append(
                    HistoryItem(
                        at: payment.recordedAt, kind: "payment.received",
                        detail: "\(amount) by \(payment.method)\(reference)", facts: facts))
            }
            for event in try InvoiceEventRecord.filter(InvoiceEventRecord.Columns.invoiceID == invoiceID)
                .order(InvoiceEventRecord.Columns.id)
                .fetchAll(db)
            {
                items.append(
                    HistoryItem(
                        at: event.at, kind: event.kind.rawValue, detail: event.detail, requestID: event.requestID))
            }
            for row in try ActionRow.fetchAll(
                db,
                sql: """
                    SELECT a.*, u.email FROM audit a LEFT JOIN user u ON u.id = a.user_id
                    WHERE a.invoice_id = ? ORDER BY a.id
                    """, arguments: [invoiceID])
            {
                let who = row.user.email.map { "by \($0)" } ?? "by the API"
                let detail = row.audit.detail.map { "\(who): \($0)" } ?? who
                items.append(
                    HistoryItem(
                        at: row.audit.at, kind: "action.\(row.audit.action)", detail: detail,
                        facts: ["who": row.user.email ?? "the API"]))
            }
            if let voided = invoice.voidedAt { items.append(HistoryItem(at: voided, kind: "invoice.voided")) }
            // Stable: events of the same instant keep the order they were written in.
            return items.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        }
    }
}

extension Store {
    /// A row of the history's message events: the event, and the message it is about.
    struct MessageHistoryRow: Decodable, FetchableRecord {
        var messageEvent: MessageEventRecord
        var message: MessageRecord
    }

    /// A row of the history's actions: the audit line, and the account that acted, if any.
    struct ActionRow: FetchableRecord {
        struct User: Decodable, FetchableRecord {
            var email: String?
        }

        var audit: AuditRecord
        var user: User

        init(row: Row) throws {
            audit = try AuditRecord(row: row)
            user = try User(row: row)
        }
    }
}

extension HistoryItem {
    init(at: Date, kind: String, detail: String? = nil) {
        self.init(at: at, kind: kind, detail: detail, messageID: nil, requestID: nil)
    }
}
