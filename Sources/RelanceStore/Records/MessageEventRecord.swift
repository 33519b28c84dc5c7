import Foundation
import GRDB
import RelanceCore

/// A row of `message_event`: one status a message went through, with its time.
struct MessageEventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    AutoIncrementedRecord
{
    static let databaseTableName = "message_event"

    var id: Int64?
    var messageID: Int64
    var status: MessageEventStatus
    var at: Date
    var detail: String?

    enum CodingKeys: String, CodingKey {
        case id
        case messageID = "message_id"
        case status
        case at
        case detail
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let messageID = Column(CodingKeys.messageID)
        static let status = Column(CodingKeys.status)
        static let at = Column(CodingKeys.at)
        static let detail = Column(CodingKeys.detail)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
