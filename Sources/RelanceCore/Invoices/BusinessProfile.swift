import Foundation

/// The business as its customers see it (name, contact, how to pay, language, time zone, how long a link
/// lasts), and the one set of rules it meets before it is saved: the dashboard's settings form and
/// `PUT /api/v1/business` both check it here and only word the problems their own way.
public struct BusinessProfile: Sendable, Equatable, Decodable {
    public var name: String
    /// E.164.
    public var phone: String?
    public var email: String?
    public var address: String?
    public var legal: String?
    public var paymentURL: String?
    public var bankBeneficiary: String?
    /// Without spaces, upper case.
    public var bankIBAN: String?
    public var bankBIC: String?
    public var defaultLocale: String
    public var timeZone: String
    public var linkLifetimeDays: Int

    public init(
        name: String, phone: String? = nil, email: String? = nil, address: String? = nil, paymentURL: String? = nil,
        bankBeneficiary: String? = nil, bankIBAN: String? = nil, bankBIC: String? = nil, defaultLocale: String = "fr",
        timeZone: String = "Europe/Paris", linkLifetimeDays: Int = 60, legal: String? = nil
    ) {
        self.name = name
        self.phone = phone
        self.email = email
        self.address = address
        self.legal = legal
        self.paymentURL = paymentURL
        self.bankBeneficiary = bankBeneficiary
        self.bankIBAN = bankIBAN
        self.bankBIC = bankBIC
        self.defaultLocale = defaultLocale
        self.timeZone = timeZone
        self.linkLifetimeDays = linkLifetimeDays
    }

    /// What was typed or sent, before any check: nil or blank means "none".
    public struct Draft: Sendable, Equatable {
        public var name: String?
        public var phone: String?
        public var email: String?
        public var address: String?
        public var legal: String?
        public var paymentURL: String?
        public var bankBeneficiary: String?
        public var bankIBAN: String?
        public var bankBIC: String?
        public var defaultLocale: String?
        public var timeZone: String?
        public var linkLifetimeDays: Int?

        public init() {}
    }

    /// A field by its API name, for callers to label as they like.
    public enum Field: String, CaseIterable, Sendable {
        case name, phone, email, address, legal, payment_url, bank_beneficiary, bank_iban, bank_bic
        case default_locale, time_zone, link_lifetime_days
    }

    /// Every problem of a draft, one per field at most.
    public struct Problems: Error, Equatable, Sendable {
        public var list: [(field: Field, message: String)]

        public static func == (lhs: Problems, rhs: Problems) -> Bool {
            lhs.list.map(\.field) == rhs.list.map(\.field) && lhs.list.map(\.message) == rhs.list.map(\.message)
        }
    }

    /// Longest accepted, in Unicode scalars.
    public static let limits: [Field: Int] = [
        .name: 120, .phone: 30, .email: 254, .address: 300, .legal: 300, .payment_url: 500, .bank_beneficiary: 120,
        .bank_iban: 50, .bank_bic: 11, .time_zone: 64,
    ]

    /// Link lifetimes accepted, in days.
    public static let linkLifetimes = 1...3650

    /// The profile a draft describes, normalized (phone in E.164, IBAN without spaces…), or every problem.
    public init(checking draft: Draft) throws(Problems) {
        var problems: [(field: Field, message: String)] = []
        func text(_ field: Field, _ raw: String?) -> String? {
            let value = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if let limit = BusinessProfile.limits[field], value.unicodeScalars.count > limit {
                problems.append((field, "at most \(limit) characters"))
                return nil
            }
            if PlainText.hasControlCharacters(value, allowingLineBreaks: field == .address) {
                problems.append((field, "no control characters"))
                return nil
            }
            return value.isEmpty ? nil : value
        }
        let name = text(.name, draft.name)
        if name == nil, !problems.contains(where: { $0.field == .name }) { problems.append((.name, "required")) }
        var phone: String?
        if let raw = text(.phone, draft.phone) {
            phone = PhoneNumber(typed: raw)?.e164
            if phone == nil { problems.append((.phone, "an international number such as +33 1 23 45 67 89")) }
        }
        let email = text(.email, draft.email)
        if let email, !EmailAddress.isValid(email) { problems.append((.email, "not an email address")) }
        let paymentURL = text(.payment_url, draft.paymentURL)
        if let paymentURL, !WebAddress.isHTTP(paymentURL) {
            problems.append((.payment_url, "an https:// web address"))
        }
        let iban = text(.bank_iban, draft.bankIBAN).map { $0.replacingOccurrences(of: " ", with: "").uppercased() }
        if let iban, !CreditorReference.isValidIBAN(iban) {
            problems.append((.bank_iban, "the check digits do not match"))
        }
        let bic = text(.bank_bic, draft.bankBIC).map { $0.uppercased() }
        if let bic,
            !(bic.count == 8 || bic.count == 11) || !bic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        {
            problems.append((.bank_bic, "8 or 11 letters and digits"))
        }
        let locale = draft.defaultLocale ?? ""
        if Language(rawValue: locale) == nil { problems.append((.default_locale, "fr or en")) }
        let zone = text(.time_zone, draft.timeZone)
        if zone.flatMap(TimeZoneName.zone) == nil, !problems.contains(where: { $0.field == .time_zone }) {
            problems.append((.time_zone, "a name such as Europe/Paris"))
        }
        let days = draft.linkLifetimeDays ?? 0
        if !BusinessProfile.linkLifetimes.contains(days) {
            problems.append((.link_lifetime_days, "from 1 to 3650 days"))
        }
        let address = text(.address, draft.address)
        let legal = text(.legal, draft.legal)
        let beneficiary = text(.bank_beneficiary, draft.bankBeneficiary)
        guard problems.isEmpty, let name, let zone else {
            throw Problems(list: Field.allCases.flatMap { field in problems.filter { $0.field == field } })
        }
        self.init(
            name: name, phone: phone, email: email, address: address, paymentURL: paymentURL,
            bankBeneficiary: beneficiary, bankIBAN: iban, bankBIC: bic, defaultLocale: locale, timeZone: zone,
            linkLifetimeDays: days, legal: legal)
    }

    /// A field's value as text, to tell which a change touched; the switch names every field, so a new one
    /// cannot be left out.
    public func value(of field: Field) -> String? {
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

/// Web addresses people give for a payment page or a receiver: absolute, `http` or `https`, with a host.
public enum WebAddress {
    public static func isHTTP(_ value: String) -> Bool {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}
