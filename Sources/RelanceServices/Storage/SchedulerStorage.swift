import Foundation
import RelanceCore

/// The scheduler's tick as a database runs it, in one transaction: read the settings into
/// `TickSettings`, read the invoices whose next action has come customer by customer into
/// `CustomerDue`, ask `TickRule.decide`, and write its steps in order (a `.send` through
/// `ReminderText`, after its link row exists). The rule is the same for every database; only the reads
/// and writes are the store's.
public protocol SchedulerStorage: StorageHealth {
    /// One tick at `now`, over at most `batchSize` invoices; a dry run rolls everything back and tells
    /// what it would have queued. Email reminders are written only when `emailEnabled`; the summary is
    /// each carried-out step counted with `TickSummary.count`.
    func runScheduler(now: Date, links: LinkSettings, dryRun: Bool, batchSize: Int, emailEnabled: Bool)
        async throws -> TickSummary
}

/// One message the scheduler queued (or, in a dry run, would queue).
public struct QueuedReminder: Sendable, Equatable {
    public var messageID: Int64
    public var customerID: Int64
    public var invoiceIDs: [Int64]
    public var stage: String
    public var channel: Channel
    public var recipient: String
    public var body: String
    /// SMS only (an email records gsm7 and 0).
    public var encoding: SMSEncoding
    public var segments: Int
    /// Email only.
    public var subject: String? = nil
    /// "Send a reminder now": the email queued with this text when the stage goes by email too.
    public var email: QueuedEmail? = nil

    public init(
        messageID: Int64, customerID: Int64, invoiceIDs: [Int64], stage: String, channel: Channel, recipient: String,
        body: String, encoding: SMSEncoding, segments: Int, subject: String? = nil, email: QueuedEmail? = nil
    ) {
        self.messageID = messageID
        self.customerID = customerID
        self.invoiceIDs = invoiceIDs
        self.stage = stage
        self.channel = channel
        self.recipient = recipient
        self.body = body
        self.encoding = encoding
        self.segments = segments
        self.subject = subject
        self.email = email
    }
}

/// An email queued beside a text by "send a reminder now".
public struct QueuedEmail: Sendable, Equatable {
    public var messageID: Int64
    public var recipient: String
    public var subject: String

    public init(messageID: Int64, recipient: String, subject: String) {
        self.messageID = messageID
        self.recipient = recipient
        self.subject = subject
    }
}

/// What one scheduler tick did.
public struct TickSummary: Sendable, Equatable {
    /// Invoices whose next action had come.
    public var examined = 0
    public var queued: [QueuedReminder] = []
    /// Slots recorded as handled without a message (no phone, opted out, channel not available).
    public var skipped: [(invoiceID: Int64, stage: String, reason: String)] = []
    /// Invoices put back for later: outside the sending window, or within the frequency cap.
    public var deferred = 0
    /// Invoices whose payment plan broke this tick (an instalment too late); back to the late stage.
    public var brokenPlans: [Int64] = []

    public init() {}

    public static func == (lhs: TickSummary, rhs: TickSummary) -> Bool {
        lhs.examined == rhs.examined && lhs.queued == rhs.queued && lhs.deferred == rhs.deferred
            && lhs.brokenPlans == rhs.brokenPlans
            && lhs.skipped.map { "\($0)" } == rhs.skipped.map { "\($0)" }
    }
}

/// Where links in messages point, and how they are signed.
public struct LinkSettings: Sendable {
    public var urls: PublicURLs
    public var keyring: LinkKeyring

    public init(urls: PublicURLs, keyring: LinkKeyring) {
        self.urls = urls
        self.keyring = keyring
    }

    /// For callers holding the origin as text (tests, the web layer's `settings.baseURL`).
    public init(baseURL: String, keyring: LinkKeyring) {
        self.init(urls: PublicURLs(base: baseURL), keyring: keyring)
    }
}
