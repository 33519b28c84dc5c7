import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `webhook_event`: one event and the exact JSON every endpoint receives for it.
struct WebhookEventRecord: AutoIncrementedRow {
    static let databaseTableName = "webhook_event"

    var id: Int64?
    var type: WebhookEventType
    var payload: String
    var createdAt: Date
}
