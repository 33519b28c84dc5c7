import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `webhook_attempt`: one POST of a delivery and what came of it.
struct WebhookAttemptRecord: AutoIncrementedRow {
    static let databaseTableName = "webhook_attempt"

    var id: Int64?
    var deliveryID: Int64
    var at: Date
    var statusCode: Int?
    var error: String?
    var milliseconds: Int

    enum Columns {
        static let id = Column("id")
        static let deliveryID = Column("delivery_id")
    }
}
