import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `webhook_delivery`: one event on its way to one endpoint.
struct WebhookDeliveryRecord: AutoIncrementedRow {
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
}
