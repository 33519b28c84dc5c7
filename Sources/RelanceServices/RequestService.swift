import Foundation
import RelanceCore

/// What customers ask from the invoice page — a payment plan, a question — and the business's answers.
/// The rules for a new request live here; the store carries out the decision in one transaction.
public struct RequestService: Sendable {
    let storage: any RequestStorage
    let links: LinkSettings
    let clock: Clock

    public init(storage: any RequestStorage, links: LinkSettings, clock: Clock = .system) {
        self.storage = storage
        self.links = links
        self.clock = clock
    }

    /// At most this many requests per invoice per day, whatever the addresses they come from.
    public static let requestsPerDay = 10

    /// Stores `new` unless a rule refuses it; `compose` writes the customer's confirmation in their language.
    public func submit(
        _ new: NewRequest, today: CalendarDate, compose: @escaping @Sendable (RequestNotice) -> String
    ) async throws -> RequestOutcome {
        try await storage.submitRequest(new, now: clock.now(), today: today, links: links, compose: compose) {
            RequestService.judge(new, $0, today: today)
        }
    }

    /// Records the business's answer and tells the customer by text with a fresh link.
    public func answer(
        id: Int64, _ answer: RequestAnswer, message: String?, today: CalendarDate, audit: AuditNote?,
        compose: @escaping @Sendable (RequestNotice) -> String
    ) async throws -> CustomerRequest {
        try await storage.answerRequest(
            id: id, answer, message: message, now: clock.now(), today: today, links: links, audit: audit,
            compose: compose)
    }

    /// The rule, in order: nothing to arrange on a paid or void invoice; the same form sent twice is the
    /// first; at most `requestsPerDay`; a plan must fit the balance and the business's limits; a plan
    /// within the auto-accept rules is accepted at once.
    static func judge(_ new: NewRequest, _ situation: RequestSituation, today: CalendarDate) -> RequestDecision {
        let invoice = situation.invoice
        guard invoice.status == .open, invoice.balance.minorUnits > 0 else { return .answer(.notOpen) }
        if let duplicate = situation.duplicate { return .answer(.duplicate(duplicate)) }
        guard situation.requestsToday < requestsPerDay else { return .answer(.rateLimited) }
        guard new.kind == .plan else { return .store(acceptAtOnce: false) }
        let problems = PaymentPlan.problems(
            new.schedule, balance: invoice.balance.minorUnits, today: today, limits: situation.settings.limits)
        guard problems.isEmpty else { return .answer(.invalid(problems)) }
        return .store(acceptAtOnce: situation.settings.acceptsAtOnce(new.schedule, today: today))
    }
}
