import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// What of a typed-in invoice can still be put right, and until when: its amount, dates and payment link,
/// as long as no reminder has named them to the customer. Its number (how the billing system and the
/// customer refer to it), customer and currency never change; a different one is a new invoice.
public struct InvoiceCorrection: Sendable, Equatable {
    public var amount: Int64
    public var issuedOn: CalendarDate
    public var dueOn: CalendarDate
    public var paymentURL: String?

    public init(amount: Int64, issuedOn: CalendarDate, dueOn: CalendarDate, paymentURL: String?) {
        self.amount = amount
        self.issuedOn = issuedOn
        self.dueOn = dueOn
        self.paymentURL = paymentURL
    }
}

/// Why an invoice's details can no longer be corrected.
public enum CorrectionLock: Sendable, Equatable {
    /// A reminder was queued or sent on this day: the customer has, or is about to have, these figures.
    case reminded(Date)
    case paid
    case void
    /// A payment plan is running on its balance.
    case plan
}

/// A correction the store refused.
public enum CorrectionError: Error, Equatable, Sendable {
    case locked(CorrectionLock)
    /// The amount would not be more than what was already received (record a payment to settle it).
    case belowPaid(Int64)
    /// Nothing differs from what is stored: nothing written, nothing audited.
    case unchanged
}

extension Store {
    /// No change of amount (a correction, an import, a billing system) may leave an invoice owing less
    /// than was already received: the balance would go below zero. (An overpaid invoice keeps its amount.)
    static func amountCoversPaymentsMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TRIGGER invoice_amount_covers_payments BEFORE UPDATE OF amount ON invoice
                WHEN NEW.amount <> OLD.amount
                    AND NEW.amount < (SELECT COALESCE(SUM(amount), 0) FROM payment WHERE invoice_id = NEW.id)
                BEGIN
                    SELECT RAISE(ABORT, 'the amount is less than what was already received for this invoice');
                END
                """)
    }

    /// Why the invoice's details cannot be corrected now (nil when they can), and its own payment link
    /// for the form: one read for the invoice page.
    public func correctionState(invoiceID: Int64) async throws -> (lock: CorrectionLock?, paymentURL: String?) {
        try await pool.read { db in
            (
                try Store.correctionLock(db, invoiceID: invoiceID),
                try String.fetchOne(db, sql: "SELECT payment_url FROM invoice WHERE id = ?", arguments: [invoiceID])
            )
        }
    }

    static func correctionLock(_ db: Database, invoiceID: Int64) throws -> CorrectionLock? {
        guard let invoice = try InvoiceRecord.fetchOne(db, key: invoiceID) else {
            throw StoreError.notFound("invoice \(invoiceID)")
        }
        if invoice.voidedAt != nil { return .void }
        if invoice.paidAt != nil { return .paid }
        if try PlanRecord.active(invoiceID: invoiceID).fetchCount(db) > 0 { return .plan }
        // A reminder counts from the moment it is queued: its text already holds the amount and the date.
        // One cancelled before it left, or that the provider could not take, told the customer nothing.
        let first = try Date.fetchOne(
            db,
            sql: """
                SELECT MIN(m.created_at) FROM reminder r JOIN message m ON m.id = r.message_id
                WHERE r.invoice_id = ? AND m.status NOT IN (?, ?)
                """, arguments: [invoiceID, MessageStatus.cancelled, MessageStatus.failed])
        return first.map { .reminded($0) }
    }

    /// Puts the invoice's amount, dates and payment link right, and has its reminders planned again from
    /// them. Refused once a reminder has gone out or a plan was agreed, and at or below what was already
    /// paid.
    public func correctInvoice(id: Int64, _ correction: InvoiceCorrection, now: Date, audit: AuditNote)
        async throws -> InvoiceSummary
    {
        try await write(audit: audit, fill: { note, change in note.detail = change.detail }) { db in
            if let lock = try Store.correctionLock(db, invoiceID: id) { throw CorrectionError.locked(lock) }
            let before = try Store.invoice(db, id: id)
            guard correction.amount > before.paid else { throw CorrectionError.belowPaid(before.paid) }
            let oldURL = try String.fetchOne(db, sql: "SELECT payment_url FROM invoice WHERE id = ?", arguments: [id])
            var changes: [String] = []
            let currency = before.amount.currency
            if correction.amount != before.amount.minorUnits {
                changes.append(
                    "amount \(Format.amount(before.amount, .en)) → "
                        + Format.amount(Money(minorUnits: correction.amount, currency: currency), .en))
            }
            if correction.issuedOn != before.issuedOn {
                changes.append("issued \(before.issuedOn.iso) → \(correction.issuedOn.iso)")
            }
            if correction.dueOn != before.dueOn { changes.append("due \(before.dueOn.iso) → \(correction.dueOn.iso)") }
            if correction.paymentURL != oldURL {
                changes.append("payment link \(oldURL ?? "none") → \(correction.paymentURL ?? "none")")
            }
            guard !changes.isEmpty else { throw CorrectionError.unchanged }
            try db.execute(
                sql: """
                    UPDATE invoice SET amount = ?, issued_on = ?, due_on = ?, payment_url = ?, updated_at = ?,
                        next_action_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    correction.amount, correction.issuedOn.iso, correction.dueOn.iso, correction.paymentURL, now,
                    // The next tick plans the reminders again from the new due date.
                    now, id,
                ])
            return Correction(
                invoice: try Store.invoice(db, id: id),
                detail: "\(before.number): " + changes.joined(separator: "; "))
        }.invoice
    }

    struct Correction: Sendable {
        var invoice: InvoiceSummary
        var detail: String
    }
}
