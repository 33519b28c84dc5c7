import Foundation
import GRDB
import RelanceCore

/// A row of `webhook_delivery`: one event on its way to one endpoint.
struct WebhookDeliveryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
    static let databaseTableName = "webhook_delivery"

    var id: Int64?
    var eventID: Int64
    var endpointID: Int64
    var status: WebhookDeliveryStatus
    var attempts: Int
    var nextAttemptAt: Date?
    var lastError: String?
    var createdAt: Date
    var deliveredAt: Date?

    enum CodingKeys: String, CodingKey {
        case id
        case eventID = "event_id"
        case endpointID = "endpoint_id"
        case status
        case attempts
        case nextAttemptAt = "next_attempt_at"
        case lastError = "last_error"
        case createdAt = "created_at"
        case deliveredAt = "delivered_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let eventID = Column(CodingKeys.eventID)
        static let endpointID = Column(CodingKeys.endpointID)
        static let status = Column(CodingKeys.status)
        static let attempts = Column(CodingKeys.attempts)
        static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        static let lastError = Column(CodingKeys.lastError)
        static let createdAt = Column(CodingKeys.createdAt)
        static let deliveredAt = Column(CodingKeys.deliveredAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
