import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A machine's access to the JSON API. Only a hash of the key is stored; the key is shown once.
public struct APIKey: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var prefix: String
}

extension APIKey {
    /// The key as the API knows it, without its hash.
    init(_ record: APIKeyRecord) throws {
        try self.init(id: record.storedID(), name: record.name, prefix: record.prefix)
    }
}

extension Store {
    /// Creates an API key and returns it with the only copy of its secret.
    public func createAPIKey(name: String, now: Date, audit: AuditNote? = nil) async throws -> (APIKey, secret: String)
    {
        let secret = "rlk_" + Base64URL.encode(Crypto.randomBytes(32))
        let prefix = String(secret.prefix(12))
        let id = try await write(audit: audit) { db in
            var key = APIKeyRecord(name: name, prefix: prefix, hash: Crypto.sha256Hex(secret), createdAt: now)
            try key.insert(db)
            return try key.storedID()
        }
        return (APIKey(id: id, name: name, prefix: prefix), secret)
    }

    /// The key a bearer secret belongs to, if it exists and is not revoked. Keys are random 256-bit
    /// values, so a plain SHA-256 lookup is safe; no secret is compared byte by byte.
    public func apiKey(secret: String) async throws -> APIKey? {
        guard secret.hasPrefix("rlk_"), secret.utf8.count < 100 else { return nil }
        let hash = Crypto.sha256Hex(secret)
        return try await pool.read { db in
            try APIKeyRecord.filter(APIKeyRecord.Columns.hash == hash && APIKeyRecord.Columns.revokedAt == nil)
                .fetchOne(db)
                .map { try APIKey($0) }
        }
    }

    /// Revokes a key by id; true when it was live, false when it was already revoked.
    @discardableResult
    public func revokeAPIKey(id: Int64, now: Date, audit: AuditNote? = nil) async throws -> Bool {
        try await write(audit: audit) { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM api_key WHERE id = ?", arguments: [id]) != nil else {
                throw StoreError.notFound("api key \(id)")
            }
            try db.execute(
                sql: "UPDATE api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id])
            return db.changesCount > 0
        }
    }

    /// Every key, live or revoked, with when it last changed something (from the audit trail).
    public func apiKeys() async throws -> [APIKeyListing] {
        try await pool.read { db in
            try KeyRow.fetchAll(
                db,
                sql: """
                    SELECT k.*, (SELECT MAX(a.at) FROM audit a WHERE a.api_key_id = k.id) AS last_used_at
                    FROM api_key k ORDER BY k.id
                    """
            ).map { row in
                try APIKeyListing(
                    key: APIKey(row.key), createdAt: row.key.createdAt, revokedAt: row.key.revokedAt,
                    lastUsedAt: row.use.lastUsedAt)
            }
        }
    }

    /// A row of `apiKeys`'s SELECT: the key, and the last change made with it.
    struct KeyRow: FetchableRecord {
        struct Use: Decodable, FetchableRecord, SnakeCaseColumns {
            var lastUsedAt: Date?

        }

        var key: APIKeyRecord
        var use: Use

        init(row: Row) throws {
            key = try APIKeyRecord(row: row)
            use = try Use(row: row)
        }
    }
}

/// A key as `relance apikey list` shows it: never its secret, which is not stored.
public struct APIKeyListing: Sendable, Equatable {
    public var key: APIKey
    public var createdAt: Date
    public var revokedAt: Date?
    /// The last change made with it, if any.
    public var lastUsedAt: Date?
}
