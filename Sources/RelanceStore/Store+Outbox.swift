import Foundation
import GRDB
import RelanceCore

extension Store {
    /// How many messages wait in the outbox, and since when the oldest has.
    public func outboxDepth() async throws -> (queued: Int, oldest: Date?) {
        try await pool.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM message WHERE status = 'queued'")
            return (row?["n"] ?? 0, row?["oldest"])
        }
    }

    /// After this many attempts a message that keeps failing transiently is marked failed.
    public static let maximumAttempts = 5
    /// The same for email: the backoff (30 s × 4ⁿ) reaches about 45 hours by the last.
    public static let maximumEmailAttempts = 8

    /// Every message about an invoice, oldest first, including messages that covered it with others.
    public func messages(invoiceID: Int64) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM message
                    WHERE invoice_id = ? OR id IN (SELECT message_id FROM reminder WHERE invoice_id = ?)
                    ORDER BY id
                    """, arguments: [invoiceID, invoiceID]
            ).map(OutboxMessage.init(row:))
        }
    }

    /// The statuses a message went through, oldest first.
    public func messageEvents(messageID: Int64) async throws -> [(status: String, at: Date, detail: String?)] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT status, at, detail FROM message_event WHERE message_id = ? ORDER BY id",
                arguments: [messageID]
            ).map { ($0["status"], $0["at"], $0["detail"]) }
        }
    }

    /// At start-up: a message left `sending` by a crash may or may not have reached the provider. It
    /// becomes `unknown`, is never sent again automatically, and is flagged for a person to look at.
    @discardableResult
    public func markInterruptedSendsUnknown(now: Date) async throws -> Int {
        try await pool.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM message WHERE status = 'sending'")
            for id in ids {
                try db.execute(
                    sql: "UPDATE message SET status = 'unknown', updated_at = ? WHERE id = ?", arguments: [now, id])
                try Store.recordEvent(
                    db, messageID: id, status: "unknown", at: now,
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
            while let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT m.*, c.sms_opted_out_at, c.email_opted_out_at FROM message m
                    JOIN customer c ON c.id = m.customer_id
                    WHERE m.status = 'queued' AND m.channel = ?
                        AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= ?)
                    ORDER BY m.id LIMIT 1
                    """, arguments: [channel.rawValue, now])
            {
                let id: Int64 = row["id"]
                if let reason = try Store.reasonToCancel(db, message: row) {
                    try db.execute(
                        sql: "UPDATE message SET status = 'cancelled', updated_at = ? WHERE id = ?",
                        arguments: [now, id])
                    try Store.recordEvent(db, messageID: id, status: "cancelled", at: now, detail: reason)
                    continue
                }
                try db.execute(
                    sql: "UPDATE message SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
                    arguments: [now, id])
                try Store.recordEvent(db, messageID: id, status: "sending", at: now, detail: nil)
                return ClaimedMessage(
                    id: id, channel: row["channel"], recipient: row["recipient"], body: row["body"],
                    encoding: SMSEncoding(rawValue: row["encoding"] ?? "") ?? SMSText.analyze(row["body"]).encoding,
                    attempts: (row["attempts"] as Int) + 1, subject: row["subject"], html: row["html"],
                    unsubscribeURL: row["unsubscribe_url"])
            }
            return nil
        }
    }

    static func reasonToCancel(_ db: Database, message row: Row) throws -> String? {
        // The one confirmation of a STOP goes out even though the customer has just opted out.
        if row["channel"] as String == "sms", row["sms_opted_out_at"] as String? != nil,
            row["kind"] as String != "opt_out_confirmation"
        {
            return "customer opted out"
        }
        if row["channel"] as String == "email", row["email_opted_out_at"] as String? != nil {
            return "customer opted out of email"
        }
        guard row["kind"] as String == "reminder" else { return nil }
        let id: Int64 = row["id"]
        let open =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM invoice
                    WHERE (id = ? OR id IN (SELECT invoice_id FROM reminder WHERE message_id = ?))
                        AND paid_at IS NULL AND voided_at IS NULL AND reminders_paused_at IS NULL
                    """, arguments: [row["invoice_id"] as Int64?, id]) ?? 0
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
                            status = CASE WHEN status = 'sending' THEN 'sent' ELSE status END
                        WHERE id = ?
                        """, arguments: [provider, providerID, now, now, messageID])
                try Store.recordEvent(db, messageID: messageID, status: "sent", at: now, detail: providerID)
            case .permanentFailure(let provider, let reason):
                try Store.markFailed(
                    db, messageID: messageID, provider: provider, error: reason, detail: reason, now: now)
            case .uncertain(let provider, let reason):
                try db.execute(
                    sql: """
                        UPDATE message SET provider = ?, error = ?, updated_at = ?,
                            status = CASE WHEN status = 'sending' THEN 'unknown' ELSE status END
                        WHERE id = ?
                        """, arguments: [provider, reason, now, messageID])
                try Store.recordEvent(db, messageID: messageID, status: "unknown", at: now, detail: reason)
            case .transientFailure(let provider, let reason):
                // Mail servers may be down for hours (RFC 5321 asks senders to keep trying for days):
                // email gets more attempts than a text, about two days in all.
                let channel = try String.fetchOne(
                    db, sql: "SELECT channel FROM message WHERE id = ?", arguments: [messageID])
                let limit = channel == "email" ? Store.maximumEmailAttempts : Store.maximumAttempts
                if attempts >= limit {
                    try Store.markFailed(
                        db, messageID: messageID, provider: provider,
                        error: "gave up after \(attempts) attempts: \(reason)", detail: reason, now: now)
                } else {
                    // 30 s, 2 min, 8 min, 32 min…
                    let delay = 30 * pow(4, Double(attempts - 1))
                    try db.execute(
                        sql: """
                            UPDATE message SET status = 'queued', provider = ?, error = ?, next_attempt_at = ?,
                                updated_at = ?
                            WHERE id = ? AND status = 'sending'
                            """, arguments: [provider, reason, now.addingTimeInterval(delay), now, messageID])
                    try Store.recordEvent(db, messageID: messageID, status: "retry", at: now, detail: reason)
                }
            }
        }
    }

    /// A failure moves the status on only from `sending` (a delivery report may have come first).
    static func markFailed(_ db: Database, messageID: Int64, provider: String, error: String, detail: String, now: Date)
        throws
    {
        if try String.fetchOne(db, sql: "SELECT status FROM message WHERE id = ?", arguments: [messageID]) == "sending"
        {
            try Store.emitMessageFailed(db, messageID: messageID, reason: error, now: now)
        }
        try db.execute(
            sql: """
                UPDATE message SET provider = ?, error = ?, updated_at = ?,
                    status = CASE WHEN status = 'sending' THEN 'failed' ELSE status END
                WHERE id = ?
                """, arguments: [provider, error, now, messageID])
        try Store.recordEvent(db, messageID: messageID, status: "failed", at: now, detail: detail)
    }

    /// The current status of some messages, by id.
    public func messageStatuses(_ ids: [Int64]) async throws -> [Int64: String] {
        try await pool.read { db in
            var statuses: [Int64: String] = [:]
            for id in ids {
                statuses[id] = try String.fetchOne(db, sql: "SELECT status FROM message WHERE id = ?", arguments: [id])
            }
            return statuses
        }
    }

    static func cancelQueuedMessages(
        _ db: Database, invoiceID: Int64, now: Date, reason: String = "invoice settled", remindersOnly: Bool = false
    ) throws {
        let ids = try Int64.fetchAll(
            db,
            sql: "SELECT id FROM message WHERE invoice_id = ? AND status = 'queued'"
                + (remindersOnly ? " AND kind = 'reminder'" : ""), arguments: [invoiceID])
        for id in ids {
            try db.execute(
                sql: "UPDATE message SET status = 'cancelled', updated_at = ? WHERE id = ?", arguments: [now, id])
            try Store.recordEvent(db, messageID: id, status: "cancelled", at: now, detail: reason)
        }
    }
}

/// How texts fared lately, for the settings page: per provider and status, and the last failure.
public struct ProviderStatus: Sendable, Equatable {
    public var counts: [(channel: String, provider: String, status: String, count: Int)]
    public var lastFailure: (provider: String, error: String, at: Date)?
    /// Messages waiting to be sent (a growing number means the provider is not taking them).
    public var queued: Int

    public static func == (lhs: ProviderStatus, rhs: ProviderStatus) -> Bool {
        lhs.counts.map { "\($0)" } == rhs.counts.map { "\($0)" } && lhs.queued == rhs.queued
            && lhs.lastFailure.map { "\($0)" } == rhs.lastFailure.map { "\($0)" }
    }
}

extension Store {
    /// Texts since `since` by provider and status, the latest failure, and what is queued now.
    public func providerStatus(since: Date) async throws -> ProviderStatus {
        try await pool.read { db in
            let counts = try Row.fetchAll(
                db,
                sql: """
                    SELECT channel, COALESCE(provider, '—') AS provider, status, COUNT(*) AS count FROM message
                    WHERE created_at >= ? AND status NOT IN ('queued', 'cancelled')
                    GROUP BY channel, provider, status ORDER BY channel DESC, provider, status
                    """, arguments: [since]
            ).map {
                (
                    channel: $0["channel"] as String, provider: $0["provider"] as String,
                    status: $0["status"] as String, count: $0["count"] as Int
                )
            }
            let failure = try Row.fetchOne(
                db,
                sql: """
                    SELECT provider, error, updated_at FROM message
                    WHERE status = 'failed' AND error IS NOT NULL ORDER BY updated_at DESC LIMIT 1
                    """
            ).map {
                (provider: $0["provider"] as String? ?? "—", error: $0["error"] as String, at: $0["updated_at"] as Date)
            }
            let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE status = 'queued'") ?? 0
            return ProviderStatus(counts: counts, lastFailure: failure, queued: queued)
        }
    }

    /// Whether a test text from the settings page was accepted by the provider (sent or delivered).
    public func testTextWentOut() async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM message WHERE kind = 'test' AND status IN ('sent', 'delivered') LIMIT 1")
                == true
        }
    }

    /// Queues a test text to `phone`, sent like any other message; it belongs to a customer kept for tests.
    public func queueTestMessage(phone: PhoneNumber, body: String, now: Date, audit: AuditNote? = nil) async throws
        -> Int64
    {
        try await write(audit: audit, fill: { note, id in note.detail = note.detail ?? "message \(id)" }) { db in
            let customerID: Int64
            if let existing = try Int64.fetchOne(
                db, sql: "SELECT id FROM customer WHERE external_ref = 'relance:test-recipient'")
            {
                customerID = existing
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO customer (name, external_ref, created_at)
                        VALUES ('Test texts from the dashboard', 'relance:test-recipient', ?)
                        """, arguments: [now])
                customerID = db.lastInsertedRowID
            }
            return try Store.queueNotice(
                db, customerID: customerID, phone: phone.e164, kind: "test", body: body, now: now)
        }
    }
}
