import Foundation
import RelanceCore

/// "Send a reminder now", from the dashboard or the API: the stage that applies today (else the next),
/// queued at once whatever the sending window and the frequency cap, never to a customer who opted
/// out. Refusals are `RemindRefusal`s, which each surface words its own way.
public struct SendNowService: Sendable {
    let storage: any SendNowStorage
    let links: LinkSettings
    /// Whether an email can go out (SMTP is set up); a stage by email only is refused otherwise.
    let emailEnabled: Bool
    let clock: Clock

    public init(storage: any SendNowStorage, links: LinkSettings, emailEnabled: Bool, clock: Clock = .system) {
        self.storage = storage
        self.links = links
        self.emailEnabled = emailEnabled
        self.clock = clock
    }

    /// Queues the reminder and audits it with its stage.
    public func send(invoiceID: Int64, audit: AuditNote) async throws -> QueuedReminder {
        try await storage.remindNow(
            invoiceID: invoiceID, now: clock.now(), links: links, emailEnabled: emailEnabled, audit: audit)
    }

    /// What `send` would queue — text, encoding, segments — with nothing written.
    public func preview(invoiceID: Int64) async throws -> QueuedReminder {
        try await storage.previewReminder(
            invoiceID: invoiceID, now: clock.now(), links: links, emailEnabled: emailEnabled)
    }
}
