import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `audit`: who did what, from the dashboard (a user), the API (a key) or a shell (neither).
struct AuditRecord: AutoIncrementedRow {
    static let databaseTableName = "audit"

    var id: Int64?
    var at: Date
    var userID: Int64?
    var apiKeyID: Int64?
    var action: String
    var invoiceID: Int64?
    var detail: String?
}
