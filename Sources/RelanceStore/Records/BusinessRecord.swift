import Foundation
import GRDB
import RelanceCore

/// The `business` row: the one business of this instance (id 1, created by the first migration).
/// Pages read it through `Business`, which leaves the logo's bytes out.
struct BusinessRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
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

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case phone
        case email
        case address
        case paymentURL = "payment_url"
        case bankBeneficiary = "bank_beneficiary"
        case bankIBAN = "bank_iban"
        case bankBIC = "bank_bic"
        case defaultLocale = "default_locale"
        case timeZone = "time_zone"
        case linkLifetimeDays = "link_lifetime_days"
        case legal
        case logo
        case logoType = "logo_type"
        case logoHash = "logo_hash"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let name = Column(CodingKeys.name)
        static let phone = Column(CodingKeys.phone)
        static let email = Column(CodingKeys.email)
        static let address = Column(CodingKeys.address)
        static let paymentURL = Column(CodingKeys.paymentURL)
        static let bankBeneficiary = Column(CodingKeys.bankBeneficiary)
        static let bankIBAN = Column(CodingKeys.bankIBAN)
        static let bankBIC = Column(CodingKeys.bankBIC)
        static let defaultLocale = Column(CodingKeys.defaultLocale)
        static let timeZone = Column(CodingKeys.timeZone)
        static let linkLifetimeDays = Column(CodingKeys.linkLifetimeDays)
        static let legal = Column(CodingKeys.legal)
        static let logo = Column(CodingKeys.logo)
        static let logoType = Column(CodingKeys.logoType)
        static let logoHash = Column(CodingKeys.logoHash)
    }
}

/// The business that sends the invoices: one per Relance instance.
public struct Business: Sendable, Equatable {
    public var name: String
    public var phone: String?
    public var email: String?
    public var address: String?
    public var paymentURL: String?
    public var bankBeneficiary: String?
    public var bankIBAN: String?
    public var bankBIC: String?
    public var defaultLocale: String
    public var timeZone: String
    public var linkLifetimeDays: Int
    /// Legal details (company and VAT numbers…) shown at the foot of customer pages.
    public var legal: String?
    /// Short hash of the logo, for its cache-busting URL; nil without a logo.
    public var logoHash: String?

    public init(
        name: String, phone: String? = nil, email: String? = nil, address: String? = nil, paymentURL: String? = nil,
        bankBeneficiary: String? = nil, bankIBAN: String? = nil, bankBIC: String? = nil, defaultLocale: String = "fr",
        timeZone: String = "Europe/Paris", linkLifetimeDays: Int = 60, legal: String? = nil
    ) {
        self.name = name
        self.phone = phone
        self.email = email
        self.address = address
        self.paymentURL = paymentURL
        self.bankBeneficiary = bankBeneficiary
        self.bankIBAN = bankIBAN
        self.bankBIC = bankBIC
        self.defaultLocale = defaultLocale
        self.timeZone = timeZone
        self.linkLifetimeDays = linkLifetimeDays
        self.legal = legal
    }

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

extension Business {
    /// Takes a checked profile (the logo stays).
    public mutating func apply(_ profile: BusinessProfile) {
        name = profile.name
        phone = profile.phone
        email = profile.email
        address = profile.address
        legal = profile.legal
        paymentURL = profile.paymentURL
        bankBeneficiary = profile.bankBeneficiary
        bankIBAN = profile.bankIBAN
        bankBIC = profile.bankBIC
        defaultLocale = profile.defaultLocale
        timeZone = profile.timeZone
        linkLifetimeDays = profile.linkLifetimeDays
    }

    /// What was typed, unchecked, for a form shown again with its problems; never saved.
    public mutating func show(_ draft: BusinessProfile.Draft) {
        name = draft.name ?? ""
        phone = draft.phone
        email = draft.email
        address = draft.address
        legal = draft.legal
        paymentURL = draft.paymentURL
        bankBeneficiary = draft.bankBeneficiary
        bankIBAN = draft.bankIBAN
        bankBIC = draft.bankBIC
        defaultLocale = draft.defaultLocale.flatMap { Language(rawValue: $0)?.rawValue } ?? defaultLocale
        timeZone = draft.timeZone ?? ""
        linkLifetimeDays = draft.linkLifetimeDays ?? linkLifetimeDays
    }
}
