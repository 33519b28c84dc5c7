import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The `sending_rules` row (id 1): quiet hours, weekdays, holidays, the frequency cap, and whether a
/// reply pauses reminders.
struct SendingRulesRecord: TableRow {
    static let databaseTableName = "sending_rules"

    var id: Int64
    var windowStartHour: Int
    var windowEndHour: Int
    /// ISO weekdays, `1,2,3,4,5,6`.
    var weekdays: String
    /// `YYYY-MM-DD` dates separated by commas.
    var holidays: String
    var smsMinimumIntervalHours: Int
    var pauseOnReply: Bool
}
