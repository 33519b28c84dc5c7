import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `invoice_event`: a request, an answer, a plan event or a pause, in an invoice's history.
struct InvoiceEventRecord: AutoIncrementedRow {
    static let databaseTableName = "invoice_event"

    var id: Int64?
    var invoiceID: Int64
    var at: Date
    var kind: InvoiceEventKind
    var requestID: Int64?
    var detail: String?

    enum Columns {
        static let id = Column("id")
        static let invoiceID = Column("invoice_id")
    }
}
