import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    /// Records a payment; a balance reaching zero marks the invoice paid and cancels its queued messages.
    public func recordPayment(invoiceID: Int64, _ payment: NewPayment, now: Date, audit: AuditNote? = nil) async throws
        -> (
            PaymentRecord, InvoiceSummary
        )
    {
        try await pool.write { db in try Store.recordPayment(db, invoiceID: invoiceID, payment, now: now, audit: audit)
        }
    }

    /// Records a payment and the answer made of it in one transaction. Under an idempotency key, a retry
    /// with the same request gets the first answer back and records nothing again; one with another body
    /// is refused. Only successful answers are remembered.
    public func recordPayment(
        invoiceID: Int64, _ payment: NewPayment, now: Date, audit: AuditNote?, idempotency: IdempotencyKey?,
        answer: @escaping @Sendable (PaymentRecord, InvoiceSummary) throws -> StoredResponse
    ) async throws -> (response: StoredResponse, replayed: Bool) {
        try await pool.write { db in
            guard let idempotency else {
                let (record, invoice) = try Store.recordPayment(
                    db, invoiceID: invoiceID, payment, now: now, audit: audit)
                return (try answer(record, invoice), false)
            }
            if let stored = try IdempotencyRecord.filter(
                IdempotencyRecord.Columns.apiKeyID == idempotency.apiKeyID
                    && IdempotencyRecord.Columns.key == idempotency.key
            ).fetchOne(db) {
                guard stored.requestHash == idempotency.requestHash else { throw StoreError.idempotencyKeyReused }
                return (StoredResponse(status: stored.responseStatus, body: stored.responseBody), true)
            }
            let (record, invoice) = try Store.recordPayment(db, invoiceID: invoiceID, payment, now: now, audit: audit)
            let response = try answer(record, invoice)
            var stored = IdempotencyRecord(
                apiKeyID: idempotency.apiKeyID, key: idempotency.key, requestHash: idempotency.requestHash,
                responseStatus: response.status, responseBody: response.body, createdAt: now)
            try stored.insert(db)
            return (response, false)
        }
    }

    /// The same inside a transaction already open, with its audit line.
    static func recordPayment(
        _ db: Database, invoiceID: Int64, _ payment: NewPayment, now: Date, audit: AuditNote? = nil
    ) throws -> (PaymentRecord, InvoiceSummary) {
        if let audit { try Store.audit(db, audit) }
        let invoice = try Store.invoice(db, id: invoiceID)
        if invoice.status == .void { throw StoreError.invoiceVoided }
        if let reference = payment.reference,
            let existing = try Int64.fetchOne(
                db, sql: "SELECT id FROM payment WHERE invoice_id = ? AND reference = ?",
                arguments: [invoiceID, reference])
        {
            throw StoreError.duplicatePaymentReference(paymentID: existing)
        }
        let balance = invoice.balance.minorUnits
        if payment.amount > balance && !payment.allowOverpayment {
            if balance <= 0 { throw StoreError.invoicePaid }
            throw StoreError.overpayment(balance: balance)
        }
        try db.execute(
            sql: """
                INSERT INTO payment (invoice_id, amount, method, reference, received_at, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [invoiceID, payment.amount, payment.method.rawValue, payment.reference, payment.receivedAt, now])
        let paymentID = db.lastInsertedRowID
        let paymentData: [String: Any] = [
            "payment": [
                "id": paymentID, "amount": payment.amount, "method": payment.method.rawValue,
                "reference": payment.reference as Any? ?? NSNull(), "received_at": Instant.format(payment.receivedAt),
            ] as [String: Any]
        ]
        let settles = payment.amount >= balance && invoice.paidAt == nil
        if settles {
            try db.execute(
                sql: "UPDATE invoice SET paid_at = ?, updated_at = ?, next_action_at = NULL WHERE id = ?",
                arguments: [now, now, invoiceID])
            try cancelQueuedMessages(db, invoiceID: invoiceID, now: now)
            try closeRequestsAndPlan(db, invoiceID: invoiceID, paid: true, now: now)
        }
        if try Store.hasSubscribers(db) {
            // The invoice as it now stands, described once for both events.
            var data = paymentData
            data["invoice"] = try Store.invoiceData(db, invoiceID: invoiceID)
            try Store.emit(db, .paymentCreated, data, now: now)
            if settles { try Store.emit(db, .invoicePaid, data, now: now) }
        }
        if !settles {
            // A plan's next reminder depends on what is paid: look again at once.
            try db.execute(
                sql: """
                    UPDATE invoice SET updated_at = ?,
                        next_action_at = CASE WHEN next_action_at IS NULL THEN NULL ELSE ? END
                    WHERE id = ?
                    """, arguments: [now, now, invoiceID])
        }
        guard let record = try PaymentRecord.fetchOne(db, key: paymentID) else {
            throw StoreError.notFound("payment \(paymentID)")
        }
        return (record, try Store.invoice(db, id: invoiceID))
    }

    /// The payments of an invoice, oldest first.
    public func payments(invoiceID: Int64) async throws -> [PaymentRecord] {
        try await pool.read { db in
            try PaymentRecord.filter(PaymentRecord.Columns.invoiceID == invoiceID)
                .order(PaymentRecord.Columns.receivedAt, PaymentRecord.Columns.id)
                .fetchAll(db)
        }
    }
}
