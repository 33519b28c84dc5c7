import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RelanceCore
import RelanceProviders
import RelanceServices
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

/// Posts pending webhook deliveries: claim (committed as `delivering`), POST, record the attempt; a
/// 2xx is delivered, anything else is tried again with backoff.
///
/// The URL was chosen through the API, so the request is treated as hostile to us: its host is looked
/// up once and every address checked (`DestinationPolicy`), the connection goes to the checked address
/// (no second lookup), redirects are not followed, and one deadline covers the whole attempt. Each
/// endpoint has at most one delivery in flight, and endpoints are served side by side, so a slow
/// receiver delays only its own events.
public struct WebhookDispatcher: Sendable {
    let store: any WebhookDeliveryStorage
    let clock: Clock
    let logger: Logger
    let timeout: Duration
    let destinations: DestinationPolicy

    public init(
        store: any WebhookDeliveryStorage, clock: Clock = .system, logger: Logger, timeout: Duration = .seconds(10),
        destinations: DestinationPolicy = DestinationPolicy()
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.timeout = timeout
        self.destinations = destinations
    }

    /// Sends every delivery whose time has come, endpoints side by side; returns how many attempts
    /// were made.
    @discardableResult
    public func drain(limit: Int = 1_000) async throws -> Int {
        try await withThrowingTaskGroup(of: Int64.self) { group in
            var busy: Set<Int64> = []
            var made = 0
            while true {
                if made < limit, !Task.isCancelled,
                    let delivery = try await store.claimNextDelivery(now: clock.now(), busy: busy)
                {
                    busy.insert(delivery.endpointID)
                    made += 1
                    group.addTask {
                        // One endpoint's trouble (even failing to record its attempt) must not cancel the
                        // attempts in flight to the others.
                        do {
                            // Not cut by a stop: the attempt and its record finish (within the deadline).
                            try await Task { try await attempt(delivery) }.value
                        } catch {
                            logger.error(
                                "webhook attempt not recorded",
                                metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
                        }
                        return delivery.endpointID
                    }
                    continue
                }
                // Nothing more to start now: wait for one in flight, whose endpoint may have more.
                guard let finished = try await group.next() else { return made }
                busy.remove(finished)
            }
        }
    }

    private func attempt(_ delivery: ClaimedDelivery) async throws {
        let now = clock.now()
        let started = ContinuousClock.now
        var statusCode: Int?
        var failure: String?
        do {
            let answer = try await post(delivery, now: now)
            statusCode = answer.status
            if (300..<400).contains(answer.status) { failure = "redirect not followed" }
        } catch {
            failure = OutboundHTTP.category(of: error)
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
        OperationalMetrics.webhookAttempt(
            outcome: statusCode.map { (200..<300).contains($0) } == true
                ? "delivered" : failure?.hasPrefix("refused") == true ? "refused" : "retry")
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

    /// One signed POST to the checked address, under one deadline.
    private func post(_ delivery: ClaimedDelivery, now: Date) async throws -> OutboundHTTP.Answer {
        guard let target = OutboundTarget(url: delivery.url) else {
            throw DestinationRefused(reason: "not a web address")
        }
        let started = ContinuousClock.now
        let address = try await destinations.resolve(host: target.host, port: target.port, deadline: timeout)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: timeout.timeAmount))
        // The name goes on in the Host header and TLS (SNI, certificate check); the connection goes to
        // the address just checked, pinned under the very host string the client looks up.
        if target.literal == nil { configuration.dnsOverride = [target.host: address.description] }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
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
        do {
            // What the lookup took comes out of the same deadline.
            let left = timeout - (ContinuousClock.now - started)
            guard left > .zero else { throw OutboundHTTP.TimedOut() }
            let answer = try await OutboundHTTP.exchange(request, client: client, deadline: left)
            try? await client.shutdown()
            return answer
        } catch {
            try? await client.shutdown()
            throw error
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
                    if dispatcher.store.isStorageError(error) { OperationalMetrics.databaseError(where: "webhooks") }
                    logger.error("webhook dispatch failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
