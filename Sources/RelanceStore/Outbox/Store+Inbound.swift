import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    /// Stores a reply and carries out, for each customer with its number, the action `decide` chooses:
    /// all in one transaction. A reply carrying a provider message id already recorded (a retry, or a
    /// signed request replayed) is acknowledged and changes nothing.
    public func recordInbound(
        _ reply: InboundText, now: Date,
        decide: @Sendable (_ customer: ReplyingCustomer, _ business: String, _ pauseOnReply: Bool) throws -> ReplyAction
    ) async throws -> InboundOutcome {
        try await pool.write { db in
            let keyword = reply.keyword
            if let providerMessageID = reply.providerMessageID,
                let known = try Int64.fetchOne(
                    db, sql: "SELECT id FROM inbound WHERE provider = ? AND provider_message_id = ?",
                    arguments: [reply.provider, providerMessageID])
            {
                return InboundOutcome(
                    inboundID: known, keyword: keyword, customerIDs: [], confirmations: 0, pausedInvoices: 0,
                    duplicate: true)
            }
            let customers = try CustomerTableRecord.filter(CustomerTableRecord.Columns.phone == reply.from)
                .order(CustomerTableRecord.Columns.id)
                .fetchAll(db)
            let customerIDs = try customers.map { try $0.storedID() }
            try db.execute(
                sql: """
                    INSERT INTO inbound (
                        customer_id, from_number, to_number, body, keyword, provider, provider_message_id, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    customerIDs.first, reply.from, reply.to, String(reply.body.prefix(2000)), keyword, reply.provider,
                    reply.providerMessageID, now,
                ])
            var outcome = InboundOutcome(
                inboundID: db.lastInsertedRowID, keyword: keyword, customerIDs: customerIDs, confirmations: 0,
                pausedInvoices: 0)
            let business = try Store.business(db)
            let pauseOnReply = try SendingRulesRecord.fetchOne(db, key: 1)?.pauseOnReply ?? true
            for (customer, id) in zip(customers, customerIDs) {
                let language = Language(locale: customer.locale) ?? Language(locale: business.defaultLocale) ?? .fr
                let replying = ReplyingCustomer(id: id, optedOut: customer.smsOptedOutAt != nil, language: language)
                switch try decide(replying, business.name, pauseOnReply) {
                case .optOut(let confirmation):
                    try db.execute(sql: "UPDATE customer SET sms_opted_out_at = ? WHERE id = ?", arguments: [now, id])
                    try Store.emitOptedOut(db, customerID: id, channel: .sms, now: now)
                    let queued = try MessageRecord.queued(customerID: id, channel: .sms)
                        .select(MessageRecord.Columns.id, as: Int64.self)
                        .fetchAll(db)
                    try Store.cancelMessages(db, ids: queued, now: now, reason: "customer opted out")
                    try Store.queueNotice(
                        db, customerID: id, phone: reply.from, kind: .optOutConfirmation, body: confirmation, now: now)
                    outcome.confirmations += 1
                case .optIn(let confirmation):
                    try db.execute(sql: "UPDATE customer SET sms_opted_out_at = NULL WHERE id = ?", arguments: [id])
                    try Store.queueNotice(
                        db, customerID: id, phone: reply.from, kind: .optInConfirmation, body: confirmation, now: now)
                    outcome.confirmations += 1
                case .pauseReminders:
                    try db.execute(
                        sql: """
                            UPDATE invoice SET reminders_paused_at = ?, reminders_paused_reason = 'reply from customer',
                                next_action_at = NULL
                            WHERE customer_id = ? AND paid_at IS NULL AND voided_at IS NULL AND reminders_paused_at IS NULL
                            """, arguments: [now, id])
                    outcome.pausedInvoices += db.changesCount
                case .nothing:
                    break
                }
            }
            return outcome
        }
    }

    @discardableResult
    static func queueNotice(
        _ db: Database, customerID: Int64, phone: String, kind: MessageKind, body: String, now: Date
    ) throws -> Int64 {
        let analysis = SMSText.analyze(body)
        var message = MessageRecord(
            customerID: customerID, kind: kind, channel: .sms, recipient: phone, body: analysis.text, status: .queued,
            createdAt: now, encoding: analysis.encoding, segments: analysis.segments, attempts: 0, updatedAt: now)
        try message.insert(db)
        let messageID = try message.storedID()
        try Store.recordEvent(db, messageID: messageID, status: .queued, at: now, detail: nil)
        return messageID
    }

    /// Records a delivery report that names the message by the provider's id (Twilio's MessageSid).
    @discardableResult
    public func recordDelivery(provider: String, providerID: String, _ status: DeliveryStatus, now: Date) async throws
        -> Bool
    {
        let id = try await pool.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT id FROM message WHERE provider = ? AND provider_id = ?",
                arguments: [provider, providerID])
        }
        guard let id else { return false }
        return try await recordDelivery(messageID: id, status, now: now)
    }

    /// Records a provider's delivery report. Returns false when no such message exists.
    @discardableResult
    public func recordDelivery(messageID: Int64, _ status: DeliveryStatus, now: Date) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM message WHERE id = ?", arguments: [messageID]) == true
            else {
                return false
            }
            switch status {
            case .delivered:
                try db.execute(
                    sql: "UPDATE message SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
                    arguments: [MessageStatus.delivered, now, messageID, MessageStatus.delivered])
                try Store.recordEvent(db, messageID: messageID, status: .delivered, at: now, detail: nil)
            case .failed(let reason):
                let before = try MessageStatus.fetchOne(
                    db, sql: "SELECT status FROM message WHERE id = ?", arguments: [messageID])
                if before != .failed && before != .delivered {
                    try Store.emitMessageFailed(db, messageID: messageID, reason: reason, now: now)
                }
                try db.execute(
                    sql: "UPDATE message SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status != ?",
                    arguments: [MessageStatus.failed, reason, now, messageID, MessageStatus.delivered])
                try Store.recordEvent(db, messageID: messageID, status: .failed, at: now, detail: reason)
            case .progress(let detail):
                try Store.recordEvent(db, messageID: messageID, status: .report, at: now, detail: detail)
            }
            return true
        }
    }
}

/// A text a customer sent, as the dashboard's inbox lists it.
public struct InboundReply: Sendable, Equatable {
    public var id: Int64
    public var from: String
    public var customerName: String?
    public var body: String
    /// `stop`, `start` or `other`.
    public var keyword: String
    public var receivedAt: Date
    public var read: Bool
}

extension Store {
    /// The latest replies, newest first.
    public func recentReplies(limit: Int) async throws -> [InboundReply] {
        try await pool.read { db in try Store.replies(db, customerID: nil, limit: limit) }
    }

    /// Replies newest first: everyone's, or one customer's.
    static func replies(_ db: Database, customerID: Int64?, limit: Int) throws -> [InboundReply] {
        try ReplyRow.fetchAll(
            db,
            sql: """
                SELECT n.*, c.name AS customer_name
                FROM inbound n LEFT JOIN customer c ON c.id = n.customer_id
                \(customerID == nil ? "" : "WHERE n.customer_id = ?")
                ORDER BY n.id DESC LIMIT ?
                """, arguments: StatementArguments((customerID.map { [$0] } ?? []) + [Int64(limit)])
        ).map { reply in
            try InboundReply(
                id: reply.inbound.storedID(), from: reply.inbound.fromNumber, customerName: reply.customer.name,
                body: reply.inbound.body, keyword: reply.inbound.keyword.rawValue, receivedAt: reply.inbound.receivedAt,
                read: reply.inbound.readAt != nil)
        }
    }

    /// A row of `replies`: the reply, and the name of the customer it was matched to, if any.
    struct ReplyRow: FetchableRecord {
        struct Customer: Decodable, FetchableRecord {
            var name: String?

            enum CodingKeys: String, CodingKey {
                case name = "customer_name"
            }
        }

        var inbound: InboundRecord
        var customer: Customer

        init(row: Row) throws {
            inbound = try InboundRecord(row: row)
            customer = try Customer(row: row)
        }
    }
}

extension Store {
    /// Marks a reply as seen by the business.
    public func markReplyRead(id: Int64, now: Date, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            try db.execute(
                sql: "UPDATE inbound SET read_at = ? WHERE id = ? AND read_at IS NULL", arguments: [now, id])
        }
    }
}
