import Foundation
import RelanceCore

/// Customers' requests (plan proposals, questions) and the business's answers, as a database keeps them.
public protocol RequestStorage: StorageHealth {
    /// Reads what `decide` needs in the request's transaction and carries out its decision: refused
    /// (nothing written) or stored (reminders paused, a pending request of the same kind replaced, the
    /// plan started at once when accepted at once, the customer's confirmation queued).
    func submitRequest(
        _ new: NewRequest, now: Date, today: CalendarDate, links: LinkSettings,
        compose: @escaping @Sendable (RequestNotice) -> String,
        decide: @Sendable (RequestSituation) -> RequestDecision
    ) async throws -> RequestOutcome
    func answerRequest(
        id: Int64, _ answer: RequestAnswer, message: String?, now: Date, today: CalendarDate, links: LinkSettings,
        audit: AuditNote?, compose: @escaping @Sendable (RequestNotice) -> String
    ) async throws -> CustomerRequest
}

/// What the rule for a new request sees, read in its transaction.
public struct RequestSituation: Sendable {
    public var invoice: InvoiceSummary
    public var settings: PlanSettings
    /// Requests stored for this invoice in the last 24 hours.
    public var requestsToday: Int
    /// The same submission within the last 24 hours, if there was one.
    public var duplicate: CustomerRequest?

    public init(invoice: InvoiceSummary, settings: PlanSettings, requestsToday: Int, duplicate: CustomerRequest?) {
        self.invoice = invoice
        self.settings = settings
        self.requestsToday = requestsToday
        self.duplicate = duplicate
    }
}

/// What to do with a new request.
public enum RequestDecision: Sendable, Equatable {
    /// Nothing is stored; the customer is told this.
    case answer(RequestOutcome)
    /// Stored; a plan within the business's auto-accept rules starts at once.
    case store(acceptAtOnce: Bool)
}
