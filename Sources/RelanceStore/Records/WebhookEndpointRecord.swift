import Foundation
import GRDB
import RelanceCore

/// A row of `webhook_endpoint`: where to POST which events. Secrets are stored sealed (`SecretBox`).
struct WebhookEndpointRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
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

    enum CodingKeys: String, CodingKey {
        case id
        case url
        case events
        case description
        case secret
        case previousSecret = "previous_secret"
        case previousSecretUntil = "previous_secret_until"
        case createdAt = "created_at"
        case disabledAt = "disabled_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let url = Column(CodingKeys.url)
        static let events = Column(CodingKeys.events)
        static let description = Column(CodingKeys.description)
        static let secret = Column(CodingKeys.secret)
        static let previousSecret = Column(CodingKeys.previousSecret)
        static let previousSecretUntil = Column(CodingKeys.previousSecretUntil)
        static let createdAt = Column(CodingKeys.createdAt)
        static let disabledAt = Column(CodingKeys.disabledAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
