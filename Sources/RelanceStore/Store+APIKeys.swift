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
    public func createAPIKey(name: String, now: Date) async throws -> (APIKey, secret: String) {
        let secret = "rlk_" + Base64URL.encode(Crypto.randomBytes(32))
        let prefix = String(secret.prefix(12))
        let id = try await pool.write { db in
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

    /// Revokes a key by id.
    public func revokeAPIKey(id: Int64, now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_key SET revoked_at = ? WHERE id = ?", arguments: [now, id])
            if db.changesCount == 0 { throw StoreError.notFound("api key \(id)") }
        }
    }
}
