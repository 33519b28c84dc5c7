import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `installment`: one instalment of a plan, in its order.
struct InstallmentRecord: AutoIncrementedRow {
    static let databaseTableName = "installment"

    var id: Int64?
    var planID: Int64
    var position: Int
    var dueOn: CalendarDate
    var amount: Int64

    enum Columns {
        static let planID = Column("plan_id")
        static let position = Column("position")
    }

    /// A plan's instalments in their order.
    static func of(planID: Int64) -> QueryInterfaceRequest<InstallmentRecord> {
        InstallmentRecord.filter(Columns.planID == planID).order(Columns.position)
    }
}
