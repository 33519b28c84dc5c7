import Foundation
import GRDB
import RelanceCore

/// A row of `reminder`: one slot of an invoice's policy handled on one channel, by a message or, when
/// none could go, with the reason.
struct ReminderRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "reminder"

    var id: Int64?
    var invoiceID: Int64
    var stage: String
    var occurrence: Int
    var channel: Channel
    var messageID: Int64?
    var skippedReason: String?
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case invoiceID = "invoice_id"
        case stage
        case occurrence
        case channel
        case messageID = "message_id"
        case skippedReason = "skipped_reason"
        case createdAt = "created_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let invoiceID = Column(CodingKeys.invoiceID)
        static let stage = Column(CodingKeys.stage)
        static let occurrence = Column(CodingKeys.occurrence)
        static let channel = Column(CodingKeys.channel)
        static let messageID = Column(CodingKeys.messageID)
        static let skippedReason = Column(CodingKeys.skippedReason)
        static let createdAt = Column(CodingKeys.createdAt)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The slot alone (`stage`, `occurrence`), which is all the scheduler reads of a row.
    struct Slot: Decodable, FetchableRecord {
        var stage: String
        var occurrence: Int

        var key: SlotKey { SlotKey(stage: stage, occurrence: occurrence) }
    }
}
