import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `request`: a customer's plan proposal or question, and what the business answered.
struct RequestRecord: AutoIncrementedRow {
    static let databaseTableName = "request"

    var id: Int64?
    var invoiceID: Int64
    var customerID: Int64
    var linkID: Int64?
    var kind: RequestKind
    var status: RequestStatus
    /// `YYYY-MM-DD:minor units` separated by `;`; plans only.
    var schedule: String?
    var message: String?
    var contact: ContactPreference?
    var callback: CallbackTime?
    var fingerprint: String
    var ipHash: String?
    var autoAccepted: Bool
    var answer: String?
    var answeredAt: Date?
    var createdAt: Date

    enum Columns {
        static let id = Column("id")
        static let invoiceID = Column("invoice_id")
        static let kind = Column("kind")
        static let status = Column("status")
    }

    /// An invoice's requests still waiting for the business.
    static func pending(invoiceID: Int64) -> QueryInterfaceRequest<RequestRecord> {
        RequestRecord.filter(Columns.invoiceID == invoiceID && Columns.status == RequestStatus.pending)
    }
}
