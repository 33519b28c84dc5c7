import Foundation
import Logging
import RelanceCore
import RelanceServices
import ServiceLifecycle

/// The reminder engine inside `relance serve`: every interval, one scheduler tick then a dispatch of
/// what is queued (reminders and "send me a new link" messages alike). Stops with the server.
public struct ReminderService: Service {
    let scheduler: ReminderScheduler
    let outbox: any OutboxStorage
    /// One per channel: SMS first, then email.
    let dispatchers: [Dispatcher]
    let clock: Clock
    let logger: Logger
    let interval: Duration
    /// Off when a cron job runs `relance remind --once` instead: this process then only dispatches.
    let schedules: Bool

    public init(
        store: any SchedulerStorage & OutboxStorage, dispatchers: [Dispatcher], links: LinkSettings,
        clock: Clock = .system, logger: Logger, interval: Duration = .seconds(60), schedules: Bool = true
    ) {
        self.schedules = schedules
        self.scheduler = ReminderScheduler(storage: store, links: links, clock: clock)
        self.outbox = store
        self.dispatchers = dispatchers
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    /// Email reminders are written only when a dispatcher will send them; otherwise their slots are
    /// recorded as skipped ("email is not set up").
    var emailEnabled: Bool { dispatchers.contains { $0.channel == .email } }

    /// One tick and one dispatch, as `relance remind --once` runs them.
    public func runOnce() async throws -> TickSummary {
        let summary = try await tick()
        try await drain()
        return summary
    }

    func tick() async throws -> TickSummary {
        let started = ContinuousClock.now
        let summary = try await scheduler.tick(emailEnabled: emailEnabled)
        OperationalMetrics.tick(ContinuousClock.now - started)
        if summary.examined > 0 {
            logger.info(
                "scheduler tick",
                metadata: [
                    "examined": "\(summary.examined)", "queued": "\(summary.queued.count)",
                    "deferred": "\(summary.deferred)", "skipped": "\(summary.skipped.count)",
                ])
        }
        for invoiceID in summary.brokenPlans {
            logger.notice("payment plan broken: an instalment is too late", metadata: ["invoice": "\(invoiceID)"])
        }
        return summary
    }

    /// Sends what is queued on every channel, the channels side by side, until each queue is empty.
    public func drain() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for dispatcher in dispatchers { group.addTask { try await dispatcher.drain() } }
            try await group.waitForAll()
        }
    }

    /// The ticks on one loop and each channel's dispatch on its own, so a mail server that hangs
    /// holds up neither the texts nor the scheduler, and an error on one channel stops nothing else.
    public func run() async throws {
        if let first = dispatchers.first { try await first.recover() }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if schedules {
                    group.addTask {
                        while !Task.isCancelled {
                            do {
                                _ = try await tick()
                            } catch {
                                if Task.isCancelled { return }
                                if outbox.isStorageError(error) { OperationalMetrics.databaseError(where: "scheduler") }
                                logger.error("reminder tick failed", metadata: ["error": "\(error)"])
                            }
                            try? await Task.sleep(for: interval)
                        }
                    }
                }
                // The outbox's depth and the age of its oldest message, for the metrics, every 15 s.
                group.addTask {
                    while !Task.isCancelled {
                        if let depth = try? await outbox.outboxDepth() {
                            OperationalMetrics.outbox(
                                queued: depth.queued,
                                oldestAge: depth.oldest.map { max(0, clock.now().timeIntervalSince($0)) } ?? 0)
                        }
                        if let used = outbox.engineMemoryUsed() { OperationalMetrics.sqliteMemory(used) }
                        try? await Task.sleep(for: .seconds(15))
                    }
                }
                for dispatcher in dispatchers {
                    // Each also picks up messages queued between ticks (new-link requests, answers).
                    group.addTask {
                        while !Task.isCancelled {
                            do {
                                try await dispatcher.drain()
                            } catch {
                                if Task.isCancelled { return }
                                if outbox.isStorageError(error) {
                                    OperationalMetrics.databaseError(where: "dispatcher")
                                }
                                logger.error(
                                    "dispatch failed",
                                    metadata: ["channel": "\(dispatcher.channel)", "error": "\(error)"])
                            }
                            try? await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
        }
    }
}
