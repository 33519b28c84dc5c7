import Foundation
import GRDB
import RelanceCore

/// A row of `template_variant`: the B wording of a template and the share of messages that get it.
struct TemplateVariantRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "template_variant"

    var stage: String
    var channel: Channel
    var locale: Language
    var combined: Bool
    var body: String
    /// Percent of messages, 1–99.
    var share: Int
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case stage
        case channel
        case locale
        case combined
        case body
        case share
        case updatedAt = "updated_at"
    }

    enum Columns {
        static let stage = Column(CodingKeys.stage)
        static let channel = Column(CodingKeys.channel)
        static let locale = Column(CodingKeys.locale)
        static let combined = Column(CodingKeys.combined)
        static let body = Column(CodingKeys.body)
        static let share = Column(CodingKeys.share)
        static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
