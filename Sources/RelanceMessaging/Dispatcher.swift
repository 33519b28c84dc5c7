import Foundation
import Logging
import RelanceCore
import RelanceProviders
import RelanceServices

/// Takes queued messages of one channel — claim (committed as `sending`), call the provider, record the outcome —
/// with a few in flight at once, so a crash between the call and the record leaves `sending` rows that
/// become `unknown` at the next start, never a second copy on the customer's phone.
public struct Dispatcher: Sendable {
    let store: any OutboxStorage
    let provider: any MessageProvider
    /// The channel whose queue this dispatcher drains: one dispatcher per channel.
    let channel: Channel
    let clock: Clock
    let logger: Logger
    /// At most this many messages per second to the provider.
    let ratePerSecond: Double
    /// Messages in flight at once. A gateway answers each request in some milliseconds (Kannel's
    /// smsbox about 20 ms here), so one at a time caps throughput; each one in flight is one message
    /// that a crash can leave `unknown`.
    let concurrency: Int

    public init(
        store: any OutboxStorage, provider: any MessageProvider, channel: Channel = .sms, clock: Clock = .system,
        logger: Logger,
        ratePerSecond: Double = 10, concurrency: Int = 4
    ) {
        self.store = store
        self.provider = provider
        self.channel = channel
        self.clock = clock
        self.logger = logger
        self.ratePerSecond = max(ratePerSecond, 0.01)
        self.concurrency = max(1, min(concurrency, 64))
    }

    /// Marks sends interrupted by a crash as `unknown` (every channel); call once before the first `drain`.
    @discardableResult
    public func recover() async throws -> Int {
        let count = try await store.markInterruptedSendsUnknown(now: clock.now())
        if count > 0 {
            logger.warning("messages interrupted while sending marked unknown", metadata: ["count": "\(count)"])
        }
        return count
    }

    /// Sends every message whose time has come; returns how many were handed to the provider.
    @discardableResult
    public func drain(limit: Int = .max) async throws -> Int {
        let budget = Budget(limit)
        // Each worker keeps to its share of the rate, so together they stay within it.
        let spacing = Duration.seconds(Double(concurrency) / ratePerSecond)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var handled = 0
                    // A stop (SIGTERM) ends the claiming; what was claimed is seen through.
                    while !Task.isCancelled, budget.take(),
                        let message = try await store.claimNextMessage(now: clock.now(), channel: channel)
                    {
                        let started = ContinuousClock.now
                        // Handed to the provider, a message is carried to its recorded outcome even when the
                        // server is stopping: a task of its own is not cancelled with this one, so neither
                        // the provider's call nor the write of its answer is cut (which would leave it
                        // `sending`, then `unknown`). The provider's own deadline bounds the wait.
                        try await Task { try await send(message) }.value
                        handled += 1
                        let elapsed = ContinuousClock.now - started
                        if elapsed < spacing { try? await Task.sleep(for: spacing - elapsed) }
                    }
                    return handled
                }
            }
            return try await group.reduce(0, +)
        }
    }

    private func send(_ message: ClaimedMessage) async throws {
        let result = await provider.send(message)
        try await store.recordSendResult(messageID: message.id, result, attempts: message.attempts, now: clock.now())
        let outcome =
            switch result {
            case .accepted: "sent"
            case .permanentFailure: "failed"
            case .uncertain: "unknown"
            case .transientFailure: "retry"
            }
        OperationalMetrics.message(channel: "\(channel)", provider: provider.name, outcome: outcome)
        switch result {
        case .accepted:
            logger.info(
                "message sent",
                metadata: ["message": "\(message.id)", "channel": "\(channel)", "provider": "\(provider.name)"])
        case .permanentFailure(_, let reason):
            logger.warning("message failed", metadata: ["message": "\(message.id)", "reason": "\(reason)"])
        case .uncertain(_, let reason):
            logger.error(
                "message may or may not have been sent; not retried",
                metadata: ["message": "\(message.id)", "reason": "\(reason)"])
        case .transientFailure(_, let reason):
            logger.warning("message will be retried", metadata: ["message": "\(message.id)", "reason": "\(reason)"])
        }
    }
}

/// How many more messages one `drain` may claim, shared by its workers.
private final class Budget: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int

    init(_ limit: Int) { remaining = limit }

    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard remaining > 0 else { return false }
        remaining -= 1
        return true
    }
}
