import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    /// Creates an invoice, matching its customer by external reference, else by phone, else creating one.
    /// A matched customer's details are updated from the input: the billing system is their source.
    /// With `customerID`, the invoice goes to that customer as stored (a person picked them from a list),
    /// and `invoice.customer` is not used.
    public func createInvoice(_ invoice: NewInvoice, customerID: Int64? = nil, now: Date, audit: AuditNote? = nil)
        async throws -> InvoiceSummary
    {
        try await write(audit: audit, fill: { note, created in note.invoiceID = note.invoiceID ?? created.id }) { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM invoice WHERE number = ?", arguments: [invoice.number]) == true
            {
                throw StoreError.duplicateInvoiceNumber(invoice.number)
            }
            if let ref = invoice.externalRef,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM invoice WHERE external_ref = ?", arguments: [ref]) == true
            {
                throw StoreError.duplicateExternalRef(ref)
            }
            let owner: Int64
            if let chosen = customerID {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM customer WHERE id = ?", arguments: [chosen]) == true
                else { throw StoreError.notFound("customer \(chosen)") }
                owner = chosen
            } else {
                owner = try Store.upsertCustomer(db, invoice.customer, now: now)
            }
            try db.execute(
                sql: """
                    INSERT INTO invoice (number, customer_id, currency, amount, issued_on, due_on, payment_url,
                        external_ref, created_at, updated_at, next_action_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    invoice.number, owner, invoice.amount.currency.code, invoice.amount.minorUnits,
                    invoice.issuedOn.iso, invoice.dueOn.iso, invoice.paymentURL, invoice.externalRef, now, now,
                    // The next scheduler tick works out which stage applies and when.
                    now,
                ])
            return try Store.invoice(db, id: db.lastInsertedRowID)
        }
    }

    static func upsertCustomer(_ db: Database, _ customer: CustomerInput, now: Date) throws -> Int64 {
        try upsertCustomer(db, customer, createdAt: Store.timestamp(now))
    }

    static func upsertCustomer(_ db: Database, _ customer: CustomerInput, createdAt: String) throws -> Int64 {
        var existing: Int64?
        // Cached statements: an import upserts a customer per row.
        if let ref = customer.externalRef {
            existing = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM customer WHERE external_ref = ?"), arguments: [ref])
        } else if let phone = customer.phone {
            existing = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM customer WHERE phone = ? ORDER BY id LIMIT 1"),
                arguments: [phone.e164])
        }
        if let existing {
            try db.cachedStatement(
                sql: """
                    UPDATE customer SET name = ?, phone = COALESCE(?, phone), email = COALESCE(?, email),
                        locale = COALESCE(?, locale), time_zone = COALESCE(?, time_zone)
                    WHERE id = ?
                    """
            ).execute(arguments: [
                customer.name, customer.phone?.e164, customer.email, customer.locale, customer.timeZone, existing,
            ])
            return existing
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO customer (name, phone, email, locale, time_zone, external_ref, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                customer.name, customer.phone?.e164, customer.email, customer.locale, customer.timeZone,
                customer.externalRef, createdAt,
            ])
        return db.lastInsertedRowID
    }

    /// Customers to pick from when an invoice is typed in: the most recent `limit`, by name.
    public func customerChoices(limit: Int = 500) async throws -> [(id: Int64, name: String, phone: String?)] {
        try await pool.read { db in
            try CustomerTableRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM (SELECT * FROM customer ORDER BY id DESC LIMIT ?)
                    ORDER BY name COLLATE NOCASE, id
                    """, arguments: [limit]
            ).map { customer in try (id: customer.storedID(), name: customer.name, phone: customer.phone) }
        }
    }

    /// One invoice with its balance and click count.
    public func invoice(id: Int64) async throws -> InvoiceSummary {
        try await pool.read { db in try Store.invoice(db, id: id) }
    }

    /// The invoice with this number, if any.
    public func invoice(number: String) async throws -> InvoiceSummary {
        try await pool.read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM invoice WHERE number = ?", arguments: [number])
            else { throw StoreError.notFound("invoice \(number)") }
            return try Store.invoice(db, id: id)
        }
    }

    static func invoice(_ db: Database, id: Int64) throws -> InvoiceSummary {
        guard
            let invoice = try InvoiceSummary.fetchOne(
                db, sql: InvoiceSummary.selectSQL + " WHERE i.id = ?", arguments: [id])
        else { throw StoreError.notFound("invoice \(id)") }
        return invoice
    }

    /// A page of invoices in id order, optionally of one status, starting after `afterID` (keyset).
    public func invoices(status: InvoiceStatus?, afterID: Int64, limit: Int) async throws -> [InvoiceSummary] {
        try await pool.read { db in
            let filter =
                switch status {
                case nil: ""
                case .open?: " AND i.paid_at IS NULL AND i.voided_at IS NULL"
                case .paid?: " AND i.paid_at IS NOT NULL AND i.voided_at IS NULL"
                case .void?: " AND i.voided_at IS NOT NULL"
                }
            return try InvoiceSummary.fetchAll(
                db, sql: InvoiceSummary.selectSQL + " WHERE i.id > ?" + filter + " ORDER BY i.id LIMIT ?",
                arguments: [afterID, limit])
        }
    }

    /// Voids an invoice: it asks for nothing any more, its links stop showing it and queued messages are
    /// cancelled. Voiding twice is harmless.
    public func voidInvoice(id: Int64, now: Date, audit: AuditNote? = nil) async throws -> InvoiceSummary {
        try await write(audit: audit) { db in
            let invoice = try Store.invoice(db, id: id)
            guard invoice.status != .void else { return invoice }
            try db.execute(
                sql: "UPDATE invoice SET voided_at = ?, updated_at = ?, next_action_at = NULL WHERE id = ?",
                arguments: [now, now, id])
            try Store.cancelQueuedMessages(db, invoiceID: id, now: now)
            try Store.closeRequestsAndPlan(db, invoiceID: id, paid: false, now: now)
            try Store.emitInvoiceEvent(db, .invoiceVoided, invoiceID: id, now: now)
            return try Store.invoice(db, id: id)
        }
    }
}
