import Foundation
import GRDB
import RelanceCore

/// A row of `reminder_stage`: one stage of the policy, placed relative to the due date.
struct ReminderStageRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "reminder_stage"

    var key: String
    var position: Int
    var offsetDays: Int
    var repeatEveryDays: Int?
    var enabled: Bool
    /// `sms`, `email` or `sms,email`.
    var channels: String

    enum CodingKeys: String, CodingKey {
        case key
        case position
        case offsetDays = "offset_days"
        case repeatEveryDays = "repeat_every_days"
        case enabled
        case channels
    }

    enum Columns {
        static let key = Column(CodingKeys.key)
        static let position = Column(CodingKeys.position)
        static let offsetDays = Column(CodingKeys.offsetDays)
        static let repeatEveryDays = Column(CodingKeys.repeatEveryDays)
        static let enabled = Column(CodingKeys.enabled)
        static let channels = Column(CodingKeys.channels)
    }
}
