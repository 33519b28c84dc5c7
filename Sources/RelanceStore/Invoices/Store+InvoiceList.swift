import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// What the dashboard's invoice list shows, and how.
public struct InvoiceFilter: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case open, overdue, paid, void, all
    }

    public enum Sort: String, Sendable, CaseIterable {
        /// Oldest due date first: the ones to chase come first.
        case due
        case dueDescending = "-due"
        case number
        case amount = "-amount"
    }

    public var status: Status = .open
    /// 0 not due, 1 for 1–30 days late, 2 for 31–60, 3 for 61–90, 4 over 90 (open invoices only).
    public var agingBucket: Int?
    public var customerID: Int64?
    /// Part of an invoice number or a customer's name.
    public var search: String?
    public var sort: Sort = .due

    public init(
        status: Status = .open, agingBucket: Int? = nil, customerID: Int64? = nil, search: String? = nil,
        sort: Sort = .due
    ) {
        self.status = status
        self.agingBucket = agingBucket
        self.customerID = customerID
        self.search = search
        self.sort = sort
    }
}

/// One line of the dashboard's invoice list.
public struct InvoiceListItem: Sendable, Equatable {
    public var id: Int64
    public var number: String
    public var customerID: Int64
    public var customerName: String
    public var customerPhone: String?
    public var amount: Money
    public var paid: Int64
    public var issuedOn: CalendarDate
    public var dueOn: CalendarDate
    public var status: InvoiceStatus
    public var remindersPaused: Bool
    public var hasActivePlan: Bool

    public var balance: Money { Money(minorUnits: amount.minorUnits - paid, currency: amount.currency) }
}

extension InvoiceListItem {
    init(_ row: Store.ListedInvoice) {
        self.init(
            id: row.id, number: row.number, customerID: row.customerID, customerName: row.name,
            customerPhone: row.phone, amount: Money(minorUnits: row.amount, currency: row.currency), paid: row.paid,
            issuedOn: row.issuedOn, dueOn: row.dueOn,
            status: row.voidedAt != nil ? .void : row.paidAt != nil ? .paid : .open,
            remindersPaused: row.remindersPausedAt != nil, hasActivePlan: row.onPlan)
    }
}

/// A page of the list and the cursor of the next page (nil on the last).
public struct InvoicePage: Sendable {
    public var items: [InvoiceListItem]
    public var next: String?
}

extension Store {
    /// The invoices matching `filter`, `limit` at a time after `cursor` (from the previous page's `next`).
    /// Keyset pagination on (sort value, id): the thousandth page costs what the first does.
    public func invoicePage(_ filter: InvoiceFilter, today: CalendarDate, cursor: String?, limit: Int) async throws
        -> InvoicePage
    {
        try await pool.read { db in
            var (sql, arguments) = Store.listQuery(filter, today: today)
            let (column, descending) = Store.sortColumn(filter.sort)
            if let cursor, let (value, id) = Store.decodeCursor(cursor) {
                // A row-value comparison, which SQLite answers from the (due_on, id) index in one seek.
                let comparison = descending ? "<" : ">"
                sql += " AND (\(column), i.id) \(comparison) (?, ?)"
                let typed: DatabaseValueConvertible = filter.sort == .amount ? (Int64(value) ?? 0) : value
                arguments += [typed, id]
            }
            let direction = descending ? "DESC" : "ASC"
            sql += " ORDER BY \(column) \(direction), i.id \(direction) LIMIT ?"
            arguments += [limit + 1]
            let rows = try ListedInvoice.fetchAll(db, sql: sql, arguments: arguments)
            let items = rows.prefix(limit).map { InvoiceListItem($0) }
            var next: String?
            if rows.count > limit, let last = items.last {
                let value: String =
                    switch filter.sort {
                    case .due, .dueDescending: last.dueOn.iso
                    case .number: last.number
                    case .amount: String(last.amount.minorUnits)
                    }
                next = Store.encodeCursor(value, last.id)
            }
            return InvoicePage(items: Array(items), next: next)
        }
    }

    /// Every invoice matching `filter`, in its order, for a CSV export.
    public func invoiceExport(_ filter: InvoiceFilter, today: CalendarDate) async throws -> [InvoiceListItem] {
        try await pool.read { db in
            var (sql, arguments) = Store.listQuery(filter, today: today)
            let (column, descending) = Store.sortColumn(filter.sort)
            let direction = descending ? "DESC" : "ASC"
            sql += " ORDER BY \(column) \(direction), i.id \(direction)"
            arguments += []
            return try ListedInvoice.fetchAll(db, sql: sql, arguments: arguments).map { InvoiceListItem($0) }
        }
    }

    static func sortColumn(_ sort: InvoiceFilter.Sort) -> (String, Bool) {
        switch sort {
        case .due: ("i.due_on", false)
        case .dueDescending: ("i.due_on", true)
        case .number: ("i.number", false)
        case .amount: ("i.amount", true)
        }
    }

    static func listQuery(_ filter: InvoiceFilter, today: CalendarDate) -> (String, StatementArguments) {
        var sql = """
            SELECT i.id, i.number, i.customer_id, i.currency, i.amount, i.issued_on, i.due_on, i.paid_at, i.voided_at,
                i.reminders_paused_at, c.name, c.phone,
                (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id) AS paid,
                EXISTS (SELECT 1 FROM plan WHERE invoice_id = i.id AND status = 'active') AS on_plan
            FROM invoice i JOIN customer c ON c.id = i.customer_id
            WHERE 1
            """
        var arguments: StatementArguments = []
        switch filter.status {
        case .open: sql += " AND i.paid_at IS NULL AND i.voided_at IS NULL"
        case .overdue:
            sql += " AND i.paid_at IS NULL AND i.voided_at IS NULL AND i.due_on < ?"
            arguments += [today.iso]
        case .paid: sql += " AND i.paid_at IS NOT NULL AND i.voided_at IS NULL"
        case .void: sql += " AND i.voided_at IS NOT NULL"
        case .all: break
        }
        if let bucket = filter.agingBucket {
            // Buckets are ranges of due dates, so the due-date index serves them.
            sql += " AND i.paid_at IS NULL AND i.voided_at IS NULL"
            switch bucket {
            case 0:
                sql += " AND i.due_on >= ?"
                arguments += [today.iso]
            case 1...3:
                sql += " AND i.due_on BETWEEN ? AND ?"
                arguments += [today.adding(days: -30 * bucket).iso, today.adding(days: -30 * (bucket - 1) - 1).iso]
            default:
                sql += " AND i.due_on < ?"
                arguments += [today.adding(days: -90).iso]
            }
        }
        if let customer = filter.customerID {
            sql += " AND i.customer_id = ?"
            arguments += [customer]
        }
        if let search = filter.search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            // LIKE with the wildcards of the search escaped: "50%" looks for "50%", not everything.
            let escaped = search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            sql += " AND (i.number LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\')"
            arguments += ["%\(escaped)%", "%\(escaped)%"]
        }
        return (sql, arguments)
    }

    /// A row of `listQuery`: the invoice's columns the list shows, its customer's name and phone, what it
    /// has received, and whether a plan runs. Its keys are listed rather than derived (`SnakeCaseColumns`):
    /// the CSV export decodes every invoice through it.
    struct ListedInvoice: Decodable, FetchableRecord {
        var id: Int64
        var number: String
        var customerID: Int64
        var currency: Currency
        var amount: Int64
        var issuedOn: CalendarDate
        var dueOn: CalendarDate
        var paidAt: Date?
        var voidedAt: Date?
        var remindersPausedAt: Date?
        /// The customer's.
        var name: String
        var phone: String?
        var paid: Int64
        var onPlan: Bool

        enum CodingKeys: String, CodingKey {
            case id
            case number
            case customerID = "customer_id"
            case currency
            case amount
            case issuedOn = "issued_on"
            case dueOn = "due_on"
            case paidAt = "paid_at"
            case voidedAt = "voided_at"
            case remindersPausedAt = "reminders_paused_at"
            case name
            case phone
            case paid
            case onPlan = "on_plan"
        }
    }

    static func encodeCursor(_ value: String, _ id: Int64) -> String {
        Base64URL.encode(Array("\(id):\(value)".utf8))
    }

    static func decodeCursor(_ cursor: String) -> (String, Int64)? {
        guard cursor.utf8.count < 400, let bytes = Base64URL.decode(cursor), bytes.count < 300 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), let id = Int64(text[..<colon]) else { return nil }
        return (String(text[text.index(after: colon)...]), id)
    }
}
