import Foundation
import RelanceCore

/// The business that sends the invoices: one per Relance instance.
public struct Business: Sendable, Equatable, Decodable {
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

extension Business {
    /// A profile field's value as text, to tell which a change touched; the switch names every field,
    /// so a new one cannot be left out.
    public func value(of field: BusinessProfile.Field) -> String? {
        switch field {
        case .name: name
        case .phone: phone
        case .email: email
        case .address: address
        case .legal: legal
        case .payment_url: paymentURL
        case .bank_beneficiary: bankBeneficiary
        case .bank_iban: bankIBAN
        case .bank_bic: bankBIC
        case .default_locale: defaultLocale
        case .time_zone: timeZone
        case .link_lifetime_days: String(linkLifetimeDays)
        }
    }
}
