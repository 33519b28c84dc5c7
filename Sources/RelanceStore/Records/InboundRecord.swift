import Foundation
import GRDB
import RelanceCore

/// A row of `inbound`: a text a customer sent.
struct InboundRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
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

    enum CodingKeys: String, CodingKey {
        case id
        case customerID = "customer_id"
        case fromNumber = "from_number"
        case toNumber = "to_number"
        case body
        case keyword
        case provider
        case receivedAt = "received_at"
        case readAt = "read_at"
        case providerMessageID = "provider_message_id"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let customerID = Column(CodingKeys.customerID)
        static let fromNumber = Column(CodingKeys.fromNumber)
        static let toNumber = Column(CodingKeys.toNumber)
        static let body = Column(CodingKeys.body)
        static let keyword = Column(CodingKeys.keyword)
        static let provider = Column(CodingKeys.provider)
        static let receivedAt = Column(CodingKeys.receivedAt)
        static let readAt = Column(CodingKeys.readAt)
        static let providerMessageID = Column(CodingKeys.providerMessageID)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
