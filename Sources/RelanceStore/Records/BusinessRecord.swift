import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The `business` row: the one business of this instance (id 1, created by the first migration).
/// Pages read it through `Business`, which leaves the logo's bytes out.
struct BusinessRecord: TableRow {
    static let databaseTableName = "business"

    var id: Int64
    var name: String
    var phone: String?
    var email: String?
    var address: String?
    var paymentURL: String?
    var bankBeneficiary: String?
    var bankIBAN: String?
    var bankBIC: String?
    var defaultLocale: String
    var timeZone: String
    var linkLifetimeDays: Int
    var legal: String?
    var logo: Data?
    var logoType: String?
    var logoHash: String?
}

extension Business {
    /// The profile as pages and messages use it; the logo's bytes stay in the row.
    init(_ record: BusinessRecord) {
        self.init(
            name: record.name, phone: record.phone, email: record.email, address: record.address,
            paymentURL: record.paymentURL, bankBeneficiary: record.bankBeneficiary, bankIBAN: record.bankIBAN,
            bankBIC: record.bankBIC, defaultLocale: record.defaultLocale, timeZone: record.timeZone,
            linkLifetimeDays: record.linkLifetimeDays, legal: record.legal)
        logoHash = record.logoHash
    }
}
