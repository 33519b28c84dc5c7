import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `reminder`: one slot of an invoice's policy handled on one channel, by a message or, when
/// none could go, with the reason.
struct ReminderRecord: AutoIncrementedRow {
    static let databaseTableName = "reminder"

    var id: Int64?
    var invoiceID: Int64
    var stage: String
    var occurrence: Int
    var channel: Channel
    var messageID: Int64?
    var skippedReason: String?
    var createdAt: Date

    enum Columns {
        static let invoiceID = Column("invoice_id")
        static let messageID = Column("message_id")
    }

    /// The slot alone (`stage`, `occurrence`), which is all the scheduler reads of a row.
    struct Slot: Decodable, FetchableRecord {
        var stage: String
        var occurrence: Int

        var key: SlotKey { SlotKey(stage: stage, occurrence: occurrence) }
    }
}
