import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `message_event`: one status a message went through, with its time.
struct MessageEventRecord: AutoIncrementedRow {
    static let databaseTableName = "message_event"

    var id: Int64?
    var messageID: Int64
    var status: MessageEventStatus
    var at: Date
    var detail: String?

    static let message = belongsTo(MessageRecord.self)

    enum Columns {
        static let id = Column("id")
        static let messageID = Column("message_id")
    }
}
