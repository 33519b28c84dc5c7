import Foundation
import RelanceCore

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

    public init(
        id: Int64, number: String, customerID: Int64, customerName: String, customerLocale: String?,
        customerTimeZone: String?, amount: Money, paid: Int64, issuedOn: CalendarDate, dueOn: CalendarDate,
        externalRef: String?, paidAt: Date?, voidedAt: Date?, createdAt: Date, personClicks: Int, nextActionAt: Date?,
        remindersPausedAt: Date?, remindersPausedReason: String?
    ) {
        self.id = id
        self.number = number
        self.customerID = customerID
        self.customerName = customerName
        self.customerLocale = customerLocale
        self.customerTimeZone = customerTimeZone
        self.amount = amount
        self.paid = paid
        self.issuedOn = issuedOn
        self.dueOn = dueOn
        self.externalRef = externalRef
        self.paidAt = paidAt
        self.voidedAt = voidedAt
        self.createdAt = createdAt
        self.personClicks = personClicks
        self.nextActionAt = nextActionAt
        self.remindersPausedAt = remindersPausedAt
        self.remindersPausedReason = remindersPausedReason
    }
}
