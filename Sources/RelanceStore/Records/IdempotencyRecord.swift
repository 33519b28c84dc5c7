import Foundation
import GRDB
import RelanceCore

/// A row of `idempotency`: the answer an idempotent API write gave, kept to answer its retries alike.
struct IdempotencyRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord
{
    static let databaseTableName = "idempotency"

    var id: Int64?
    var apiKeyID: Int64
    var key: String
    var requestHash: String
    var responseStatus: Int
    var responseBody: Data
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case apiKeyID = "api_key_id"
        case key
        case requestHash = "request_hash"
        case responseStatus = "response_status"
        case responseBody = "response_body"
        case createdAt = "created_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let apiKeyID = Column(CodingKeys.apiKeyID)
        static let key = Column(CodingKeys.key)
        static let requestHash = Column(CodingKeys.requestHash)
        static let responseStatus = Column(CodingKeys.responseStatus)
        static let responseBody = Column(CodingKeys.responseBody)
        static let createdAt = Column(CodingKeys.createdAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
