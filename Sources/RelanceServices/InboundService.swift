import Foundation
import RelanceCore

/// Texts customers send back, and what gateways report of the ones sent: STOP opts the number out of
/// texts (one confirmation, then silence), START opts it back in, any other reply pauses the customer's
/// reminders when the business asks for that.
public struct InboundService: Sendable {
    let storage: any InboundStorage
    /// The confirmations' wording, in the customer's language.
    let phrases: Catalogue
    let clock: Clock

    public init(storage: any InboundStorage, phrases: Catalogue, clock: Clock = .system) {
        self.storage = storage
        self.phrases = phrases
        self.clock = clock
    }

    /// Records `reply` and acts on it; a reply the provider sends again (same message id) changes nothing.
    public func receive(_ reply: InboundText) async throws -> InboundOutcome {
        let keyword = reply.keyword
        let phrases = self.phrases
        return try await storage.recordInbound(reply, now: clock.now()) { customer, business, pauseOnReply in
            InboundService.action(
                for: keyword, customer, business: business, pauseOnReply: pauseOnReply, phrases: phrases)
        }
    }

    /// A delivery report naming the message by its id, or by the provider's; false when it names none.
    public func report(messageID: Int64, _ status: DeliveryStatus) async throws -> Bool {
        try await storage.recordDelivery(messageID: messageID, status, now: clock.now())
    }

    public func report(provider: String, providerID: String, _ status: DeliveryStatus) async throws -> Bool {
        try await storage.recordDelivery(provider: provider, providerID: providerID, status, now: clock.now())
    }

    /// The rule for one customer. STOP when already stopped and START when not are answered with
    /// silence: a second confirmation would be one text too many.
    static func action(
        for keyword: ReplyKeyword, _ customer: ReplyingCustomer, business: String, pauseOnReply: Bool,
        phrases: Catalogue
    ) -> ReplyAction {
        switch keyword {
        case .stop where !customer.optedOut:
            return .optOut(confirmation: phrases.phrase("sms_opt_out_confirmation", customer.language, business))
        case .start where customer.optedOut:
            return .optIn(confirmation: phrases.phrase("sms_opt_in_confirmation", customer.language, business))
        case .other:
            return pauseOnReply ? .pauseReminders : .nothing
        default:
            return .nothing
        }
    }
}
