import Foundation
import GRDB
import RelanceCore

/// A row of `link`: one signed link, to an invoice's page or to a customer's statement (exactly one of
/// the two), and the message that carried it.
struct LinkRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "link"

    var id: Int64?
    var invoiceID: Int64?
    var customerID: Int64?
    var purpose: LinkPurpose
    /// The keyring's key that signed the token.
    var keyID: Int
    var createdAt: Date
    /// Whole seconds: the token carries the same instant.
    var expiresAt: Date
    var revokedAt: Date?
    var renewedFrom: Int64?
    var messageID: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case invoiceID = "invoice_id"
        case customerID = "customer_id"
        case purpose
        case keyID = "key_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case renewedFrom = "renewed_from"
        case messageID = "message_id"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let invoiceID = Column(CodingKeys.invoiceID)
        static let customerID = Column(CodingKeys.customerID)
        static let purpose = Column(CodingKeys.purpose)
        static let keyID = Column(CodingKeys.keyID)
        static let createdAt = Column(CodingKeys.createdAt)
        static let expiresAt = Column(CodingKeys.expiresAt)
        static let revokedAt = Column(CodingKeys.revokedAt)
        static let renewedFrom = Column(CodingKeys.renewedFrom)
        static let messageID = Column(CodingKeys.messageID)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Why a link row exists, kept for attribution ("which message got paid").
public enum LinkPurpose: String, Sendable, Codable, CaseIterable {
    case api, cli, demo, renewal, reminder
}
