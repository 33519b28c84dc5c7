import Foundation
import Logging
import RelanceStore
import ServiceLifecycle

/// Until real SMS providers exist, queued messages are "sent" by writing them to standard output,
/// as a phone would show them. The demo uses it; the reminders work replaces it with providers.
public struct ConsoleOutbox: Service {
    let store: Store
    let logger: Logger
    let clock: @Sendable () -> Date
    let write: @Sendable (String) -> Void

    public init(
        store: Store, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
        write: @escaping @Sendable (String) -> Void = { line in
            print(line); fflush(nil)
        }
    ) {
        self.store = store
        self.logger = logger
        self.clock = clock
        self.write = write
    }

    /// Sends whatever is queued now; returns how many messages went out.
    @discardableResult
    public func drain() async throws -> Int {
        let messages = try await store.queuedMessages(limit: 100)
        for message in messages {
            write("[console \(message.channel)] to \(message.recipient): \(message.body)")
            try await store.markMessageSent(id: message.id, now: clock())
        }
        return messages.count
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await drain()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("console outbox failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
