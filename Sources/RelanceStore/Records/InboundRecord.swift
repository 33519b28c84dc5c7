import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `inbound`: a text a customer sent.
struct InboundRecord: AutoIncrementedRow {
    static let databaseTableName = "inbound"

    var id: Int64?
    /// The first customer with that number, if any.
    var customerID: Int64?
    var fromNumber: String
    var toNumber: String?
    var body: String
    var keyword: ReplyKeyword
    var provider: String
    var receivedAt: Date
    var readAt: Date?
    var providerMessageID: String?

    enum Columns {
        static let keyword = Column("keyword")
        static let readAt = Column("read_at")
    }
}
