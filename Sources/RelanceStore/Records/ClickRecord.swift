import Foundation
import GRDB
import RelanceCore

/// A row of `click`: one view of a link's page, by a person or by a link-preview fetcher.
struct ClickRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "click"

    var id: Int64?
    var linkID: Int64
    var at: Date
    var agent: UserAgentClass
    var ipHash: String?

    enum CodingKeys: String, CodingKey {
        case id
        case linkID = "link_id"
        case at
        case agent
        case ipHash = "ip_hash"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let linkID = Column(CodingKeys.linkID)
        static let at = Column(CodingKeys.at)
        static let agent = Column(CodingKeys.agent)
        static let ipHash = Column(CodingKeys.ipHash)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
