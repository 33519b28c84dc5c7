import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `invoice`: what is owed, by whom, and where the scheduler stands with it.
struct InvoiceRecord: AutoIncrementedRow {
    static let databaseTableName = "invoice"

    var id: Int64?
    var number: String
    var customerID: Int64
    var currency: Currency
    /// In minor units of `currency`.
    var amount: Int64
    var issuedOn: CalendarDate
    var dueOn: CalendarDate
    var paymentURL: String?
    var externalRef: String?
    var paidAt: Date?
    var voidedAt: Date?
    var createdAt: Date
    var updatedAt: Date
    /// When the scheduler looks again; nil once nothing is left to send.
    var nextActionAt: Date?
    var remindersPausedAt: Date?
    var remindersPausedReason: String?
    /// Where the stages count from after a broken plan, instead of the due date.
    var remindersRebasedOn: CalendarDate?
}

extension InvoiceSummary: FetchableRecord {
    static let selectSQL = """
        SELECT i.*, c.name AS customer_name, c.locale AS customer_locale, c.time_zone AS customer_time_zone,
            (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id) AS paid,
            (SELECT COUNT(*) FROM click k JOIN link l ON l.id = k.link_id
                WHERE l.invoice_id = i.id AND k.agent = 'person') AS person_clicks
        FROM invoice i JOIN customer c ON c.id = i.customer_id
        """

    /// The columns `selectSQL` adds to the invoice's own.
    struct Totals: Decodable, FetchableRecord, SnakeCaseColumns {
        var customerName: String
        var customerLocale: String?
        var customerTimeZone: String?
        /// Everything received, in minor units.
        var paid: Int64
        /// Views of the invoice's links by people (link previews left out).
        var personClicks: Int
    }

    /// A row of `selectSQL`: the invoice's own columns, then the join's.
    public init(row: Row) throws {
        try self.init(InvoiceRecord(row: row), Totals(row: row))
    }

    init(_ invoice: InvoiceRecord, _ totals: Totals) throws {
        self.init(
            id: try invoice.storedID(), number: invoice.number, customerID: invoice.customerID,
            customerName: totals.customerName, customerLocale: totals.customerLocale,
            customerTimeZone: totals.customerTimeZone,
            amount: Money(minorUnits: invoice.amount, currency: invoice.currency), paid: totals.paid,
            issuedOn: invoice.issuedOn, dueOn: invoice.dueOn, externalRef: invoice.externalRef, paidAt: invoice.paidAt,
            voidedAt: invoice.voidedAt, createdAt: invoice.createdAt, personClicks: totals.personClicks,
            nextActionAt: invoice.nextActionAt, remindersPausedAt: invoice.remindersPausedAt,
            remindersPausedReason: invoice.remindersPausedReason)
    }
}
