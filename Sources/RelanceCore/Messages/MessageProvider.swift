import Foundation

/// Something that can hand a message to a network: an SMS gateway, or an SMTP server for email.
public protocol MessageProvider: Sendable {
    var name: String { get }
    func send(_ message: ClaimedMessage) async -> SendResult
}

/// A message claimed for sending: it is `sending` in the database before the provider is called.
public struct ClaimedMessage: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var recipient: String
    /// The SMS text, or the email's plain-text part.
    public var body: String
    public var encoding: SMSEncoding
    public var attempts: Int
    /// Email only: the subject, the HTML part and the one-click unsubscribe URL.
    public var subject: String?
    public var html: String?
    public var unsubscribeURL: String?

    public init(
        id: Int64, channel: String, recipient: String, body: String, encoding: SMSEncoding, attempts: Int,
        subject: String? = nil, html: String? = nil, unsubscribeURL: String? = nil
    ) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.body = body
        self.encoding = encoding
        self.attempts = attempts
        self.subject = subject
        self.html = html
        self.unsubscribeURL = unsubscribeURL
    }
}

/// What a provider said about one attempt.
public enum SendResult: Sendable, Equatable {
    case accepted(provider: String, providerID: String?)
    /// The number is invalid, opted out, or the provider refuses the message for good.
    case permanentFailure(provider: String, reason: String)
    /// Worth another try later: 5xx, 429, timeout, connection refused.
    case transientFailure(provider: String, reason: String)
    /// Handed over, but the answer was lost: it may have been sent. Recorded `unknown`, never retried
    /// automatically (a second copy is worse than none).
    case uncertain(provider: String, reason: String)
}
