import Foundation
import GRDB
import RelanceCore

/// A row of `request`: a customer's plan proposal or question, and what the business answered.
struct RequestRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
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

    enum CodingKeys: String, CodingKey {
        case id
        case invoiceID = "invoice_id"
        case customerID = "customer_id"
        case linkID = "link_id"
        case kind
        case status
        case schedule
        case message
        case contact
        case callback
        case fingerprint
        case ipHash = "ip_hash"
        case autoAccepted = "auto_accepted"
        case answer
        case answeredAt = "answered_at"
        case createdAt = "created_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let invoiceID = Column(CodingKeys.invoiceID)
        static let customerID = Column(CodingKeys.customerID)
        static let linkID = Column(CodingKeys.linkID)
        static let kind = Column(CodingKeys.kind)
        static let status = Column(CodingKeys.status)
        static let schedule = Column(CodingKeys.schedule)
        static let message = Column(CodingKeys.message)
        static let contact = Column(CodingKeys.contact)
        static let callback = Column(CodingKeys.callback)
        static let fingerprint = Column(CodingKeys.fingerprint)
        static let ipHash = Column(CodingKeys.ipHash)
        static let autoAccepted = Column(CodingKeys.autoAccepted)
        static let answer = Column(CodingKeys.answer)
        static let answeredAt = Column(CodingKeys.answeredAt)
        static let createdAt = Column(CodingKeys.createdAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// An invoice's requests still waiting for the business.
    static func pending(invoiceID: Int64) -> QueryInterfaceRequest<RequestRecord> {
        RequestRecord.filter(Columns.invoiceID == invoiceID && Columns.status == RequestStatus.pending)
    }
}
