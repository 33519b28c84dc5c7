import AsyncHTTPClient
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// A business's webhook receiver on loopback: records each POST, and answers with the statuses it is
/// told to (then 200), after an optional delay.
final class WebhookReceiver: @unchecked Sendable {
    struct Received {
        var headers: HTTPFields
        var body: String
    }

    private let lock = NSLock()
    private var log: [Received] = []
    var statuses: [Int] = []
    var delay: Duration = .zero

    var received: [Received] { lock.withLock { log } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/hooks") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let (status, delay) = self.lock.withLock { () -> (Int, Duration) in
                self.log.append(Received(headers: request.headers, body: String(buffer: body)))
                return (self.statuses.isEmpty ? 200 : self.statuses.removeFirst(), self.delay)
            }
            if delay > .zero { try await Task.sleep(for: delay) }
            return Response(status: .init(code: status))
        }
        return router
    }
}

final class OutboundWebhookTests: HarnessTestCase {
    // The receivers here run on loopback, which only an operator's opt-in allows.
    override func setUpWithError() throws { harness = try Harness(privateWebhooks: true) }

    static func dispatcher(
        _ harness: Harness, timeout: Duration = .seconds(10), allowPrivate: Bool = true
    ) -> WebhookDispatcher {
        WebhookDispatcher(
            store: harness.store, clock: harness.clock.clock, logger: harness.logs.logger, timeout: timeout,
            destinations: DestinationPolicy(allowPrivate: allowPrivate))
    }

    static func count(_ harness: Harness, _ sql: String) async throws -> Int {
        try await harness.store.pool.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    /// What PyPI stripe's verifier says of each signed body.
    static func verify(_ items: [(secret: String, payload: String, header: String, now: Date)]) throws -> [String] {
        let input = try JSONSerialization.data(
            withJSONObject: items.map {
                ["secret": $0.secret, "payload": $0.payload, "header": $0.header, "now": $0.now.timeIntervalSince1970]
            })
        let output = try XCTUnwrap(try runPythonHelper("webhook_verify.py", input: input, needs: "stripe"))
        return output.split(separator: "\n").map(String.init)
    }

    func testSigningSecretsAreSealedInTheDatabaseAndOldClearOnesAreSealedAtStart() async throws {
        let harness = self.harness!
        let endpoint = try await harness.store.createWebhookEndpoint(
            url: "https://billing.example.com/hooks", events: ["*"], description: nil, now: harness.clock.now)
        XCTAssertTrue(endpoint.secret.hasPrefix("whsec_"))
        let stored = try await harness.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT secret FROM webhook_endpoint")
        }
        XCTAssertTrue(stored?.hasPrefix("enc1:") == true, stored ?? "")
        XCTAssertFalse(stored?.contains(endpoint.secret) == true)
        try await harness.store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let file = try Data(contentsOf: URL(fileURLWithPath: harness.store.path))
        XCTAssertNil(file.range(of: Data(endpoint.secret.utf8)), "the secret is nowhere in the file")
        // A secret an older version stored in clear is sealed when the store opens with its key.
        try await harness.store.pool.write { db in
            try db.execute(sql: "UPDATE webhook_endpoint SET secret = 'whsec_legacy', previous_secret = 'whsec_older'")
        }
        let box = SecretBox(instanceSecret: harness.settings.instanceSecret, purpose: "store")
        let reopened = try Store(path: harness.store.path, secrets: box)
        let row = try await reopened.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT secret, previous_secret FROM webhook_endpoint")
        }
        XCTAssertEqual(box.open(row?["secret"] ?? "", context: "webhook signing secret"), "whsec_legacy")
        XCTAssertEqual(box.open(row?["previous_secret"] ?? "", context: "webhook signing secret"), "whsec_older")
        // Without the key, nothing secret can be made.
        let keyless = try Store(path: harness.store.path)
        do {
            _ = try await keyless.createWebhookEndpoint(
                url: "https://billing.example.com/other", events: ["*"], description: nil, now: harness.clock.now)
            XCTFail("an endpoint was created without a key to seal its secret")
        } catch let error as StoreError {
            XCTAssertEqual(error, .secretsUnavailable)
        }
    }

    func testSubscriptionsAreValidatedAndTheSecretIsShownOnce() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let refused: [(String, String)] = [
                (#"{"events":["invoice.paid"]}"#, "url: is required"),
                (#"{"url":"ftp://example.com/x","events":["invoice.paid"]}"#, "url: must be https://"),
                (#"{"url":"http://billing.example.com/x","events":["invoice.paid"]}"#, "url: must be https://"),
                (#"{"url":"https://user:pw@billing.example.com/x","events":["invoice.paid"]}"#, "url: must not carry"),
                (#"{"url":"https://billing.example.com/x","events":[]}"#, "events: list at least one"),
                (
                    #"{"url":"https://billing.example.com/x","events":["invoice.payed"]}"#,
                    "events: 'invoice.payed' is not"
                ),
                (
                    #"{"url":"https://billing.example.com/x","events":["invoice.paid","invoice.paid"]}"#,
                    "events: lists an event type twice"
                ),
            ]
            for (body, detail) in refused {
                let response = try await client.api(key, .post, "/api/v1/webhook-endpoints", body)
                XCTAssertEqual(response.status, .unprocessableContent, body)
                XCTAssertTrue((try response.json()["detail"] as? String ?? "").hasPrefix(detail), response.text)
            }
            let created = try await client.api(
                key, .post, "/api/v1/webhook-endpoints",
                #"{"url":"https://billing.example.com/relance","events":["invoice.paid","request.created"],"description":"ERP"}"#
            )
            XCTAssertEqual(created.status, .created, created.text)
            let endpoint = try created.json()
            let secret = try XCTUnwrap(endpoint["secret"] as? String)
            XCTAssertTrue(secret.hasPrefix("whsec_") && secret.count > 30, secret)
            let id = try XCTUnwrap(endpoint["id"] as? Int)
            let list = try await client.api(key, .get, "/api/v1/webhook-endpoints")
            let listed = try XCTUnwrap((try list.json()["data"] as? [[String: Any]])?.first)
            XCTAssertEqual(listed["events"] as? [String], ["invoice.paid", "request.created"])
            XCTAssertNil(listed["secret"], "the secret is shown only when the endpoint is made")
            XCTAssertFalse(list.text.contains(secret))
            let deleted = try await client.api(key, .delete, "/api/v1/webhook-endpoints/\(id)")
            XCTAssertEqual(deleted.status, .noContent)
            let gone = try await client.api(key, .get, "/api/v1/webhook-endpoints/\(id)")
            XCTAssertEqual(gone.status, .notFound)
            let unknown = try await client.api(key, .get, "/api/v1/webhook-endpoints/999/deliveries")
            XCTAssertEqual(unknown.status, .notFound)
        }
        let endpoints = try await Self.count(harness, "SELECT COUNT(*) FROM webhook_endpoint")
        XCTAssertEqual(endpoints, 1, "only the valid one was stored")
    }

    func testAPaidInvoiceIsPostedSignedAndAFailingReceiverGetsItAgainLater() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice(amount: 50_000)
        let receiver = WebhookReceiver()
        receiver.statuses = [500]
        try await Application(router: receiver.router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            let secret = try await harness.app.test(.router) { client -> String in
                let created = try await client.api(
                    key, .post, "/api/v1/webhook-endpoints",
                    #"{"url":"http://127.0.0.1:\#(port)/hooks","events":["invoice.paid","payment.created"]}"#)
                XCTAssertEqual(created.status, .created, created.text)
                let secret = try XCTUnwrap(try created.json()["secret"] as? String)
                // A part payment, then the rest: payment.created twice, invoice.paid once.
                for amount in [20_000, 30_000] {
                    let paid = try await client.api(
                        key, .post, "/api/v1/invoices/\(invoice.id)/payments",
                        #"{"amount":\#(amount),"method":"transfer","reference":"VIR-\#(amount)"}"#)
                    XCTAssertEqual(paid.status, .created, paid.text)
                }
                // A voided invoice is not subscribed to: nothing is recorded for it.
                let (other, _) = try await harness.invoice(number: "F-2026-0043")
                _ = try await client.api(key, .post, "/api/v1/invoices/\(other.id)/void", "{}")
                return secret
            }
            let events = try await harness.store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT type FROM webhook_event ORDER BY id")
            }
            XCTAssertEqual(events, ["payment.created", "payment.created", "invoice.paid"])

            // The first POST gets a 500: it waits a minute, and the endpoint's other two wait with it.
            let dispatcher = Self.dispatcher(harness)
            let made = try await dispatcher.drain()
            XCTAssertEqual(made, 1)
            XCTAssertEqual(receiver.received.count, 1)
            let states = try await harness.store.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT status, last_error FROM webhook_delivery ORDER BY id")
                    .map { "\($0["status"] as String) \($0["last_error"] as String? ?? "")" }
            }
            XCTAssertEqual(states, ["pending HTTP 500", "pending ", "pending "])
            let early = try await dispatcher.drain()
            XCTAssertEqual(early, 0, "not before its time")
            harness.clock.now = harness.clock.now.addingTimeInterval(61)
            let retried = try await dispatcher.drain()
            XCTAssertEqual(retried, 3)
            XCTAssertEqual(receiver.received.count, 4)
            XCTAssertEqual(receiver.received[1].body, receiver.received[0].body, "the same event, byte for byte")

            let now = harness.clock.now
            let delivered = Array(receiver.received.dropFirst())
            var checks: [(secret: String, payload: String, header: String, now: Date)] = []
            for post in delivered {
                XCTAssertEqual(post.headers[.contentType], "application/json")
                let header = try XCTUnwrap(post.headers[HTTPField.Name("Relance-Signature")!])
                XCTAssertTrue(header.hasPrefix("t=\(Int(now.timeIntervalSince1970)),v1="), header)
                checks.append((secret, post.body, header, now))
            }
            // Tampered body, another secret, and an old signature must all be refused by the same code.
            let first = delivered[0]
            let header = first.headers[HTTPField.Name("Relance-Signature")!] ?? ""
            checks.append((secret, first.body.replacingOccurrences(of: "50000", with: "5"), header, now))
            checks.append(("whsec_other", first.body, header, now))
            checks.append((secret, first.body, header, now.addingTimeInterval(301)))
            XCTAssertEqual(
                try Self.verify(checks).map { $0.prefix(7) }, ["ok", "ok", "ok", "refused", "refused", "refused"])

            let paid = try XCTUnwrap(
                delivered.compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any]
                }
                .first { $0["type"] as? String == "invoice.paid" })
            let data = try XCTUnwrap(paid["data"] as? [String: Any])
            let described = try XCTUnwrap(data["invoice"] as? [String: Any])
            XCTAssertEqual(described["number"] as? String, "F-2026-0042")
            XCTAssertEqual(described["status"] as? String, "paid")
            XCTAssertEqual(described["balance"] as? Int, 0)
            XCTAssertEqual((data["payment"] as? [String: Any])?["reference"] as? String, "VIR-30000")
            XCTAssertEqual(
                delivered.first { $0.body.contains("invoice.paid") }?.headers[HTTPField.Name("Relance-Event-Id")!],
                paid["id"] as? String)
        }
        let endpoints = try await harness.store.webhookEndpoints()
        let endpoint = try XCTUnwrap(endpoints.first)
        try await harness.app.test(.router) { client in
            let page = try await client.api(key, .get, "/api/v1/webhook-endpoints/\(endpoint.id)/deliveries")
            let deliveries = try XCTUnwrap(try page.json()["data"] as? [[String: Any]])
            XCTAssertEqual(deliveries.map { $0["status"] as? String }, ["delivered", "delivered", "delivered"])
            let log = try XCTUnwrap(deliveries.last?["attempt_log"] as? [[String: Any]])
            XCTAssertEqual(log.map { $0["status_code"] as? Int }, [500, 200])
            XCTAssertEqual(
                (deliveries.first?["attempt_log"] as? [[String: Any]])?.count, 1, "waiting was not an attempt")
            // Filtered by status: the stored texts, and a precise 400 for anything else.
            let base = "/api/v1/webhook-endpoints/\(endpoint.id)/deliveries"
            let delivered = try await client.api(key, .get, base + "?status=delivered").json()["data"] as? [Any]
            XCTAssertEqual(delivered?.count, 3)
            let failed = try await client.api(key, .get, base + "?status=failed").json()["data"] as? [Any]
            XCTAssertEqual(failed?.count, 0)
            let bogus = try await client.api(key, .get, base + "?status=Delivered")
            XCTAssertEqual(bogus.status, .badRequest)
            XCTAssertEqual(
                try bogus.json()["detail"] as? String, "status: must be pending, delivering, delivered or failed")
        }
    }

    func testAReceiverThatHangsOrKeepsFailingIsGivenUpOnAndCanBeReplayed() async throws {
        let harness = self.harness!
        let receiver = WebhookReceiver()
        receiver.delay = .seconds(3)
        try await Application(router: receiver.router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            _ = try await harness.store.createWebhookEndpoint(
                url: "http://127.0.0.1:\(port)/hooks", events: ["*"], description: nil, now: harness.clock.now)
            let (invoice, _) = try await harness.invoice()
            _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
            let dispatcher = Self.dispatcher(harness, timeout: .seconds(1))
            _ = try await dispatcher.drain()
            var delivery = try harness.store.pool.read { db in
                try Row.fetchOne(db, sql: "SELECT id, status, attempts, last_error FROM webhook_delivery")!
            }
            XCTAssertEqual(delivery["status"] as String, "pending")
            XCTAssertFalse((delivery["last_error"] as String? ?? "").isEmpty, "the timeout is recorded")
            // Seven more failures, each after its backoff, and it is given up.
            receiver.delay = .zero
            receiver.statuses = Array(repeating: 503, count: 7)
            for _ in 0..<7 {
                harness.clock.now = harness.clock.now.addingTimeInterval(86_401)
                _ = try await dispatcher.drain()
            }
            delivery = try harness.store.pool.read { db in
                try Row.fetchOne(db, sql: "SELECT id, status, attempts, last_error FROM webhook_delivery")!
            }
            XCTAssertEqual(delivery["status"] as String, "failed")
            XCTAssertEqual(delivery["attempts"] as Int, 8)
            XCTAssertEqual(delivery["last_error"] as String?, "gave up after 8 attempts: HTTP 503")
            // The business fixes its receiver and replays it.
            let key = try await harness.apiKey()
            let id: Int64 = delivery["id"]
            try await harness.app.test(.router) { client in
                let replay = try await client.api(key, .post, "/api/v1/webhook-deliveries/\(id)/replay", "{}")
                XCTAssertEqual(replay.status, .accepted, replay.text)
                XCTAssertEqual(try replay.json()["status"] as? String, "pending")
                let missing = try await client.api(key, .post, "/api/v1/webhook-deliveries/9999/replay", "{}")
                XCTAssertEqual(missing.status, .notFound)
            }
            _ = try await dispatcher.drain()
            let final = try await harness.store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT status FROM webhook_delivery")
            }
            XCTAssertEqual(final, "delivered")
            XCTAssertEqual(receiver.received.count, 9)
            XCTAssertTrue(receiver.received.allSatisfy { $0.body.contains("\"type\":\"invoice.voided\"") })
        }
    }

    func testRequestsOptOutsAndFailedMessagesAreEventsAndNothingIsWrittenWithoutASubscriber() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        // No endpoint: a change writes no event at all.
        _ = try await harness.store.optOutOfEmail(customerID: invoice.customerID, now: harness.clock.now)
        var events = try await Self.count(harness, "SELECT COUNT(*) FROM webhook_event")
        XCTAssertEqual(events, 0)

        _ = try await harness.store.createWebhookEndpoint(
            url: "https://erp.example.com/hooks", events: ["customer.opted_out", "message.failed"], description: nil,
            now: harness.clock.now)
        let (other, _) = try await harness.invoice(number: "F-2026-0099", name: "Paul Martin", phone: "+33698765432")
        _ = try await harness.store.optOutOfEmail(customerID: other.customerID, now: harness.clock.now)
        // A message the provider refuses for good.
        let messageID = try await harness.store.pool.write { db -> Int64 in
            try db.execute(
                sql: """
                    INSERT INTO message (customer_id, invoice_id, kind, channel, recipient, body, status, created_at)
                    VALUES (?, ?, 'reminder', 'sms', '+33612345678', 'x', 'sending', ?)
                    """, arguments: [other.customerID, other.id, harness.clock.now])
            return db.lastInsertedRowID
        }
        try await harness.store.recordSendResult(
            messageID: messageID, .permanentFailure(provider: "twilio", reason: "21211 invalid number"), attempts: 1,
            now: harness.clock.now)
        // The same failure reported again by a delivery report is not a second event.
        try await harness.store.recordSendResult(
            messageID: messageID, .permanentFailure(provider: "twilio", reason: "21211 invalid number"), attempts: 1,
            now: harness.clock.now)
        let payloads = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM webhook_event ORDER BY id")
        }
        events = payloads.count
        XCTAssertEqual(events, 2)
        guard payloads.count == 2 else { return }
        XCTAssertTrue(payloads[0].contains(#""type":"customer.opted_out""#), payloads[0])
        XCTAssertTrue(payloads[0].contains(#""channel":"email""#) && payloads[0].contains("Paul Martin"), payloads[0])
        XCTAssertTrue(payloads[1].contains(#""type":"message.failed""#), payloads[1])
        XCTAssertTrue(
            payloads[1].contains("21211 invalid number") && payloads[1].contains(#""invoice_ids":[\#(other.id)]"#),
            payloads[1])
    }

    func testADeadReceiverIsCalledOnceNotOncePerEventAndDoesNotHoldUpTheOthers() async throws {
        let harness = self.harness!
        let dead = WebhookReceiver()
        dead.statuses = Array(repeating: 500, count: 10)
        let alive = WebhookReceiver()
        try await Application(router: dead.router).test(.live) { deadServer in
            try await Application(router: alive.router).test(.live) { aliveServer in
                for port in [try XCTUnwrap(deadServer.port), try XCTUnwrap(aliveServer.port)] {
                    _ = try await harness.store.createWebhookEndpoint(
                        url: "http://127.0.0.1:\(port)/hooks", events: ["invoice.voided"], description: nil,
                        now: harness.clock.now)
                }
                for number in ["F-1", "F-2", "F-3"] {
                    let (invoice, _) = try await harness.invoice(number: number)
                    _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
                }
                _ = try await Self.dispatcher(harness).drain()
                XCTAssertEqual(dead.received.count, 1, "after one failure its other events wait with it")
                XCTAssertEqual(alive.received.count, 3, "the other endpoint gets all three at once")
                // A new event meanwhile waits with the dead endpoint's others; the live one gets it at once.
                let (fourth, _) = try await harness.invoice(number: "F-4")
                _ = try await harness.store.voidInvoice(id: fourth.id, now: harness.clock.now)
                _ = try await Self.dispatcher(harness).drain()
                XCTAssertEqual(dead.received.count, 1)
                XCTAssertEqual(alive.received.count, 4)
                // A minute later the dead receiver is tried again, in order, still failing: one call.
                harness.clock.now = harness.clock.now.addingTimeInterval(61)
                _ = try await Self.dispatcher(harness).drain()
                XCTAssertEqual(dead.received.count, 2)
                XCTAssertEqual(dead.received[1].body, dead.received[0].body, "the oldest event first, again")
                let attempts = try await harness.store.pool.read { db in
                    try Int.fetchAll(
                        db,
                        sql: """
                            SELECT d.attempts FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
                            WHERE e.url LIKE ? ORDER BY d.id
                            """, arguments: ["%:\(try XCTUnwrap(deadServer.port))/hooks"])
                }
                XCTAssertEqual(attempts, [2, 0, 0, 0], "waiting is not counted as an attempt")
            }
        }
    }

    func testARotatedSecretSignsBesideTheNewOneForADayThenStops() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let receiver = WebhookReceiver()
        try await Application(router: receiver.router).test(.live) { live in
            let port = try XCTUnwrap(live.port)
            let (old, new) = try await harness.app.test(.router) { client -> (String, String) in
                let created = try await client.api(
                    key, .post, "/api/v1/webhook-endpoints",
                    #"{"url":"http://127.0.0.1:\#(port)/hooks","events":["invoice.voided"]}"#)
                let id = try XCTUnwrap(try created.json()["id"] as? Int)
                let old = try XCTUnwrap(try created.json()["secret"] as? String)
                let rotated = try await client.api(key, .post, "/api/v1/webhook-endpoints/\(id)/rotate-secret", "{}")
                XCTAssertEqual(rotated.status, .ok, rotated.text)
                let new = try XCTUnwrap(try rotated.json()["secret"] as? String)
                XCTAssertNotEqual(new, old)
                let missing = try await client.api(key, .post, "/api/v1/webhook-endpoints/999/rotate-secret", "{}")
                XCTAssertEqual(missing.status, .notFound)
                return (old, new)
            }
            let (first, _) = try await harness.invoice(number: "F-1")
            _ = try await harness.store.voidInvoice(id: first.id, now: harness.clock.now)
            _ = try await Self.dispatcher(harness).drain()
            // A day later the old secret no longer signs.
            harness.clock.now = harness.clock.now.addingTimeInterval(86_401)
            let (second, _) = try await harness.invoice(number: "F-2")
            _ = try await harness.store.voidInvoice(id: second.id, now: harness.clock.now)
            _ = try await Self.dispatcher(harness).drain()
            XCTAssertEqual(receiver.received.count, 2)
            let headers = receiver.received.map { $0.headers[HTTPField.Name("Relance-Signature")!] ?? "" }
            XCTAssertEqual(headers[0].components(separatedBy: ",v1=").count, 3, headers[0])
            XCTAssertEqual(headers[1].components(separatedBy: ",v1=").count, 2, headers[1])
            let start = harness.clock.now.addingTimeInterval(-86_401)
            let verdicts = try Self.verify([
                (new, receiver.received[0].body, headers[0], start),
                (old, receiver.received[0].body, headers[0], start),
                (new, receiver.received[1].body, headers[1], harness.clock.now),
                (old, receiver.received[1].body, headers[1], harness.clock.now),
            ])
            XCTAssertEqual(verdicts.map { $0.prefix(7) }, ["ok", "ok", "ok", "refused"])
        }
    }

    func testARemovedEndpointGetsNothingMoreAndADeliveryInFlightCannotBeReplayed() async throws {
        let harness = self.harness!
        let endpoint = try await harness.store.createWebhookEndpoint(
            url: "https://erp.example.com/hooks", events: ["invoice.voided"], description: nil, now: harness.clock.now)
        let (invoice, _) = try await harness.invoice()
        _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
        let claimed = try await harness.store.claimNextDelivery(now: harness.clock.now)
        let delivery = try XCTUnwrap(claimed)
        // While it is being posted: a replay is refused for what it is.
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let replay = try await client.api(key, .post, "/api/v1/webhook-deliveries/\(delivery.id)/replay", "{}")
            XCTAssertEqual(replay.status, .conflict, replay.text)
        }
        // The endpoint is removed while the POST is in flight, and the POST fails: it is not tried again.
        try await harness.store.deleteWebhookEndpoint(id: endpoint.id, now: harness.clock.now)
        try await harness.store.recordDeliveryAttempt(
            deliveryID: delivery.id, attempts: 1, statusCode: 500, error: nil, milliseconds: 5, now: harness.clock.now)
        let later = try await harness.store.claimNextDelivery(now: harness.clock.now.addingTimeInterval(86_400))
        XCTAssertNil(later)
    }
}
