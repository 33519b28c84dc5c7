import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `api_key`: only the key's SHA-256 is kept, and a prefix to recognise it by.
struct APIKeyRecord: AutoIncrementedRow {
    static let databaseTableName = "api_key"

    var id: Int64?
    var name: String
    var prefix: String
    var hash: String
    var createdAt: Date
    var revokedAt: Date?

    enum Columns {
        static let hash = Column("hash")
        static let revokedAt = Column("revoked_at")
    }
}
