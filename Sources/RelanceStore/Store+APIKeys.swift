import Foundation
import GRDB
import RelanceCore

/// A machine's access to the JSON API. Only a hash of the key is stored; the key is shown once.
public struct APIKey: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var prefix: String
}

extension Store {
    /// Creates an API key and returns it with the only copy of its secret.
    public func createAPIKey(name: String, now: Date, audit: AuditNote? = nil) async throws -> (APIKey, secret: String)
    {
        let secret = "rlk_" + Base64URL.encode(Crypto.randomBytes(32))
        let prefix = String(secret.prefix(12))
        let id = try await write(audit: audit) { db in
            try db.execute(
                sql: "INSERT INTO api_key (name, prefix, hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, prefix, Crypto.sha256Hex(secret), now])
            return db.lastInsertedRowID
        }
        return (APIKey(id: id, name: name, prefix: prefix), secret)
    }

    /// The key a bearer secret belongs to, if it exists and is not revoked. Keys are random 256-bit
    /// values, so a plain SHA-256 lookup is safe; no secret is compared byte by byte.
    public func apiKey(secret: String) async throws -> APIKey? {
        guard secret.hasPrefix("rlk_"), secret.utf8.count < 100 else { return nil }
        let hash = Crypto.sha256Hex(secret)
        return try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, name, prefix FROM api_key WHERE hash = ? AND revoked_at IS NULL", arguments: [hash]
            ).map { APIKey(id: $0["id"], name: $0["name"], prefix: $0["prefix"]) }
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
            try Row.fetchAll(
                db,
                sql: """
                    SELECT k.id, k.name, k.prefix, k.created_at, k.revoked_at,
                        (SELECT MAX(a.at) FROM audit a WHERE a.api_key_id = k.id) AS last_used_at
                    FROM api_key k ORDER BY k.id
                    """
            ).map {
                APIKeyListing(
                    key: APIKey(id: $0["id"], name: $0["name"], prefix: $0["prefix"]), createdAt: $0["created_at"],
                    revokedAt: $0["revoked_at"], lastUsedAt: $0["last_used_at"])
            }
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
