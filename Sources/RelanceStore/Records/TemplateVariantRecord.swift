import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `template_variant`: the B wording of a template and the share of messages that get it.
struct TemplateVariantRecord: TableRow {
    static let databaseTableName = "template_variant"

    var stage: String
    var channel: Channel
    var locale: Language
    var combined: Bool
    var body: String
    /// Percent of messages, 1–99.
    var share: Int
    var updatedAt: Date
}
