import Foundation
import RelanceCore

/// Payments as a database records them: the payment, the invoice's new balance (paid at zero, its queued
/// messages cancelled), the audit line and the webhook event, in one transaction.
public protocol PaymentStorage: StorageHealth {
    func recordPayment(invoiceID: Int64, _ payment: NewPayment, now: Date, audit: AuditNote?) async throws
        -> (PaymentRecord, InvoiceSummary)
    /// The same, keeping the answer `answer` makes of it under an idempotency key: a retry gets that answer
    /// back and records nothing.
    func recordPayment(
        invoiceID: Int64, _ payment: NewPayment, now: Date, audit: AuditNote?, idempotency: IdempotencyKey?,
        answer: @escaping @Sendable (PaymentRecord, InvoiceSummary) throws -> StoredResponse
    ) async throws -> (response: StoredResponse, replayed: Bool)
    func payments(invoiceID: Int64) async throws -> [PaymentRecord]
}
