import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `plan`: an accepted payment plan; payments after it began pay its instalments, oldest first.
struct PlanRecord: AutoIncrementedRow {
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

    enum Columns {
        static let invoiceID = Column("invoice_id")
        static let status = Column("status")
    }

    /// An invoice's running plan (at most one).
    static func active(invoiceID: Int64) -> QueryInterfaceRequest<PlanRecord> {
        PlanRecord.filter(Columns.invoiceID == invoiceID && Columns.status == PlanStatus.active)
    }
}
