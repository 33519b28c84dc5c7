import Foundation
import Logging
import RelanceCore
import RelanceStore
import ServiceLifecycle

/// The reminder engine inside `relance serve`: every interval, one scheduler tick then a dispatch of
/// what is queued (reminders and "send me a new link" messages alike). Stops with the server.
public struct ReminderService: Service {
    let store: Store
    /// One per channel: SMS first, then email.
    let dispatchers: [Dispatcher]
    let links: LinkSettings
    let clock: Clock
    let logger: Logger
    let interval: Duration
    /// Off when a cron job runs `relance remind --once` instead: this process then only dispatches.
    let schedules: Bool

    public init(
        store: Store, dispatchers: [Dispatcher], links: LinkSettings, clock: Clock = .system, logger: Logger,
        interval: Duration = .seconds(60), schedules: Bool = true
    ) {
        self.schedules = schedules
        self.store = store
        self.dispatchers = dispatchers
        self.links = links
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    /// One tick and one dispatch, as `relance remind --once` runs them.
    public func runOnce() async throws -> TickSummary {
        let summary = try await store.runScheduler(now: clock.now(), links: links)
        if summary.examined > 0 {
            logger.info(
                "scheduler tick",
                metadata: [
                    "examined": "\(summary.examined)", "queued": "\(summary.queued.count)",
                    "deferred": "\(summary.deferred)", "skipped": "\(summary.skipped.count)",
                ])
        }
        // The business hears of a broken plan here until the dashboard and outgoing webhooks exist.
        for invoiceID in summary.brokenPlans {
            logger.notice("payment plan broken: an instalment is too late", metadata: ["invoice": "\(invoiceID)"])
        }
        try await drain()
        return summary
    }

    /// Sends what is queued on every channel, the channels side by side.
    public func drain() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for dispatcher in dispatchers { group.addTask { try await dispatcher.drain() } }
            try await group.waitForAll()
        }
    }

    public func run() async throws {
        if let first = dispatchers.first { try await first.recover() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if schedules { _ = try await runOnce() } else { try await drain() }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("reminder tick failed", metadata: ["error": "\(error)"])
                }
                // The dispatcher also picks up messages queued between ticks (new-link requests).
                let deadline = ContinuousClock.now + interval
                while !Task.isCancelled && ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .seconds(1))
                    try? await drain()
                }
            }
        }
    }
}
