import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `idempotency`: the answer an idempotent API write gave, kept to answer its retries alike.
struct IdempotencyRecord: AutoIncrementedRow {
    static let databaseTableName = "idempotency"

    var id: Int64?
    var apiKeyID: Int64
    var key: String
    var requestHash: String
    var responseStatus: Int
    var responseBody: Data
    var createdAt: Date

    enum Columns {
        static let apiKeyID = Column("api_key_id")
        static let key = Column("key")
    }
}
