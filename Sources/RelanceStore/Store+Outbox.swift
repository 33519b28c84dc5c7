import Foundation
import GRDB

extension Store {
    /// The oldest queued messages, for a sender to hand to a provider.
    public func queuedMessages(limit: Int) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM message WHERE status = 'queued' ORDER BY id LIMIT ?", arguments: [limit]
            ).map(OutboxMessage.init(row:))
        }
    }

    /// Every message about an invoice, oldest first.
    public func messages(invoiceID: Int64) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM message WHERE invoice_id = ? ORDER BY id", arguments: [invoiceID])
                .map(OutboxMessage.init(row:))
        }
    }

    /// Marks a message handed to the provider.
    public func markMessageSent(id: Int64, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE message SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'queued'",
                arguments: [now, id])
        }
    }

    static func cancelQueuedMessages(_ db: Database, invoiceID: Int64) throws {
        try db.execute(
            sql: "UPDATE message SET status = 'cancelled' WHERE invoice_id = ? AND status = 'queued'",
            arguments: [invoiceID])
    }
}
