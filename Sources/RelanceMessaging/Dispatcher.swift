import Foundation
import Logging
import RelanceCore
import RelanceStore

/// Something that can hand an SMS to a network.
public protocol SMSProvider: Sendable {
    var name: String { get }
    func send(_ message: ClaimedMessage) async -> SendResult
}

/// Writes each SMS as a phone would show it, instead of sending it: the demo's and the default provider.
public struct ConsoleSMSProvider: SMSProvider {
    public let name = "console"
    let write: @Sendable (String) -> Void

    public init(
        write: @escaping @Sendable (String) -> Void = { line in
            print(line); fflush(nil)
        }
    ) {
        self.write = write
    }

    public func send(_ message: ClaimedMessage) async -> SendResult {
        write("[console sms] to \(message.recipient): \(message.body)")
        return .accepted(provider: name, providerID: "console-\(message.id)")
    }
}

/// Takes queued messages one at a time — claim (committed as `sending`), call the provider, record
/// the outcome — so a crash between the call and the record leaves a `sending` row that becomes
/// `unknown` at the next start, never a second copy on the customer's phone.
public struct Dispatcher: Sendable {
    let store: Store
    let provider: any SMSProvider
    let clock: Clock
    let logger: Logger
    /// At most this many messages per second to the provider.
    let ratePerSecond: Double

    public init(
        store: Store, provider: any SMSProvider, clock: Clock = .system, logger: Logger, ratePerSecond: Double = 10
    ) {
        self.store = store
        self.provider = provider
        self.clock = clock
        self.logger = logger
        self.ratePerSecond = max(ratePerSecond, 0.01)
    }

    /// Marks sends interrupted by a crash as `unknown`; call once before the first `drain`.
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
        var handled = 0
        let spacing = Duration.seconds(1 / ratePerSecond)
        while handled < limit, let message = try await store.claimNextMessage(now: clock.now()) {
            let started = ContinuousClock.now
            let result = await provider.send(message)
            try await store.recordSendResult(
                messageID: message.id, result, attempts: message.attempts, now: clock.now())
            switch result {
            case .accepted:
                logger.info("message sent", metadata: ["message": "\(message.id)", "provider": "\(provider.name)"])
            case .permanentFailure(_, let reason):
                logger.warning("message failed", metadata: ["message": "\(message.id)", "reason": "\(reason)"])
            case .transientFailure(_, let reason):
                logger.warning(
                    "message will be retried", metadata: ["message": "\(message.id)", "reason": "\(reason)"])
            }
            handled += 1
            let elapsed = ContinuousClock.now - started
            if elapsed < spacing { try await Task.sleep(for: spacing - elapsed) }
        }
        return handled
    }
}
