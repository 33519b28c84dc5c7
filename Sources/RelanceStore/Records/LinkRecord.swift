import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `link`: one signed link, to an invoice's page or to a customer's statement (exactly one of
/// the two), and the message that carried it.
struct LinkRecord: AutoIncrementedRow {
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

    enum Columns {
        static let invoiceID = Column("invoice_id")
        static let purpose = Column("purpose")
        static let createdAt = Column("created_at")
    }
}

/// Why a link row exists, kept for attribution ("which message got paid").
public enum LinkPurpose: String, Sendable, Codable, CaseIterable {
    case api, cli, demo, renewal, reminder
}
