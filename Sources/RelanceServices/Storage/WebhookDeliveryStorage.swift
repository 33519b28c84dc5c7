import Foundation
import RelanceCore

/// Outgoing webhook deliveries as their dispatcher sees them: claim the next due one, record each
/// attempt, and put back what a crash interrupted.
public protocol WebhookDeliveryStorage: StorageHealth {
    /// The next delivery whose time has come, to an endpoint not in `busy`, now being delivered.
    func claimNextDelivery(now: Date, busy: Set<Int64>) async throws -> ClaimedDelivery?
    /// One attempt's outcome: delivered on a 2xx, else retried later or given up after the last try.
    func recordDeliveryAttempt(
        deliveryID: Int64, attempts: Int, statusCode: Int?, error: String?, milliseconds: Int, now: Date
    ) async throws
    /// Deliveries a crash left in flight go back to the queue; how many.
    func requeueInterruptedDeliveries(now: Date) async throws -> Int
}

/// A delivery claimed for sending: the exact bytes to sign and post.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: Int64
    public var endpointID: Int64
    public var eventID: Int64
    public var url: String
    public var secret: String
    /// The secret before a rotation, while it still signs (a day).
    public var previousSecret: String?
    public var payload: String
    public var attempts: Int

    public init(
        id: Int64, endpointID: Int64, eventID: Int64, url: String, secret: String, previousSecret: String?,
        payload: String, attempts: Int
    ) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.url = url
        self.secret = secret
        self.previousSecret = previousSecret
        self.payload = payload
        self.attempts = attempts
    }
}
