import Foundation
import GRDB
import RelanceCore

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

    init(row: Row) {
        name = row["name"]
        phone = row["phone"]
        email = row["email"]
        address = row["address"]
        paymentURL = row["payment_url"]
        bankBeneficiary = row["bank_beneficiary"]
        bankIBAN = row["bank_iban"]
        bankBIC = row["bank_bic"]
        defaultLocale = row["default_locale"]
        timeZone = row["time_zone"]
        linkLifetimeDays = row["link_lifetime_days"]
        legal = row["legal"]
        logoHash = row["logo_hash"]
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

/// Who an invoice is addressed to, as a billing system describes them.
public struct CustomerInput: Sendable, Equatable {
    public var name: String
    public var phone: PhoneNumber?
    public var email: String?
    public var locale: String?
    public var timeZone: String?
    public var externalRef: String?

    public init(
        name: String, phone: PhoneNumber? = nil, email: String? = nil, locale: String? = nil, timeZone: String? = nil,
        externalRef: String? = nil
    ) {
        self.name = name
        self.phone = phone
        self.email = email
        self.locale = locale
        self.timeZone = timeZone
        self.externalRef = externalRef
    }
}

/// An invoice to create, already validated.
public struct NewInvoice: Sendable, Equatable {
    public var number: String
    public var customer: CustomerInput
    public var amount: Money
    public var issuedOn: CalendarDate
    public var dueOn: CalendarDate
    public var externalRef: String?
    public var paymentURL: String?

    public init(
        number: String, customer: CustomerInput, amount: Money, issuedOn: CalendarDate, dueOn: CalendarDate,
        externalRef: String? = nil, paymentURL: String? = nil
    ) {
        self.number = number
        self.customer = customer
        self.amount = amount
        self.issuedOn = issuedOn
        self.dueOn = dueOn
        self.externalRef = externalRef
        self.paymentURL = paymentURL
    }
}

extension NewInvoice {
    /// An invoice `InvoiceRules` accepted.
    public init(_ checked: CheckedInvoice) {
        self.init(
            number: checked.number,
            customer: CustomerInput(
                name: checked.customerName, phone: checked.customerPhone, email: checked.customerEmail,
                locale: checked.customerLocale, timeZone: checked.customerTimeZone, externalRef: checked.customerRef),
            amount: checked.amount, issuedOn: checked.issuedOn, dueOn: checked.dueOn, externalRef: checked.externalRef,
            paymentURL: checked.paymentURL)
    }
}

/// An invoice as the API and pages see it: amounts, what has been paid, and how often it was opened.
public struct InvoiceSummary: Sendable, Equatable {
    public var id: Int64
    public var number: String
    public var customerID: Int64
    public var customerName: String
    public var customerLocale: String?
    public var customerTimeZone: String?
    public var amount: Money
    public var paid: Int64
    public var issuedOn: CalendarDate
    public var dueOn: CalendarDate
    public var externalRef: String?
    public var paidAt: Date?
    public var voidedAt: Date?
    public var createdAt: Date
    public var personClicks: Int
    public var nextActionAt: Date?
    public var remindersPausedAt: Date?
    public var remindersPausedReason: String?

    public var balance: Money { Money(minorUnits: amount.minorUnits - paid, currency: amount.currency) }

    public var status: InvoiceStatus { voidedAt != nil ? .void : paidAt != nil ? .paid : .open }

    static let selectSQL = """
        SELECT i.*, c.name AS customer_name, c.locale AS customer_locale, c.time_zone AS customer_time_zone,
            (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id) AS paid,
            (SELECT COUNT(*) FROM click k JOIN link l ON l.id = k.link_id
                WHERE l.invoice_id = i.id AND k.agent = 'person') AS person_clicks
        FROM invoice i JOIN customer c ON c.id = i.customer_id
        """

    init(row: Row) throws {
        id = row["id"]
        number = row["number"]
        customerID = row["customer_id"]
        customerName = row["customer_name"]
        customerLocale = row["customer_locale"]
        customerTimeZone = row["customer_time_zone"]
        amount = Money(minorUnits: row["amount"], currency: try Store.currency(row["currency"]))
        paid = row["paid"]
        issuedOn = try Store.date(row["issued_on"])
        dueOn = try Store.date(row["due_on"])
        externalRef = row["external_ref"]
        paidAt = row["paid_at"]
        voidedAt = row["voided_at"]
        createdAt = row["created_at"]
        personClicks = row["person_clicks"]
        nextActionAt = row["next_action_at"]
        remindersPausedAt = row["reminders_paused_at"]
        remindersPausedReason = row["reminders_paused_reason"]
    }
}

/// One payment received against an invoice.
public struct PaymentRecord: Sendable, Equatable {
    public var id: Int64
    public var invoiceID: Int64
    public var amount: Int64
    public var method: String
    public var reference: String?
    public var receivedAt: Date
    public var recordedAt: Date

    init(row: Row) {
        id = row["id"]
        invoiceID = row["invoice_id"]
        amount = row["amount"]
        method = row["method"]
        reference = row["reference"]
        receivedAt = row["received_at"]
        recordedAt = row["recorded_at"]
    }
}

/// A payment to record, already validated.
public struct NewPayment: Sendable, Equatable {
    public var amount: Int64
    public var method: PaymentMethod
    public var reference: String?
    public var receivedAt: Date
    public var allowOverpayment: Bool

    public init(
        amount: Int64, method: PaymentMethod, reference: String?, receivedAt: Date, allowOverpayment: Bool = false
    ) {
        self.amount = amount
        self.method = method
        self.reference = reference
        self.receivedAt = receivedAt
        self.allowOverpayment = allowOverpayment
    }
}

/// Why a link row exists, kept for attribution ("which message got paid").
public enum LinkPurpose: String, Sendable {
    case api, cli, demo, renewal, reminder
}

/// A link row and the token that opens it.
public struct IssuedLink: Sendable, Equatable {
    public var linkID: Int64
    public var invoiceID: Int64
    public var token: String
    public var expiresAt: Date
}

/// A message waiting in the outbox or already handed to a provider.
public struct OutboxMessage: Sendable, Equatable {
    public var id: Int64
    public var customerID: Int64
    public var invoiceID: Int64?
    public var kind: String
    public var channel: String
    public var recipient: String
    public var body: String
    public var status: String
    public var createdAt: Date
    public var stage: String?
    public var encoding: String?
    public var segments: Int?
    public var provider: String?
    public var providerID: String?
    public var error: String?
    public var attempts: Int
    public var sentAt: Date?

    init(row: Row) {
        id = row["id"]
        customerID = row["customer_id"]
        invoiceID = row["invoice_id"]
        kind = row["kind"]
        channel = row["channel"]
        recipient = row["recipient"]
        body = row["body"]
        status = row["status"]
        createdAt = row["created_at"]
        stage = row["stage"]
        encoding = row["encoding"]
        segments = row["segments"]
        provider = row["provider"]
        providerID = row["provider_id"]
        error = row["error"]
        attempts = row["attempts"]
        sentAt = row["sent_at"]
    }
}

extension Store {
    static func currency(_ code: String) throws -> Currency {
        guard let currency = Currency(code: code) else {
            throw DatabaseError(message: "unknown currency \(code) in database")
        }
        return currency
    }

    static func date(_ text: String) throws -> CalendarDate {
        guard let date = CalendarDate(iso: text) else { throw DatabaseError(message: "bad date \(text) in database") }
        return date
    }
}
