import Foundation
import RelanceCore

/// Replies and delivery reports as a database keeps them. The store records the reply and, in the same
/// transaction, carries out for each customer whose number sent it what the service's rule decided.
public protocol InboundStorage: StorageHealth {
    /// Stores the reply (once per provider message id: a repeat changes nothing) and applies `decide`'s
    /// action to each customer with that number, with the business's name and its "pause on reply" rule.
    func recordInbound(
        _ reply: InboundText, now: Date,
        decide: @Sendable (_ customer: ReplyingCustomer, _ business: String, _ pauseOnReply: Bool) throws -> ReplyAction
    ) async throws -> InboundOutcome
    /// A provider's report on a message named by its id; false when no such message exists.
    func recordDelivery(messageID: Int64, _ status: DeliveryStatus, now: Date) async throws -> Bool
    /// The same, naming the message by the provider's own id (Twilio's MessageSid).
    func recordDelivery(provider: String, providerID: String, _ status: DeliveryStatus, now: Date) async throws -> Bool
}

/// A text a customer sent, as a gateway handed it over.
public struct InboundText: Sendable, Equatable {
    public var from: String
    public var to: String?
    public var body: String
    public var provider: String
    public var providerMessageID: String?

    public init(from: String, to: String?, body: String, provider: String, providerMessageID: String? = nil) {
        self.from = from
        self.to = to
        self.body = body
        self.provider = provider
        self.providerMessageID = providerMessageID
    }

    public var keyword: ReplyKeyword { ReplyKeyword(reply: body) }
}

/// A customer whose number sent a reply, as the reply's rule sees them.
public struct ReplyingCustomer: Sendable, Equatable {
    public var id: Int64
    public var optedOut: Bool
    public var language: Language

    public init(id: Int64, optedOut: Bool, language: Language) {
        self.id = id
        self.optedOut = optedOut
        self.language = language
    }
}

/// What a reply does for one customer.
public enum ReplyAction: Sendable, Equatable {
    /// No more texts; their queued ones are cancelled and this confirmation is the last.
    case optOut(confirmation: String)
    /// Texts again, with this confirmation.
    case optIn(confirmation: String)
    /// Their open invoices' reminders wait until someone has read the reply.
    case pauseReminders
    case nothing
}

/// What Relance did with a text a customer sent.
public struct InboundOutcome: Sendable, Equatable {
    public var inboundID: Int64
    public var keyword: ReplyKeyword
    public var customerIDs: [Int64]
    /// Confirmation messages queued (one per customer whose consent changed).
    public var confirmations: Int
    /// Invoices whose reminders were paused because of the reply.
    public var pausedInvoices: Int
    /// The provider had already delivered this reply (same message id): nothing was done again.
    public var duplicate = false

    public init(
        inboundID: Int64, keyword: ReplyKeyword, customerIDs: [Int64], confirmations: Int, pausedInvoices: Int,
        duplicate: Bool = false
    ) {
        self.inboundID = inboundID
        self.keyword = keyword
        self.customerIDs = customerIDs
        self.confirmations = confirmations
        self.pausedInvoices = pausedInvoices
        self.duplicate = duplicate
    }
}

/// A delivery report from a provider.
public enum DeliveryStatus: Sendable, Equatable {
    case delivered
    case failed(String)
    /// Intermediate: accepted by the operator, buffered… recorded in the history only.
    case progress(String)
}
