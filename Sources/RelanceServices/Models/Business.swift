import Foundation
import RelanceCore

/// The business that sends the invoices, one per Relance instance: its profile (checked by
/// `BusinessProfile(checking:)` before any save), and its logo's hash. The profile's fields read as the
/// business's own (`business.name`).
@dynamicMemberLookup
public struct Business: Sendable, Equatable, Decodable {
    public var profile: BusinessProfile
    /// Short hash of the logo, for its cache-busting URL; nil without a logo.
    public var logoHash: String?

    public init(_ profile: BusinessProfile, logoHash: String? = nil) {
        self.profile = profile
        self.logoHash = logoHash
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<BusinessProfile, Value>) -> Value {
        get { profile[keyPath: field] }
        set { profile[keyPath: field] = newValue }
    }

    private enum CodingKeys: String, CodingKey { case logoHash }

    /// The profile's columns and `logo_hash`, from one row.
    public init(from decoder: any Decoder) throws {
        profile = try BusinessProfile(from: decoder)
        logoHash = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .logoHash)
    }
}

extension BusinessProfile {
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
