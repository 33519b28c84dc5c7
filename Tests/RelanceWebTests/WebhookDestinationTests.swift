import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// Webhook URLs are chosen by whoever holds an API key: they must not reach inside, follow a
/// redirect, or hold the sender. Every receiver here is on loopback; no test sends to any other address.
final class WebhookDestinationTests: XCTestCase {
    func testNamesThatResolveInsideAreRefusedWhateverTheSpelling() async throws {
        let policy = DestinationPolicy()
        // Each of these is read as an address by the resolver itself (no DNS query leaves the machine).
        let inside: [(String, String)] = [
            ("2130706433", "loopback"), ("0x7f000001", "loopback"), ("127.1", "loopback"),
            ("0177.0.0.1", "loopback"), ("127.0.0.1", "loopback"), ("[::1]", "loopback"),
            ("::ffff:127.0.0.1", "loopback"), ("localhost", "loopback"), ("0", "unspecified"),
            ("169.254.169.254", "link-local"), ("2852039166", "link-local"), ("[fd00:ec2::254]", "private"),
            ("10.1", "private"), ("0xa9fea9fe", "link-local"), ("100.100.100.200", "shared"),
        ]
        for (host, kind) in inside {
            do {
                let address = try await policy.resolve(host: host, port: 443)
                XCTFail("\(host) resolved to \(address) and was allowed")
            } catch let refused as DestinationRefused {
                XCTAssertEqual(refused.reason, "refused: \(kind) address", host)
            }
        }
        // An operator who opts in reaches the intranet; the connection goes to the address checked.
        let intranet = DestinationPolicy(allowPrivate: true)
        let loopback = try await intranet.resolve(host: "127.1", port: 80)
        XCTAssertEqual(loopback, .v4([127, 0, 0, 1]))
        let mapped = try await intranet.resolve(host: "::ffff:10.0.0.1", port: 80)
        XCTAssertEqual(mapped, .v4([10, 0, 0, 1]))
    }

    func testAURLIsReadOnceAsTheHTTPClientReadsItSoThePinCannotMiss() {
        // The host checked and pinned is the host AsyncHTTPClient connects to: Foundation's URL.host.
        for url in [
            "https://billing.example.com/x", "https://Billing.Example.COM/x", "https://billing.example.com./x",
            "https://xn--4ca.example.com/x", "https://ä.example.com/x", "https://[2001:db8::1]:8443/x",
            "https://93.184.216.34/x", "https://bill%69ng.example.com/x",
        ] {
            guard let target = OutboundTarget(url: url) else {
                XCTFail("\(url) refused")
                continue
            }
            var host = URL(string: url)?.host ?? ""
            if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
            XCTAssertEqual(target.host, host, url)
            XCTAssertTrue(target.host.allSatisfy(\.isASCII), url)
        }
        XCTAssertEqual(OutboundTarget(url: "https://[2001:db8::1]:8443/x")?.port, 8443)
        XCTAssertEqual(OutboundTarget(url: "https://billing.example.com./x")?.name, "billing.example.com")
        for url in [
            "ftp://x.example/", "https://x.example.com:0/",
            "https://x.example.com:70000/",
            "https://x.example.com/\u{0}", "not a url", "https:///x",
        ] {
            XCTAssertNil(OutboundTarget(url: url), url)
        }
    }

    func testTheAPIRefusesEndpointsThatPointInside() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let refused: [(String, String)] = [
                ("https://127.0.0.1/x", "must not point to a loopback address"),
                ("https://[::1]/x", "must not point to a loopback address"),
                ("https://[::ffff:169.254.169.254]/x", "must not point to a link-local address"),
                ("https://169.254.169.254/latest/meta-data/", "must not point to a link-local address"),
                ("https://10.0.0.5/x", "must not point to a private address"),
                ("https://localhost/x", "must name a public host"),
                ("https://metadata.google.internal/x", "must name a public host"),
                ("https://intranet/x", "must name a public host"),
                ("https://2130706433/x", "must be a host name or a plain IP address"),
                ("https://0x7f000001/x", "must be a host name or a plain IP address"),
                ("https://127.1/x", "must be a host name or a plain IP address"),
                ("http://127.0.0.1:8080/x", "must not point to a loopback address"),
            ]
            for (url, detail) in refused {
                let response = try await client.api(
                    key, .post, "/api/v1/webhook-endpoints", #"{"url":"\#(url)","events":["invoice.paid"]}"#)
                XCTAssertEqual(response.status, .unprocessableContent, url)
                XCTAssertTrue(
                    (try response.json()["detail"] as? String ?? "").hasPrefix("url: " + detail), response.text)
            }
        }
        let endpoints = try await harness.store.webhookEndpoints()
        XCTAssertTrue(endpoints.isEmpty)
    }

    func testADeliveryToALoopbackEndpointIsRefusedBeforeAnyConnection() async throws {
        let harness = try Harness(privateWebhooks: true)
        defer { harness.cleanUp() }
        let receiver = WebhookReceiver()
        try await Application(router: receiver.router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            // Stored when the operator allowed it; the dispatcher of an instance that does not, refuses.
            _ = try await harness.store.createWebhookEndpoint(
                url: "http://127.0.0.1:\(port)/hooks", events: ["*"], description: nil, now: harness.clock.now)
            let (invoice, _) = try await harness.invoice()
            _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
            _ = try await OutboundWebhookTests.dispatcher(harness, allowPrivate: false).drain()
        }
        XCTAssertEqual(receiver.received.count, 0, "nothing reached the receiver")
        let error = try await harness.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT error FROM webhook_attempt")
        }
        XCTAssertEqual(error, "refused: loopback address")
    }

    func testRedirectsAreNotFollowedAndTheLogHoldsACategoryNotTheReceiversText() async throws {
        let harness = try Harness(privateWebhooks: true)
        defer { harness.cleanUp() }
        let hits = HitCounter()
        let router = Router()
        router.post("/hooks") { _, _ in
            hits.add("/hooks")
            return Response(status: .found, headers: [.location: "/inside"])
        }
        router.post("/inside") { _, _ in
            hits.add("/inside")
            return Response(status: .ok)
        }
        router.post("/loud") { _, _ in
            hits.add("/loud")
            return Response(
                status: .internalServerError,
                body: .init(byteBuffer: ByteBuffer(string: "database password is hunter2")))
        }
        try await Application(router: router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            for path in ["/hooks", "/loud"] {
                _ = try await harness.store.createWebhookEndpoint(
                    url: "http://127.0.0.1:\(port)\(path)", events: ["*"], description: nil, now: harness.clock.now)
            }
            let (invoice, _) = try await harness.invoice()
            _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
            _ = try await OutboundWebhookTests.dispatcher(harness).drain()
        }
        XCTAssertEqual(hits.all.sorted(), ["/hooks", "/loud"], "the redirect's target was never asked")
        let attempts = try harness.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT status_code, error FROM webhook_attempt ORDER BY delivery_id")
        }
        XCTAssertEqual(attempts.map { $0["status_code"] as Int? }, [302, 500])
        XCTAssertEqual(attempts.map { $0["error"] as String? }, ["redirect not followed", nil])
        let statuses = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT status FROM webhook_delivery ORDER BY id")
        }
        XCTAssertEqual(statuses, ["pending", "pending"], "neither counts as delivered")
        let everything = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT COALESCE(last_error, '') FROM webhook_delivery")
        }
        XCTAssertFalse(everything.joined().contains("hunter2"))
    }

    func testOneDeadlineCoversTheWholeAttemptEvenABodyTrickledByteByByte() async throws {
        let harness = try Harness(privateWebhooks: true)
        defer { harness.cleanUp() }
        let router = Router()
        router.post("/hooks") { _, _ in
            // The head at once, then a byte every half second for a minute.
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for _ in 0..<120 {
                        try await writer.write(ByteBuffer(string: "."))
                        try await Task.sleep(for: .milliseconds(500))
                    }
                    try await writer.finish(nil)
                })
        }
        try await Application(router: router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            _ = try await harness.store.createWebhookEndpoint(
                url: "http://127.0.0.1:\(port)/hooks", events: ["*"], description: nil, now: harness.clock.now)
            let (invoice, _) = try await harness.invoice()
            _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
            _ = try await OutboundWebhookTests.dispatcher(harness, timeout: .seconds(2)).drain()
        }
        let attempt = try harness.store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT status_code, milliseconds FROM webhook_attempt")
        }
        // The receiver said 200 at once: delivered, and the rest of its answer was not waited for.
        XCTAssertEqual(attempt?["status_code"] as Int?, 200)
        XCTAssertLessThan(attempt?["milliseconds"] as Int? ?? .max, 10_000, "cut at the deadline, not after 60 s")
    }

    func testASlowEndpointHoldsUpNoOther() async throws {
        let harness = try Harness(privateWebhooks: true)
        defer { harness.cleanUp() }
        // The slow receiver answers only once the other one has been called: if deliveries went one
        // after the other, the slow one would time out first and the fast one would wait behind it.
        // Each receiver answers only once the other has been called: sent one after the other, the first
        // would wait for the second, time out, and neither would be delivered at the first try.
        let slowCalled = AsyncGate()
        let fastCalled = AsyncGate()
        let router = Router()
        router.post("/slow") { _, _ in
            slowCalled.open()
            try await fastCalled.wait(upTo: .seconds(20))
            return Response(status: .ok)
        }
        router.post("/fast") { _, _ in
            fastCalled.open()
            try await slowCalled.wait(upTo: .seconds(20))
            return Response(status: .ok)
        }
        try await Application(router: router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            for path in ["/slow", "/fast"] {
                _ = try await harness.store.createWebhookEndpoint(
                    url: "http://127.0.0.1:\(port)\(path)", events: ["*"], description: nil, now: harness.clock.now)
            }
            let (invoice, _) = try await harness.invoice()
            _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
            _ = try await OutboundWebhookTests.dispatcher(harness, timeout: .seconds(15)).drain()
        }
        let statuses = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT status FROM webhook_delivery ORDER BY endpoint_id")
        }
        XCTAssertEqual(statuses, ["delivered", "delivered"])
    }
}

/// Paths a test receiver was asked for.
final class HitCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var hits: [String] = []
    func add(_ path: String) { lock.withLock { hits.append(path) } }
    var all: [String] { lock.withLock { hits } }
}

/// Opened once by one handler; another waits for it, or gives up after a while.
final class AsyncGate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false

    func open() { lock.withLock { isOpen = true } }

    func wait(upTo limit: Duration) async throws {
        let end = ContinuousClock.now + limit
        while !lock.withLock({ isOpen }) && ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
