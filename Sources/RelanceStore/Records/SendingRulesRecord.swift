import Foundation
import GRDB
import RelanceCore

/// The `sending_rules` row (id 1): quiet hours, weekdays, holidays, the frequency cap, and whether a
/// reply pauses reminders.
struct SendingRulesRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
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

    enum CodingKeys: String, CodingKey {
        case id
        case windowStartHour = "window_start_hour"
        case windowEndHour = "window_end_hour"
        case weekdays
        case holidays
        case smsMinimumIntervalHours = "sms_minimum_interval_hours"
        case pauseOnReply = "pause_on_reply"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let windowStartHour = Column(CodingKeys.windowStartHour)
        static let windowEndHour = Column(CodingKeys.windowEndHour)
        static let weekdays = Column(CodingKeys.weekdays)
        static let holidays = Column(CodingKeys.holidays)
        static let smsMinimumIntervalHours = Column(CodingKeys.smsMinimumIntervalHours)
        static let pauseOnReply = Column(CodingKeys.pauseOnReply)
    }
}
