/// Where a message stands in the outbox: `message.status`, whose CHECK allows exactly these.
public enum MessageStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its turn (or for its next attempt).
    case queued
    /// Claimed and handed to a provider; never sent again automatically.
    case sending
    /// Accepted by the provider.
    case sent
    /// The provider reported it delivered.
    case delivered
    /// Refused for good, or given up after too many attempts.
    case failed
    /// Cut off while sending: it may or may not have left, so a person looks.
    case unknown
    /// Never sent: its invoice was settled or paused, or the customer opted out.
    case cancelled
}

/// One line of a message's history, `message_event.status`: every status it went through, and the
/// events that change none (a retry scheduled, a provider's intermediate report).
public enum MessageEventStatus: String, Sendable, Codable, CaseIterable {
    case queued, sending, sent, delivered, failed, unknown, cancelled
    /// A transient failure: queued again for a later attempt.
    case retry
    /// A delivery report that is not final (accepted by the operator, buffered…).
    case report

    /// The event that records a message reaching `status`.
    public init(_ status: MessageStatus) {
        switch status {
        case .queued: self = .queued
        case .sending: self = .sending
        case .sent: self = .sent
        case .delivered: self = .delivered
        case .failed: self = .failed
        case .unknown: self = .unknown
        case .cancelled: self = .cancelled
        }
    }
}

/// What a message is for, `message.kind`: every kind Relance writes, and all the column takes (a trigger
/// refuses the rest).
public enum MessageKind: String, Sendable, Codable, CaseIterable {
    /// A stage of the reminder policy, or an instalment of a plan.
    case reminder
    /// "Send me a new link" from an expired page.
    case linkRenewal = "link_renewal"
    /// A test text from the settings page.
    case test
    /// The one text that confirms a STOP.
    case optOutConfirmation = "opt_out_confirmation"
    /// The text that confirms a START.
    case optInConfirmation = "opt_in_confirmation"
    /// "We received your proposal or question."
    case requestConfirmation = "request_confirmation"
    /// The business's answer to a request.
    case requestAnswer = "request_answer"
}

/// Which wording of an A/B test a reminder got, `message.variant`: the stage's own (A) or the
/// business's second one (B).
public enum WordingVariant: String, Sendable, Codable, CaseIterable {
    case a = "A"
    case b = "B"
}
