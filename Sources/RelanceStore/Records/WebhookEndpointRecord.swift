import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `webhook_endpoint`: where to POST which events. Secrets are stored sealed (`SecretBox`).
struct WebhookEndpointRecord: AutoIncrementedRow {
    static let databaseTableName = "webhook_endpoint"

    var id: Int64?
    var url: String
    /// Event types separated by commas, or `*`.
    var events: String
    var description: String?
    var secret: String
    var previousSecret: String?
    var previousSecretUntil: Date?
    var createdAt: Date
    var disabledAt: Date?

    enum Columns {
        static let id = Column("id")
        static let disabledAt = Column("disabled_at")
    }
}
