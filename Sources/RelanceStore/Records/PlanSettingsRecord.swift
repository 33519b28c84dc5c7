import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The `plan_settings` row (id 1): what a business accepts in a proposal, and how plans are reminded.
struct PlanSettingsRecord: TableRow {
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
}
