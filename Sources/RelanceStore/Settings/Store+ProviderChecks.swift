import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// How texts fared lately, for the settings page: per provider and status, and the last failure.
public struct ProviderStatus: Sendable, Equatable {
    public var counts: [(channel: Channel, provider: String, status: MessageStatus, count: Int)]
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
            let counts = try ProviderCount.fetchAll(
                db,
                sql: """
                    SELECT channel, COALESCE(provider, '—') AS provider, status, COUNT(*) AS count FROM message
                    WHERE created_at >= ? AND status NOT IN (?, ?)
                    GROUP BY channel, provider, status ORDER BY channel DESC, provider, status
                    """, arguments: [since, MessageStatus.queued, MessageStatus.cancelled]
            ).map { (channel: $0.channel, provider: $0.provider, status: $0.status, count: $0.count) }
            let failure = try LastFailure.fetchOne(
                db,
                sql: """
                    SELECT provider, error, updated_at FROM message
                    WHERE status = ? AND error IS NOT NULL ORDER BY updated_at DESC LIMIT 1
                    """, arguments: [MessageStatus.failed]
            ).map { (provider: $0.provider ?? "—", error: $0.error, at: $0.updatedAt) }
            let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE status = 'queued'") ?? 0
            return ProviderStatus(counts: counts, lastFailure: failure, queued: queued)
        }
    }

    /// One line of `providerStatus`'s counts.
    struct ProviderCount: Decodable, FetchableRecord {
        var channel: Channel
        /// The provider's name, or "—" for messages no provider saw.
        var provider: String
        var status: MessageStatus
        var count: Int
    }

    /// The latest failure `providerStatus` shows.
    struct LastFailure: Decodable, FetchableRecord, SnakeCaseColumns {
        var provider: String?
        var error: String
        var updatedAt: Date

    }

    /// Whether a test text from the settings page was accepted by the provider (sent or delivered).
    public func testTextWentOut() async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM message WHERE kind = ? AND status IN (?, ?) LIMIT 1",
                arguments: [MessageKind.test, MessageStatus.sent, MessageStatus.delivered])
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
                db, customerID: customerID, phone: phone.e164, kind: .test, body: body, now: now)
        }
    }
}
