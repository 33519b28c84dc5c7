import Foundation
import GRDB
import RelanceCore

/// A row of `webhook_event`: one event and the exact JSON every endpoint receives for it.
struct WebhookEventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
    static let databaseTableName = "webhook_event"

    var id: Int64?
    var type: WebhookEventType
    var payload: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case type
        case payload
        case createdAt = "created_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let type = Column(CodingKeys.type)
        static let payload = Column(CodingKeys.payload)
        static let createdAt = Column(CodingKeys.createdAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
