import Foundation

/// Who an invoice is addressed to, as `CustomerRules` accepted them.
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

/// An invoice to create, as `InvoiceRules` accepted it: trimmed, typed, and within every bound.
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
