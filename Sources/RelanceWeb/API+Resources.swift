import Foundation
import RelanceCore
import RelanceStore

/// The invoice as the API shows it.
struct InvoiceResource: Encodable, Sendable {
    struct CustomerRef: Encodable, Sendable {
        var id: Int64
        var name: String
    }

    var id: Int64
    var number: String
    var status: String
    var currency: String
    var amount: Int64
    var paid: Int64
    var balance: Int64
    var issued_on: String
    var due_on: String
    var days_overdue: Int
    var clicks: Int
    var customer: CustomerRef
    var external_ref: String?
    var paid_at: String?
    var voided_at: String?
    var created_at: String
    /// `active`, `paused` (see `reminders_paused_reason`) or `stopped` (paid, void, or every stage sent).
    var reminders: String
    var reminders_paused_reason: String?
    var next_reminder_at: String?

    init(_ invoice: InvoiceSummary, today: CalendarDate) {
        id = invoice.id
        number = invoice.number
        status = invoice.status.rawValue
        currency = invoice.amount.currency.code
        amount = invoice.amount.minorUnits
        paid = invoice.paid
        balance = invoice.balance.minorUnits
        issued_on = invoice.issuedOn.iso
        due_on = invoice.dueOn.iso
        days_overdue = DueState(status: invoice.status, dueOn: invoice.dueOn, today: today).daysOverdue
        clicks = invoice.personClicks
        customer = CustomerRef(id: invoice.customerID, name: invoice.customerName)
        external_ref = invoice.externalRef
        paid_at = invoice.paidAt.map(Instant.format)
        voided_at = invoice.voidedAt.map(Instant.format)
        created_at = Instant.format(invoice.createdAt)
        if invoice.status != .open {
            reminders = "stopped"
        } else if invoice.remindersPausedAt != nil {
            reminders = "paused"
        } else {
            reminders = invoice.nextActionAt == nil ? "stopped" : "active"
        }
        reminders_paused_reason = invoice.remindersPausedReason
        next_reminder_at = invoice.status == .open ? invoice.nextActionAt.map(Instant.format) : nil
    }

    // Optional fields are written as null rather than left out, so clients see the whole shape.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(number, forKey: .number)
        try c.encode(status, forKey: .status)
        try c.encode(currency, forKey: .currency)
        try c.encode(amount, forKey: .amount)
        try c.encode(paid, forKey: .paid)
        try c.encode(balance, forKey: .balance)
        try c.encode(issued_on, forKey: .issued_on)
        try c.encode(due_on, forKey: .due_on)
        try c.encode(days_overdue, forKey: .days_overdue)
        try c.encode(clicks, forKey: .clicks)
        try c.encode(customer, forKey: .customer)
        try c.encode(external_ref, forKey: .external_ref)
        try c.encode(paid_at, forKey: .paid_at)
        try c.encode(voided_at, forKey: .voided_at)
        try c.encode(created_at, forKey: .created_at)
        try c.encode(reminders, forKey: .reminders)
        try c.encode(reminders_paused_reason, forKey: .reminders_paused_reason)
        try c.encode(next_reminder_at, forKey: .next_reminder_at)
    }

    enum CodingKeys: String, CodingKey {
        case id, number, status, currency, amount, paid, balance, issued_on, due_on, days_overdue, clicks, customer
        case external_ref, paid_at, voided_at, created_at, reminders, reminders_paused_reason, next_reminder_at
    }
}

struct InvoiceList: Encodable, Sendable {
    var data: [InvoiceResource]
    /// Pass as `after` to get the next page; null on the last page.
    var next_after: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(next_after, forKey: .next_after)
    }

    enum CodingKeys: String, CodingKey { case data, next_after }
}

struct LinkResource: Encodable, Sendable {
    var id: Int64
    var url: String
    var token: String
    var expires_at: String
}

struct PaymentResource: Encodable, Sendable {
    var id: Int64
    var amount: Int64
    var method: String
    var reference: String?
    var received_at: String
    var recorded_at: String

    init(_ record: PaymentRecord) {
        id = record.id
        amount = record.amount
        method = record.method
        reference = record.reference
        received_at = Instant.format(record.receivedAt)
        recorded_at = Instant.format(record.recordedAt)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(amount, forKey: .amount)
        try c.encode(method, forKey: .method)
        try c.encode(reference, forKey: .reference)
        try c.encode(received_at, forKey: .received_at)
        try c.encode(recorded_at, forKey: .recorded_at)
    }

    enum CodingKeys: String, CodingKey { case id, amount, method, reference, received_at, recorded_at }
}

struct PaymentResult: Encodable, Sendable {
    var payment: PaymentResource
    var invoice: InvoiceResource
}

struct PaymentList: Encodable, Sendable {
    var data: [PaymentResource]
}
