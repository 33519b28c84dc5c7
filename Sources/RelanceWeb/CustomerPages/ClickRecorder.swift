import Foundation
import Logging
import RelanceStore
import ServiceLifecycle

/// Collects page views in memory and writes them in batches, so that recording a click never puts a
/// database write on the page's path. Runs as a service beside the HTTP server; flushes on shutdown.
public final class ClickRecorder: Service, @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [ClickEvent] = []
    private var dropped = 0
    /// Whether the last flush failed: the failure is logged when it starts and when it ends, not every
    /// half second onto a disk that may be full.
    private var failing = false
    private let store: Store
    private let logger: Logger
    private let interval: Duration
    /// Beyond this many unwritten clicks (the database is stuck), new ones are counted and dropped.
    static let capacity = 100_000

    public init(store: Store, logger: Logger, interval: Duration = .milliseconds(500)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    func record(_ click: ClickEvent) {
        lock.lock()
        if pending.count < ClickRecorder.capacity { pending.append(click) } else { dropped += 1 }
        lock.unlock()
    }

    /// Writes everything collected so far.
    public func flush() {
        lock.lock()
        let batch = pending
        let lost = dropped
        pending = []
        dropped = 0
        lock.unlock()
        if lost > 0 { logger.warning("click buffer full", metadata: ["dropped": "\(lost)"]) }
        guard !batch.isEmpty else { return }
        do {
            try store.recordClicks(batch)
            if lock.withLock({ () -> Bool in
                defer { failing = false }
                return failing
            }) {
                logger.warning("clicks recorded again", metadata: ["count": "\(batch.count)"])
            }
        } catch {
            let first = lock.withLock { () -> Bool in
                defer { failing = true }
                return !failing
            }
            if first {
                logger.error("could not record clicks", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            }
            // When the database cannot write for now (a full disk), the clicks wait for the next flush,
            // still within the capacity; any other failure would fail again, and they are dropped.
            guard Store.isUnavailable(error) else { return }
            lock.lock()
            let room = max(0, ClickRecorder.capacity - pending.count)
            pending.insert(contentsOf: batch.prefix(room), at: 0)
            dropped += max(0, batch.count - room)
            lock.unlock()
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                self.flush()
            }
        }
        flush()
    }
}
