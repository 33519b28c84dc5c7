import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `customer`, as stored. (`CustomerRecord`, the dashboard's view of a customer with their count
/// of open invoices, had the name first.)
struct CustomerTableRecord: AutoIncrementedRow {
    static let databaseTableName = "customer"

    var id: Int64?
    var name: String
    /// E.164.
    var phone: String?
    var email: String?
    var locale: String?
    var timeZone: String?
    var externalRef: String?
    var smsOptedOutAt: Date?
    var emailOptedOutAt: Date?
    var createdAt: Date

    enum Columns {
        static let id = Column("id")
        static let phone = Column("phone")
    }
}
