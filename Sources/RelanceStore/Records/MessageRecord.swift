import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `message`: one text or email, from queued to its provider's last word.
struct MessageRecord: AutoIncrementedRow {
    static let databaseTableName = "message"

    var id: Int64?
    var customerID: Int64
    /// Nil for a message about several invoices (see `reminder`) or about none.
    var invoiceID: Int64?
    var linkID: Int64?
    var kind: MessageKind
    var channel: Channel
    var recipient: String
    /// The SMS text, or the email's plain-text part.
    var body: String
    var status: MessageStatus
    var error: String?
    var createdAt: Date
    var sentAt: Date?
    var stage: String?
    var encoding: SMSEncoding?
    var segments: Int?
    var provider: String?
    var providerID: String?
    var attempts: Int
    var nextAttemptAt: Date?
    var updatedAt: Date?
    var requestID: Int64?
    var variant: WordingVariant?
    /// Email only, with `html` and `unsubscribeURL`.
    var subject: String?
    var html: String?
    var unsubscribeURL: String?

    enum Columns {
        static let id = Column("id")
        static let customerID = Column("customer_id")
        static let invoiceID = Column("invoice_id")
        static let kind = Column("kind")
        static let channel = Column("channel")
        static let status = Column("status")
    }
}

/// A message waiting in the outbox or already handed to a provider.
public struct OutboxMessage: Sendable, Equatable {
    public var id: Int64
    public var customerID: Int64
    public var invoiceID: Int64?
    public var kind: MessageKind
    public var channel: Channel
    public var recipient: String
    public var body: String
    public var status: MessageStatus
    public var createdAt: Date
    public var stage: String?
    public var encoding: SMSEncoding?
    public var segments: Int?
    public var provider: String?
    public var providerID: String?
    public var error: String?
    public var attempts: Int
    public var sentAt: Date?

    /// The message as the API and the dashboard list it.
    init(_ message: MessageRecord) throws {
        id = try message.storedID()
        customerID = message.customerID
        invoiceID = message.invoiceID
        kind = message.kind
        channel = message.channel
        recipient = message.recipient
        body = message.body
        status = message.status
        createdAt = message.createdAt
        stage = message.stage
        encoding = message.encoding
        segments = message.segments
        provider = message.provider
        providerID = message.providerID
        error = message.error
        attempts = message.attempts
        sentAt = message.sentAt
    }
}

extension MessageRecord {
    /// An invoice's messages that have not left yet, oldest first: what settling or pausing it cancels.
    static func queued(invoiceID: Int64) -> QueryInterfaceRequest<MessageRecord> {
        MessageRecord.filter(Columns.invoiceID == invoiceID && Columns.status == MessageStatus.queued)
            .order(Columns.id)
    }

    /// A customer's messages on `channel` that have not left yet, oldest first: what an opt-out cancels.
    static func queued(customerID: Int64, channel: Channel) -> QueryInterfaceRequest<MessageRecord> {
        MessageRecord.filter(
            Columns.customerID == customerID && Columns.channel == channel && Columns.status == MessageStatus.queued
        )
        .order(Columns.id)
    }
}
