import Foundation
import RelanceCore

/// Money received, from the API, the dashboard or a payment provider: each payment lowers the balance;
/// at zero the invoice is paid and its reminders stop at once. The amount, method and reference were
/// checked by Core's rules (`PaymentMethod`, `PaymentReference`, `Money.acceptedMinorUnits`) when the
/// `NewPayment` was made.
public struct PaymentService: Sendable {
    let storage: any PaymentStorage
    let clock: Clock

    public init(storage: any PaymentStorage, clock: Clock = .system) {
        self.storage = storage
        self.clock = clock
    }

    /// Records `payment`, audited; the payment and the invoice as it now stands.
    public func record(_ payment: NewPayment, invoiceID: Int64, audit: AuditNote?) async throws
        -> (PaymentRecord, InvoiceSummary)
    {
        try await storage.recordPayment(invoiceID: invoiceID, payment, now: clock.now(), audit: audit)
    }

    /// The same for a billing system that may send it again: under `idempotency`, the first answer is kept
    /// and given back to a retry, which records nothing.
    public func record(
        _ payment: NewPayment, invoiceID: Int64, audit: AuditNote?, idempotency: IdempotencyKey?,
        answer: @escaping @Sendable (PaymentRecord, InvoiceSummary) throws -> StoredResponse
    ) async throws -> (response: StoredResponse, replayed: Bool) {
        try await storage.recordPayment(
            invoiceID: invoiceID, payment, now: clock.now(), audit: audit, idempotency: idempotency, answer: answer)
    }

    /// An invoice's payments, oldest received first.
    public func payments(invoiceID: Int64) async throws -> [PaymentRecord] {
        try await storage.payments(invoiceID: invoiceID)
    }
}
