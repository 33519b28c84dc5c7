import Foundation
import GRDB
import RelanceCore

/// A row of `audit`: who did what, from the dashboard (a user), the API (a key) or a shell (neither).
struct AuditRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "audit"

    var id: Int64?
    var at: Date
    var userID: Int64?
    var apiKeyID: Int64?
    var action: String
    var invoiceID: Int64?
    var detail: String?

    enum CodingKeys: String, CodingKey {
        case id
        case at
        case userID = "user_id"
        case apiKeyID = "api_key_id"
        case action
        case invoiceID = "invoice_id"
        case detail
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let at = Column(CodingKeys.at)
        static let userID = Column(CodingKeys.userID)
        static let apiKeyID = Column(CodingKeys.apiKeyID)
        static let action = Column(CodingKeys.action)
        static let invoiceID = Column(CodingKeys.invoiceID)
        static let detail = Column(CodingKeys.detail)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
