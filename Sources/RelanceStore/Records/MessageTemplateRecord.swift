import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `message_template`: the business's own wording for a stage, channel, language and kind;
/// without one the built-in wording is used.
struct MessageTemplateRecord: TableRow {
    static let databaseTableName = "message_template"

    var stage: String
    var channel: Channel
    var locale: Language
    var combined: Bool
    var body: String
    var updatedAt: Date
    /// Email only.
    var subject: String?
}
