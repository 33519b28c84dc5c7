import Foundation
import GRDB
import RelanceCore

/// A row of `api_key`: only the key's SHA-256 is kept, and a prefix to recognise it by.
struct APIKeyRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "api_key"

    var id: Int64?
    var name: String
    var prefix: String
    var hash: String
    var createdAt: Date
    var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case prefix
        case hash
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let name = Column(CodingKeys.name)
        static let prefix = Column(CodingKeys.prefix)
        static let hash = Column(CodingKeys.hash)
        static let createdAt = Column(CodingKeys.createdAt)
        static let revokedAt = Column(CodingKeys.revokedAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
