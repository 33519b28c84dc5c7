import Foundation
import GRDB
import RelanceCore

/// A row of `customer`, as stored. (`CustomerRecord`, the dashboard's view of a customer with their count
/// of open invoices, had the name first.)
struct CustomerTableRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
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

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case phone
        case email
        case locale
        case timeZone = "time_zone"
        case externalRef = "external_ref"
        case smsOptedOutAt = "sms_opted_out_at"
        case emailOptedOutAt = "email_opted_out_at"
        case createdAt = "created_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let name = Column(CodingKeys.name)
        static let phone = Column(CodingKeys.phone)
        static let email = Column(CodingKeys.email)
        static let locale = Column(CodingKeys.locale)
        static let timeZone = Column(CodingKeys.timeZone)
        static let externalRef = Column(CodingKeys.externalRef)
        static let smsOptedOutAt = Column(CodingKeys.smsOptedOutAt)
        static let emailOptedOutAt = Column(CodingKeys.emailOptedOutAt)
        static let createdAt = Column(CodingKeys.createdAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
