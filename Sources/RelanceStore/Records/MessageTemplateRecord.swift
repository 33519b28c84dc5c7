import Foundation
import GRDB
import RelanceCore

/// A row of `message_template`: the business's own wording for a stage, channel, language and kind;
/// without one the built-in wording is used.
struct MessageTemplateRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "message_template"

    var stage: String
    var channel: Channel
    var locale: Language
    var combined: Bool
    var body: String
    var updatedAt: Date
    /// Email only.
    var subject: String?

    enum CodingKeys: String, CodingKey {
        case stage
        case channel
        case locale
        case combined
        case body
        case updatedAt = "updated_at"
        case subject
    }

    enum Columns {
        static let stage = Column(CodingKeys.stage)
        static let channel = Column(CodingKeys.channel)
        static let locale = Column(CodingKeys.locale)
        static let combined = Column(CodingKeys.combined)
        static let body = Column(CodingKeys.body)
        static let updatedAt = Column(CodingKeys.updatedAt)
        static let subject = Column(CodingKeys.subject)
    }
}
