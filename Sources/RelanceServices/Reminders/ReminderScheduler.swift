import Foundation
import RelanceCore

/// The reminder scheduler: each tick queues what is due now, whichever database holds the invoices.
/// `relance serve` runs it every minute, `relance remind` once (or as a dry run).
public struct ReminderScheduler: Sendable {
    let storage: any SchedulerStorage
    let links: LinkSettings
    let clock: Clock

    public init(storage: any SchedulerStorage, links: LinkSettings, clock: Clock = .system) {
        self.storage = storage
        self.links = links
        self.clock = clock
    }

    /// One tick at the clock's now. Email reminders are written only when `emailEnabled` (a dispatcher
    /// will send them); a dry run tells what would be queued and writes nothing.
    public func tick(emailEnabled: Bool, dryRun: Bool = false, batchSize: Int = 10_000) async throws -> TickSummary {
        try await tick(now: clock.now(), emailEnabled: emailEnabled, dryRun: dryRun, batchSize: batchSize)
    }

    /// One tick at `now`: the storage reads the due invoices customer by customer, `TickRule` decides,
    /// and the storage writes its steps, all in one transaction.
    public func tick(now: Date, emailEnabled: Bool = true, dryRun: Bool = false, batchSize: Int = 10_000)
        async throws -> TickSummary
    {
        try await storage.runScheduler(
            now: now, links: links, dryRun: dryRun, batchSize: batchSize, emailEnabled: emailEnabled)
    }
}
