import Foundation
import GRDB
import RelanceCore

/// The `plan_settings` row (id 1): what a business accepts in a proposal, and how plans are reminded.
struct PlanSettingsRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "plan_settings"

    var id: Int64
    var maximumInstalments: Int
    var maximumSpanDays: Int
    var minimumInstalment: Int64
    var autoAccept: Bool
    var autoAcceptMaximumInstalments: Int
    var autoAcceptMaximumSpanDays: Int
    /// Days from each instalment's date, `-3,0,3`.
    var reminderOffsets: String
    var breakAfterDays: Int
    var replyTimeFr: String?
    var replyTimeEn: String?

    enum CodingKeys: String, CodingKey {
        case id
        case maximumInstalments = "maximum_instalments"
        case maximumSpanDays = "maximum_span_days"
        case minimumInstalment = "minimum_instalment"
        case autoAccept = "auto_accept"
        case autoAcceptMaximumInstalments = "auto_accept_maximum_instalments"
        case autoAcceptMaximumSpanDays = "auto_accept_maximum_span_days"
        case reminderOffsets = "reminder_offsets"
        case breakAfterDays = "break_after_days"
        case replyTimeFr = "reply_time_fr"
        case replyTimeEn = "reply_time_en"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let maximumInstalments = Column(CodingKeys.maximumInstalments)
        static let maximumSpanDays = Column(CodingKeys.maximumSpanDays)
        static let minimumInstalment = Column(CodingKeys.minimumInstalment)
        static let autoAccept = Column(CodingKeys.autoAccept)
        static let autoAcceptMaximumInstalments = Column(CodingKeys.autoAcceptMaximumInstalments)
        static let autoAcceptMaximumSpanDays = Column(CodingKeys.autoAcceptMaximumSpanDays)
        static let reminderOffsets = Column(CodingKeys.reminderOffsets)
        static let breakAfterDays = Column(CodingKeys.breakAfterDays)
        static let replyTimeFr = Column(CodingKeys.replyTimeFr)
        static let replyTimeEn = Column(CodingKeys.replyTimeEn)
    }
}
