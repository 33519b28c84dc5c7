import Foundation
import GRDB
import RelanceCore

/// A row of `session`: a signed-in browser. The cookie's token is kept only as its SHA-256.
struct SessionRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "session"

    var id: Int64?
    var tokenHash: String
    var userID: Int64
    var csrf: String
    var createdAt: Date
    var lastSeenAt: Date
    var expiresAt: Date
    var ipHash: String?
    var endedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id
        case tokenHash = "token_hash"
        case userID = "user_id"
        case csrf
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case expiresAt = "expires_at"
        case ipHash = "ip_hash"
        case endedAt = "ended_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let tokenHash = Column(CodingKeys.tokenHash)
        static let userID = Column(CodingKeys.userID)
        static let csrf = Column(CodingKeys.csrf)
        static let createdAt = Column(CodingKeys.createdAt)
        static let lastSeenAt = Column(CodingKeys.lastSeenAt)
        static let expiresAt = Column(CodingKeys.expiresAt)
        static let ipHash = Column(CodingKeys.ipHash)
        static let endedAt = Column(CodingKeys.endedAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
