import Foundation
import RelanceCore

/// The outbox as the dispatchers see it: take the next queued message (committed as `sending` before
/// the provider is called), record what the provider said, and settle what a crash left half done.
public protocol OutboxStorage: StorageHealth {
    /// Messages left `sending` by a crash become `unknown`, never sent twice; how many there were.
    func markInterruptedSendsUnknown(now: Date) async throws -> Int
    /// The next message of `channel` whose time has come, now `sending`; nil when none waits.
    func claimNextMessage(now: Date, channel: Channel) async throws -> ClaimedMessage?
    /// What the provider answered for attempt `attempts` of a claimed message.
    func recordSendResult(messageID: Int64, _ result: SendResult, attempts: Int, now: Date) async throws
    /// How many messages wait, and since when the oldest has.
    func outboxDepth() async throws -> (queued: Int, oldest: Date?)
}

/// What the operator's metrics read of the database itself, whichever it is.
public protocol StorageHealth: Sendable {
    /// Whether `error` came from the database rather than from a rule of the application.
    func isStorageError(_ error: Error) -> Bool
    /// Bytes the database engine holds in its own caches, when it can tell (SQLite does).
    func engineMemoryUsed() -> Int64?
}
