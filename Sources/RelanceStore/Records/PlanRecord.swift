import Foundation
import GRDB
import RelanceCore

/// A row of `plan`: an accepted payment plan; payments after it began pay its instalments, oldest first.
struct PlanRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "plan"

    var id: Int64?
    var invoiceID: Int64
    var requestID: Int64?
    var status: PlanStatus
    /// What the invoice had received when the plan began.
    var paidBefore: Int64
    var createdAt: Date
    var endedAt: Date?
    var endReason: String?

    enum CodingKeys: String, CodingKey {
        case id
        case invoiceID = "invoice_id"
        case requestID = "request_id"
        case status
        case paidBefore = "paid_before"
        case createdAt = "created_at"
        case endedAt = "ended_at"
        case endReason = "end_reason"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let invoiceID = Column(CodingKeys.invoiceID)
        static let requestID = Column(CodingKeys.requestID)
        static let status = Column(CodingKeys.status)
        static let paidBefore = Column(CodingKeys.paidBefore)
        static let createdAt = Column(CodingKeys.createdAt)
        static let endedAt = Column(CodingKeys.endedAt)
        static let endReason = Column(CodingKeys.endReason)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// An invoice's running plan (at most one).
    static func active(invoiceID: Int64) -> QueryInterfaceRequest<PlanRecord> {
        PlanRecord.filter(Columns.invoiceID == invoiceID && Columns.status == PlanStatus.active)
    }
}
