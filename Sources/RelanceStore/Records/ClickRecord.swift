import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `click`: one view of a link's page, by a person or by a link-preview fetcher.
struct ClickRecord: AutoIncrementedRow {
    static let databaseTableName = "click"

    var id: Int64?
    var linkID: Int64
    var at: Date
    var agent: UserAgentClass
    var ipHash: String?

    enum Columns {
        static let linkID = Column("link_id")
        static let agent = Column("agent")
    }
}
