import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The `business` row: the one business of this instance (id 1, created by the first migration).
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

/// Pages, messages and the tick read the profile straight into `Business`, by the same column rule,
/// leaving the logo's bytes (up to 64 KiB) in the row.
extension Business: FetchableRecord, SnakeCaseColumns {
    static let selectSQL = """
        SELECT name, phone, email, address, payment_url, bank_beneficiary, bank_iban, bank_bic, default_locale,
            time_zone, link_lifetime_days, legal, logo_hash
        FROM business WHERE id = 1
        """
}
