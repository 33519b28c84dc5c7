import Foundation
import RelanceCore

/// "Send a reminder now" as a database runs it: the stage that applies, its message written and queued
/// with its link in one transaction, or only shown.
public protocol SendNowStorage: StorageHealth {
    func remindNow(invoiceID: Int64, now: Date, links: LinkSettings, emailEnabled: Bool, audit: AuditNote?)
        async throws -> QueuedReminder
    func previewReminder(invoiceID: Int64, now: Date, links: LinkSettings, emailEnabled: Bool)
        async throws -> QueuedReminder
}

/// Why an invoice cannot be reminded now.
public enum RemindRefusal: Error, Equatable, Sendable {
    case settled
    case noPhone
    case optedOut
    case nothingLeft
    /// On a payment plan: its instalments are reminded on their own.
    case onPlan
    /// The stage goes by email only, and the customer cannot get it (no usable address,
    /// unsubscribed, or email is not set up).
    case noEmail
}
