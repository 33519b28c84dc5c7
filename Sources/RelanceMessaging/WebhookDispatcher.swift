import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RelanceCore
import RelanceStore
import ServiceLifecycle

/// How a delivery is signed, so a receiver can check it came from us and is recent:
///
///     Relance-Signature: t=1764403200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
///
/// `v1` is the hex HMAC-SHA256, keyed with the endpoint's secret (`whsec_…`, as given), of the
/// timestamp, a dot and the exact body. It is the same scheme as Stripe's `Stripe-Signature`, so
/// the code that checks those checks these. Each attempt is signed anew with its own time. For a day
/// after a secret is rotated there are two `v1`, one per secret; a receiver accepts either.
public enum WebhookSignature {
    public static func header(secrets: [String], timestamp: Int, body: String) -> String {
        let message = Array("\(timestamp).\(body)".utf8)
        return
            (["t=\(timestamp)"]
            + secrets.map { "v1=" + Crypto.hex(Crypto.hmacSHA256(key: Array($0.utf8), message: message)) })
            .joined(separator: ",")
    }
}

/// Posts pending webhook deliveries: claim (committed as `delivering`), POST with a 10 s timeout,
/// record the attempt; a 2xx is delivered, anything else is tried again with backoff.
public struct WebhookDispatcher: Sendable {
    let store: Store
    let client: HTTPClient
    let clock: Clock
    let logger: Logger
    let timeout: TimeAmount

    public init(
        store: Store, client: HTTPClient = .shared, clock: Clock = .system, logger: Logger,
        timeout: TimeAmount = .seconds(10)
    ) {
        self.store = store
        self.client = client
        self.clock = clock
        self.logger = logger
        self.timeout = timeout
    }

    /// Sends every delivery whose time has come; returns how many attempts were made.
    @discardableResult
    public func drain(limit: Int = 1_000) async throws -> Int {
        var made = 0
        while made < limit, let delivery = try await store.claimNextDelivery(now: clock.now()) {
            try await attempt(delivery)
            made += 1
        }
        return made
    }

    private func attempt(_ delivery: ClaimedDelivery) async throws {
        let now = clock.now()
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Relance-Webhooks/1")
        request.headers.add(name: "Relance-Event-Id", value: "evt_\(delivery.eventID)")
        request.headers.add(
            name: "Relance-Signature",
            value: WebhookSignature.header(
                secrets: [delivery.secret] + (delivery.previousSecret.map { [$0] } ?? []),
                timestamp: Int(now.timeIntervalSince1970), body: delivery.payload))
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        let started = ContinuousClock.now
        var statusCode: Int?
        var failure: String?
        do {
            let response = try await client.execute(request, timeout: timeout)
            statusCode = Int(response.status.code)
            // Read a little of the answer (and no more), so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            failure = "\(error)"
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(
            elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        try await store.recordDeliveryAttempt(
            deliveryID: delivery.id, attempts: delivery.attempts, statusCode: statusCode, error: failure,
            milliseconds: milliseconds, now: clock.now())
        let metadata: Logger.Metadata = [
            "delivery": "\(delivery.id)", "event": "evt_\(delivery.eventID)", "attempt": "\(delivery.attempts)",
        ]
        if let statusCode, (200..<300).contains(statusCode) {
            logger.info("webhook delivered", metadata: metadata.merging(["status": "\(statusCode)"]) { $1 })
        } else {
            logger.warning(
                "webhook not delivered",
                metadata: metadata.merging([
                    "status": "\(statusCode.map(String.init) ?? "-")", "error": "\(failure ?? "")",
                ]) {
                    $1
                })
        }
    }
}

/// The webhook sender inside `relance serve`: every second, whatever is due.
public struct WebhookService: Service {
    let dispatcher: WebhookDispatcher
    let logger: Logger

    public init(dispatcher: WebhookDispatcher, logger: Logger) {
        self.dispatcher = dispatcher
        self.logger = logger
    }

    public func run() async throws {
        let requeued = try await dispatcher.store.requeueInterruptedDeliveries(now: dispatcher.clock.now())
        if requeued > 0 {
            logger.warning("webhook deliveries cut by a restart sent again", metadata: ["count": "\(requeued)"])
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await dispatcher.drain()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("webhook dispatch failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
