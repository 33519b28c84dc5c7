import Foundation

/// One line of the audit trail: who changed what, when. Store writes take one and record it in the
/// transaction of the change itself.
public struct AuditNote: Sendable, Equatable {
    public enum Actor: Sendable, Equatable {
        /// A dashboard account.
        case user(Int64)
        /// A billing system, by its API key.
        case apiKey(Int64)
        /// Someone with a shell on the server (`relance` commands).
        case `operator`
    }

    public var actor: Actor
    public var action: String
    public var invoiceID: Int64?
    public var detail: String?
    public var at: Date

    public init(actor: Actor, _ action: String, invoiceID: Int64? = nil, detail: String? = nil, at: Date) {
        self.actor = actor
        self.action = action
        self.invoiceID = invoiceID
        self.detail = detail
        self.at = at
    }
}
