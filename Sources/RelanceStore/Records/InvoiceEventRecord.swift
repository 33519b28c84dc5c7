import Foundation
import GRDB
import RelanceCore

/// A row of `invoice_event`: a request, an answer, a plan event or a pause, in an invoice's history.
struct InvoiceEventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
    static let databaseTableName = "invoice_event"

    var id: Int64?
    var invoiceID: Int64
    var at: Date
    var kind: InvoiceEventKind
    var requestID: Int64?
    var detail: String?

    enum CodingKeys: String, CodingKey {
        case id
        case invoiceID = "invoice_id"
        case at
        case kind
        case requestID = "request_id"
        case detail
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let invoiceID = Column(CodingKeys.invoiceID)
        static let at = Column(CodingKeys.at)
        static let kind = Column(CodingKeys.kind)
        static let requestID = Column(CodingKeys.requestID)
        static let detail = Column(CodingKeys.detail)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
