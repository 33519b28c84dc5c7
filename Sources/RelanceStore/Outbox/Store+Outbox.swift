import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    /// How many messages wait in the outbox, and since when the oldest has.
    public func outboxDepth() async throws -> (queued: Int, oldest: Date?) {
        try await pool.read { db in
            // 'queued' stays a literal here and in the other counts of the outbox: SQLite takes the partial
            // index `message_queued` only for a WHERE it can match when the statement is prepared, not for
            // a bound value.
            let depth = try Depth.fetchOne(
                db, sql: "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM message WHERE status = 'queued'")
            return (depth?.n ?? 0, depth?.oldest)
        }
    }

    /// The outbox's size and age, as `outboxDepth` reads them.
    struct Depth: Decodable, FetchableRecord {
        var n: Int
        var oldest: Date?
    }

    /// After this many attempts a message that keeps failing transiently is marked failed.
    public static let maximumAttempts = 5
    /// The same for email: the backoff (30 s × 4ⁿ) reaches about 45 hours by the last.
    public static let maximumEmailAttempts = 8

    /// Every message about an invoice, oldest first, including messages that covered it with others.
    public func messages(invoiceID: Int64) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try MessageRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM message
                    WHERE invoice_id = ? OR id IN (SELECT message_id FROM reminder WHERE invoice_id = ?)
                    ORDER BY id
                    """, arguments: [invoiceID, invoiceID]
            ).map { try OutboxMessage($0) }
        }
    }

    /// The statuses a message went through, oldest first.
    public func messageEvents(messageID: Int64) async throws -> [(status: String, at: Date, detail: String?)] {
        try await pool.read { db in
            try MessageEventRecord.filter(MessageEventRecord.Columns.messageID == messageID)
                .order(MessageEventRecord.Columns.id)
                .fetchAll(db)
                .map { (status: $0.status.rawValue, at: $0.at, detail: $0.detail) }
        }
    }

    /// At start-up: a message left `sending` by a crash may or may not have reached the provider. It
    /// becomes `unknown`, is never sent again automatically, and is flagged for a person to look at.
    @discardableResult
    public func markInterruptedSendsUnknown(now: Date) async throws -> Int {
        try await pool.write { db in
            let ids = try Int64.fetchAll(
                db, sql: "SELECT id FROM message WHERE status = ?", arguments: [MessageStatus.sending])
            for id in ids {
                try db.execute(
                    sql: "UPDATE message SET status = ?, updated_at = ? WHERE id = ?",
                    arguments: [MessageStatus.unknown, now, id])
                try Store.recordEvent(
                    db, messageID: id, status: .unknown, at: now,
                    detail: "interrupted while sending; not retried automatically")
            }
            return ids.count
        }
    }

    /// Takes the next queued message whose time has come and marks it `sending`, committed before the
    /// provider is called. A reminder whose invoices are all settled, void or paused is cancelled
    /// instead, and so is an SMS to a customer who has opted out since it was queued.
    public func claimNextMessage(now: Date, channel: Channel = .sms) async throws -> ClaimedMessage? {
        try await pool.write { db in
            while let claim = try OutboxClaim.fetchOne(
                db,
                sql: """
                    SELECT m.*, c.sms_opted_out_at, c.email_opted_out_at FROM message m
                    JOIN customer c ON c.id = m.customer_id
                    WHERE m.status = 'queued' AND m.channel = ?
                        AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= ?)
                    ORDER BY m.id LIMIT 1
                    """, arguments: [channel.rawValue, now])
            {
                let message = claim.message
                let id = try message.storedID()
                if let reason = try Store.reasonToCancel(db, claim) {
                    try db.execute(
                        sql: "UPDATE message SET status = 'cancelled', updated_at = ? WHERE id = ?",
                        arguments: [now, id])
                    try Store.recordEvent(db, messageID: id, status: .cancelled, at: now, detail: reason)
                    continue
                }
                try db.execute(
                    sql: "UPDATE message SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
                    arguments: [now, id])
                try Store.recordEvent(db, messageID: id, status: .sending, at: now, detail: nil)
                return ClaimedMessage(
                    id: id, channel: message.channel.rawValue, recipient: message.recipient, body: message.body,
                    encoding: message.encoding ?? SMSText.analyze(message.body).encoding,
                    attempts: message.attempts + 1, subject: message.subject, html: message.html,
                    unsubscribeURL: message.unsubscribeURL)
            }
            return nil
        }
    }

    /// A row of the claim's SELECT: the message, and its customer's opt-outs, which may have come since
    /// it was queued.
    struct OutboxClaim: FetchableRecord {
        struct OptOuts: Decodable, FetchableRecord, SnakeCaseColumns {
            var smsOptedOutAt: Date?
            var emailOptedOutAt: Date?

        }

        var message: MessageRecord
        var optOuts: OptOuts

        init(row: Row) throws {
            message = try MessageRecord(row: row)
            optOuts = try OptOuts(row: row)
        }
    }

    static func reasonToCancel(_ db: Database, _ claim: OutboxClaim) throws -> String? {
        let message = claim.message
        // The one confirmation of a STOP goes out even though the customer has just opted out.
        if message.channel == .sms, claim.optOuts.smsOptedOutAt != nil, message.kind != .optOutConfirmation {
            return "customer opted out"
        }
        if message.channel == .email, claim.optOuts.emailOptedOutAt != nil {
            return "customer opted out of email"
        }
        guard message.kind == .reminder else { return nil }
        let id = try message.storedID()
        let open =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM invoice
                    WHERE (id = ? OR id IN (SELECT invoice_id FROM reminder WHERE message_id = ?))
                        AND paid_at IS NULL AND voided_at IS NULL AND reminders_paused_at IS NULL
                    """, arguments: [message.invoiceID, id]) ?? 0
        return open == 0 ? "nothing left to ask for: paid, void or paused" : nil
    }

    /// Records what the provider said about a claimed message. A delivery report can arrive before
    /// the provider's answer is recorded (the gateway is fast, the answer slow): the status only moves
    /// on from `sending`, so an earlier `delivered` or `failed` is never overwritten; the event is kept
    /// either way.
    public func recordSendResult(messageID: Int64, _ result: SendResult, attempts: Int, now: Date) async throws {
        try await pool.write { db in
            switch result {
            case .accepted(let provider, let providerID):
                try db.execute(
                    sql: """
                        UPDATE message SET provider = ?, provider_id = ?, sent_at = ?, updated_at = ?, error = NULL,
                            status = CASE WHEN status = ? THEN ? ELSE status END
                        WHERE id = ?
                        """,
                    arguments: [provider, providerID, now, now, MessageStatus.sending, MessageStatus.sent, messageID])
                try Store.recordEvent(db, messageID: messageID, status: .sent, at: now, detail: providerID)
            case .permanentFailure(let provider, let reason):
                try Store.markFailed(
                    db, messageID: messageID, provider: provider, error: reason, detail: reason, now: now)
            case .uncertain(let provider, let reason):
                try db.execute(
                    sql: """
                        UPDATE message SET provider = ?, error = ?, updated_at = ?,
                            status = CASE WHEN status = ? THEN ? ELSE status END
                        WHERE id = ?
                        """,
                    arguments: [provider, reason, now, MessageStatus.sending, MessageStatus.unknown, messageID])
                try Store.recordEvent(db, messageID: messageID, status: .unknown, at: now, detail: reason)
            case .transientFailure(let provider, let reason):
                // Mail servers may be down for hours (RFC 5321 asks senders to keep trying for days):
                // email gets more attempts than a text, about two days in all.
                let channel = try Channel.fetchOne(
                    db, sql: "SELECT channel FROM message WHERE id = ?", arguments: [messageID])
                let limit = channel == .email ? Store.maximumEmailAttempts : Store.maximumAttempts
                if attempts >= limit {
                    try Store.markFailed(
                        db, messageID: messageID, provider: provider,
                        error: "gave up after \(attempts) attempts: \(reason)", detail: reason, now: now)
                } else {
                    // 30 s, 2 min, 8 min, 32 min…
                    let delay = 30 * pow(4, Double(attempts - 1))
                    try db.execute(
                        sql: """
                            UPDATE message SET status = ?, provider = ?, error = ?, next_attempt_at = ?, updated_at = ?
                            WHERE id = ? AND status = ?
                            """,
                        arguments: [
                            MessageStatus.queued, provider, reason, now.addingTimeInterval(delay), now, messageID,
                            MessageStatus.sending,
                        ])
                    try Store.recordEvent(db, messageID: messageID, status: .retry, at: now, detail: reason)
                }
            }
        }
    }

    /// A failure moves the status on only from `sending` (a delivery report may have come first).
    static func markFailed(_ db: Database, messageID: Int64, provider: String, error: String, detail: String, now: Date)
        throws
    {
        if try MessageStatus.fetchOne(db, sql: "SELECT status FROM message WHERE id = ?", arguments: [messageID])
            == .sending
        {
            try Store.emitMessageFailed(db, messageID: messageID, reason: error, now: now)
        }
        try db.execute(
            sql: """
                UPDATE message SET provider = ?, error = ?, updated_at = ?,
                    status = CASE WHEN status = ? THEN ? ELSE status END
                WHERE id = ?
                """, arguments: [provider, error, now, MessageStatus.sending, MessageStatus.failed, messageID])
        try Store.recordEvent(db, messageID: messageID, status: .failed, at: now, detail: detail)
    }

    /// The current status of some messages, by id.
    public func messageStatuses(_ ids: [Int64]) async throws -> [Int64: String] {
        try await pool.read { db in
            var statuses: [Int64: String] = [:]
            for id in ids {
                statuses[id] = try MessageStatus.fetchOne(
                    db, sql: "SELECT status FROM message WHERE id = ?", arguments: [id]
                )?.rawValue
            }
            return statuses
        }
    }

    static func cancelQueuedMessages(
        _ db: Database, invoiceID: Int64, now: Date, reason: String = "invoice settled", remindersOnly: Bool = false
    ) throws {
        var queued = MessageRecord.queued(invoiceID: invoiceID)
        if remindersOnly { queued = queued.filter(MessageRecord.Columns.kind == MessageKind.reminder) }
        let ids = try queued.select(MessageRecord.Columns.id, as: Int64.self).fetchAll(db)
        try cancelMessages(db, ids: ids, now: now, reason: reason)
    }

    /// Cancels messages that have not left, each with its event saying why.
    static func cancelMessages(_ db: Database, ids: [Int64], now: Date, reason: String) throws {
        for id in ids {
            try db.execute(
                sql: "UPDATE message SET status = ?, updated_at = ? WHERE id = ?",
                arguments: [MessageStatus.cancelled, now, id])
            try Store.recordEvent(db, messageID: id, status: .cancelled, at: now, detail: reason)
        }
    }
}
