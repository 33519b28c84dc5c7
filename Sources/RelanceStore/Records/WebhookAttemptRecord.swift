import Foundation
import GRDB
import RelanceCore

/// A row of `webhook_attempt`: one POST of a delivery and what came of it.
struct WebhookAttemptRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
    static let databaseTableName = "webhook_attempt"

    var id: Int64?
    var deliveryID: Int64
    var at: Date
    var statusCode: Int?
    var error: String?
    var milliseconds: Int

    enum CodingKeys: String, CodingKey {
        case id
        case deliveryID = "delivery_id"
        case at
        case statusCode = "status_code"
        case error
        case milliseconds
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let deliveryID = Column(CodingKeys.deliveryID)
        static let at = Column(CodingKeys.at)
        static let statusCode = Column(CodingKeys.statusCode)
        static let error = Column(CodingKeys.error)
        static let milliseconds = Column(CodingKeys.milliseconds)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
