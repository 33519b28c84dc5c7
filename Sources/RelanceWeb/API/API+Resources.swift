import Foundation
import RelanceCore
import RelanceServices
import RelanceStore

/// An optional field of an API resource that is written as `null` when it has no value, rather than left
/// out (what Swift's synthesized `Encodable` does), so clients always see a resource's whole shape. A
/// field left out of a request body decodes as nil, as a plain optional does.
@propertyWrapper
struct ExplicitNull<Value> {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
}

extension ExplicitNull: Sendable where Value: Sendable {}

extension ExplicitNull: Encodable where Value: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension ExplicitNull: Decodable where Value: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}

extension KeyedDecodingContainer {
    /// Picked by synthesized `Decodable` for an `@ExplicitNull` field: a missing key is nil, and a wrong
    /// value fails with the same error, at the same path, as it does for a plain optional.
    func decode<Value: Decodable>(_ type: ExplicitNull<Value>.Type, forKey key: Key) throws -> ExplicitNull<Value> {
        ExplicitNull(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}

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
    @ExplicitNull var external_ref: String?
    @ExplicitNull var paid_at: String?
    @ExplicitNull var voided_at: String?
    var created_at: String
    /// `active`, `paused` (see `reminders_paused_reason`) or `stopped` (paid, void, or every stage sent).
    var reminders: String
    @ExplicitNull var reminders_paused_reason: String?
    @ExplicitNull var next_reminder_at: String?

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
}

struct InvoiceList: Encodable, Sendable {
    var data: [InvoiceResource]
    /// Pass as `after` to get the next page; null on the last page.
    @ExplicitNull var next_after: String?
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
    @ExplicitNull var reference: String?
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
}

struct PaymentResult: Encodable, Sendable {
    var payment: PaymentResource
    var invoice: InvoiceResource
}

struct PaymentList: Encodable, Sendable {
    var data: [PaymentResource]
}
