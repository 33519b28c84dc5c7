import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `reminder_stage`: one stage of the policy, placed relative to the due date.
struct ReminderStageRecord: TableRow {
    static let databaseTableName = "reminder_stage"

    var key: String
    var position: Int
    var offsetDays: Int
    var repeatEveryDays: Int?
    var enabled: Bool
    /// `sms`, `email` or `sms,email`.
    var channels: String

    enum Columns {
        static let position = Column("position")
    }
}
