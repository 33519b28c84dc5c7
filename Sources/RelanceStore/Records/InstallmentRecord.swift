import Foundation
import GRDB
import RelanceCore

/// A row of `installment`: one instalment of a plan, in its order.
struct InstallmentRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord
{
    static let databaseTableName = "installment"

    var id: Int64?
    var planID: Int64
    var position: Int
    var dueOn: CalendarDate
    var amount: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case planID = "plan_id"
        case position
        case dueOn = "due_on"
        case amount
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let planID = Column(CodingKeys.planID)
        static let position = Column(CodingKeys.position)
        static let dueOn = Column(CodingKeys.dueOn)
        static let amount = Column(CodingKeys.amount)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// A plan's instalments in their order.
    static func of(planID: Int64) -> QueryInterfaceRequest<InstallmentRecord> {
        InstallmentRecord.filter(Columns.planID == planID).order(Columns.position)
    }
}
