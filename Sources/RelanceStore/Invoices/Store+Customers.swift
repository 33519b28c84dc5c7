import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A customer as the dashboard shows and edits them: a row of `Store.customerColumns`.
public struct CustomerRecord: Sendable, Equatable, Decodable, FetchableRecord, SnakeCaseColumns {
    public var id: Int64
    public var name: String
    public var phone: String?
    public var email: String?
    public var locale: String?
    public var timeZone: String?
    public var externalRef: String?
    /// When they texted STOP (or were opted out), if they have not come back.
    public var smsOptedOutAt: Date?
    public var emailOptedOutAt: Date?
    public var createdAt: Date
    /// Open invoices and what they still owe, summed per currency elsewhere; here the count.
    public var openInvoices: Int

}

/// What a person may correct about a customer on the dashboard; the billing system's reference is not one.
public struct CustomerEdit: Sendable, Equatable {
    public var name: String
    public var phone: PhoneNumber?
    public var email: String?
    public var locale: String?
    public var timeZone: String?

    public init(name: String, phone: PhoneNumber?, email: String?, locale: String?, timeZone: String?) {
        self.name = name
        self.phone = phone
        self.email = email
        self.locale = locale
        self.timeZone = timeZone
    }
}

extension Store {
    static let customerColumns = """
        c.id, c.name, c.phone, c.email, c.locale, c.time_zone, c.external_ref, c.sms_opted_out_at,
        c.email_opted_out_at, c.created_at,
        (SELECT COUNT(*) FROM invoice i WHERE i.customer_id = c.id AND i.paid_at IS NULL AND i.voided_at IS NULL)
            AS open_invoices
        """

    /// Customers by name, a page at a time (`afterName`/`afterID` from the last row), optionally only those
    /// whose name, phone, email or reference contains `search`.
    public func customers(search: String?, after: (name: String, id: Int64)?, limit: Int) async throws
        -> [CustomerRecord]
    {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let search, !search.isEmpty {
                // LIKE with the user's text escaped: % and _ are matched as themselves.
                let pattern =
                    "%"
                    + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                conditions.append(
                    "(c.name LIKE ? ESCAPE '\\' OR c.phone LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\' "
                        + "OR c.external_ref LIKE ? ESCAPE '\\')")
                arguments += [pattern, pattern, pattern, pattern]
            }
            if let after {
                conditions.append("(c.name COLLATE NOCASE, c.id) > (? COLLATE NOCASE, ?)")
                arguments += [after.name, after.id]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try CustomerRecord.fetchAll(
                db,
                sql: """
                    SELECT \(Store.customerColumns) FROM customer c \(filter)
                    ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?
                    """, arguments: StatementArguments(arguments + [limit]))
        }
    }

    public func customer(id: Int64) async throws -> CustomerRecord {
        try await pool.read { db in
            guard
                let customer = try CustomerRecord.fetchOne(
                    db, sql: "SELECT \(Store.customerColumns) FROM customer c WHERE c.id = ?", arguments: [id])
            else { throw StoreError.notFound("customer \(id)") }
            return customer
        }
    }

    /// The first customer with this phone number (E.164), if any: the one an invoice for it would go to.
    public func customer(phone: String) async throws -> CustomerRecord? {
        try await pool.read { db in
            try CustomerRecord.fetchOne(
                db, sql: "SELECT \(Store.customerColumns) FROM customer c WHERE c.phone = ? ORDER BY c.id LIMIT 1",
                arguments: [phone])
        }
    }

    /// Corrects a customer's contact details, with the audit row in the same transaction.
    public func updateCustomer(id: Int64, _ edit: CustomerEdit, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            try db.execute(
                sql: "UPDATE customer SET name = ?, phone = ?, email = ?, locale = ?, time_zone = ? WHERE id = ?",
                arguments: [edit.name, edit.phone?.e164, edit.email, edit.locale, edit.timeZone, id])
            guard db.changesCount == 1 else { throw StoreError.notFound("customer \(id)") }
        }
    }

    public enum OptInChannel: String, Sendable {
        case sms, email
    }

    /// Lets messages go to a customer again on `channel`, on their own word: `source` says where they gave
    /// it (a call, an email, in person…) and is kept in the audit row. Staff cannot opt anyone out here:
    /// STOP is the customer's to say.
    public func optIn(customerID: Int64, channel: OptInChannel, source: String, audit: AuditNote) async throws {
        var audit = audit
        audit.detail = "\(channel.rawValue) opt-in, customer's word: \(source)"
        try await write(audit: audit) { db in
            let column = channel == .sms ? "sms_opted_out_at" : "email_opted_out_at"
            try db.execute(
                sql: "UPDATE customer SET \(column) = NULL WHERE id = ? AND \(column) IS NOT NULL",
                arguments: [customerID])
            guard db.changesCount == 1 else { throw StoreError.notFound("an opt-out for customer \(customerID)") }
        }
    }

    /// A customer's replies, newest first.
    public func replies(customerID: Int64, limit: Int) async throws -> [InboundReply] {
        try await pool.read { db in try Store.replies(db, customerID: customerID, limit: limit) }
    }

    /// A customer's messages, newest first: (id, invoice, stage, channel, status, body, sent or created).
    public func messages(customerID: Int64, limit: Int) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try MessageRecord.filter(MessageRecord.Columns.customerID == customerID)
                .order(MessageRecord.Columns.id.desc)
                .limit(limit)
                .fetchAll(db)
                .map { try OutboxMessage($0) }
        }
    }
}
