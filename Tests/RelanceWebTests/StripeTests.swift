import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceStore
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

/// A `Stripe-Signature` header made by PyPI stripe's own WebhookSignature.
func stripeLibrarySignature(secret: String, payload: String, timestamp: Int) throws -> String {
    let input = try JSONSerialization.data(
        withJSONObject: ["secret": secret, "payload": payload, "timestamp": timestamp])
    let output = try XCTUnwrap(try runPythonHelper("stripe_sign.py", input: input, needs: "stripe"))
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
}

final class StripeTests: XCTestCase {
    static let secret = "whsec_test_0123456789abcdef"

    static func event(
        _ type: String, invoiceID: Int64, amount: Int64, intent: String = "pi_3Q1", currency: String = "eur"
    )
        -> String
    {
        switch type {
        case "payment_intent.succeeded":
            return """
                {"id":"evt_\(type.hashValue & 0xffff)","object":"event","type":"\(type)","data":{"object":{"id":"\(intent)",\
                "object":"payment_intent","amount_received":\(amount),"currency":"\(currency)",\
                "metadata":{"invoice_id":"\(invoiceID)"}}}}
                """
        default:
            return """
                {"id":"evt_cs","object":"event","type":"\(type)","data":{"object":{"id":"cs_test_a1","object":\
                "checkout.session","payment_status":"paid","payment_intent":"\(intent)","amount_total":\(amount),\
                "currency":"\(currency)","client_reference_id":"\(invoiceID)","metadata":{"invoice_id":"\(invoiceID)"}}}}
                """
        }
    }

    static func post(_ client: some TestClientProtocol, _ payload: String, signature: String?) async throws
        -> TestResponse
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let signature { headers[HTTPField.Name("Stripe-Signature")!] = signature }
        return try await client.execute(
            uri: "/webhooks/stripe", method: .post, headers: headers, body: ByteBuffer(string: payload))
    }

    func testAPaymentIsRecordedOnceWhateverTheRetriesAndOrderOfEvents() async throws {
        let harness = try Harness(stripeWebhookSecret: Self.secret)
        defer { harness.cleanUp() }
        let (invoice, _) = try await harness.invoice(amount: 123_456)
        let now = Int(harness.clock.now.timeIntervalSince1970)
        let session = Self.event("checkout.session.completed", invoiceID: invoice.id, amount: 123_456)
        let intent = Self.event("payment_intent.succeeded", invoiceID: invoice.id, amount: 123_456)
        try await harness.app.test(.router) { client in
            // The intent's event first, then the session's, then a retry of each.
            for payload in [intent, session, intent, session] {
                let response = try await Self.post(
                    client, payload,
                    signature: try stripeLibrarySignature(secret: Self.secret, payload: payload, timestamp: now))
                XCTAssertEqual(response.status, .ok, response.text)
            }
        }
        let payments = try await harness.store.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.map(\.amount), [123_456])
        XCTAssertEqual(payments.first?.reference, "pi_3Q1")
        XCTAssertEqual(payments.first?.method, "card")
        let paid = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(paid.status, .paid)
        XCTAssertNil(paid.nextActionAt, "reminders stop once it is paid")
    }

    func testBadOldOrMissingSignaturesAreRefusedAndRecordNothing() async throws {
        let harness = try Harness(stripeWebhookSecret: Self.secret)
        defer { harness.cleanUp() }
        let (invoice, _) = try await harness.invoice(amount: 50_000)
        let now = Int(harness.clock.now.timeIntervalSince1970)
        let payload = Self.event("payment_intent.succeeded", invoiceID: invoice.id, amount: 50_000)
        let good = try stripeLibrarySignature(secret: Self.secret, payload: payload, timestamp: now)
        let goodHex = String(good.split(separator: "=").last ?? "")
        let cases: [(String, String?)] = [
            ("no header", nil),
            ("another secret", try stripeLibrarySignature(secret: "whsec_other", payload: payload, timestamp: now)),
            (
                "six minutes old",
                try stripeLibrarySignature(secret: Self.secret, payload: payload, timestamp: now - 360)
            ),
            (
                "six minutes ahead",
                try stripeLibrarySignature(secret: Self.secret, payload: payload, timestamp: now + 360)
            ),
            ("body changed", try stripeLibrarySignature(secret: Self.secret, payload: payload + " ", timestamp: now)),
            ("v0 only", "t=\(now),v0=\(goodHex)"),
            ("no timestamp", "v1=\(goodHex)"),
            ("garbage", "definitely not a signature"),
        ]
        try await harness.app.test(.router) { client in
            for (name, signature) in cases {
                let response = try await Self.post(client, payload, signature: signature)
                XCTAssertEqual(response.status, .forbidden, name)
            }
            // While Stripe rolls a secret, a header carries several v1: one matching is enough.
            let rolled = "t=\(now),v1=\(String(repeating: "0", count: 64)),v1=\(goodHex)"
            let response = try await Self.post(client, payload, signature: rolled)
            XCTAssertEqual(response.status, .ok)
        }
        let payments = try await harness.store.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.count, 1, "only the properly signed event counted")
    }

    func testEventsThatAreNotPaymentsForAnInvoiceAreAcknowledgedAndIgnored() async throws {
        let harness = try Harness(stripeWebhookSecret: Self.secret)
        defer { harness.cleanUp() }
        let (invoice, _) = try await harness.invoice(amount: 50_000)
        let now = Int(harness.clock.now.timeIntervalSince1970)
        let payloads = [
            Self.event("payment_intent.succeeded", invoiceID: 999_999, amount: 50_000),
            Self.event("payment_intent.succeeded", invoiceID: invoice.id, amount: 50_000, currency: "usd"),
            #"{"id":"evt_x","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#,
        ]
        try await harness.app.test(.router) { client in
            for payload in payloads {
                let response = try await Self.post(
                    client, payload,
                    signature: try stripeLibrarySignature(secret: Self.secret, payload: payload, timestamp: now))
                XCTAssertEqual(response.status, .ok, payload)
            }
            let notJSON = "{not json"
            let response = try await Self.post(
                client, notJSON,
                signature: try stripeLibrarySignature(secret: Self.secret, payload: notJSON, timestamp: now))
            XCTAssertEqual(response.status, .badRequest)
        }
        let payments = try await harness.store.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.count, 0)
    }

    func testWithoutASecretTheRouteIsOff() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try await harness.app.test(.router) { client in
            let response = try await Self.post(client, "{}", signature: "t=1,v1=00")
            XCTAssertEqual(response.status, .notFound)
        }
    }
}

/// A stand-in for Stripe's `POST /v1/checkout/sessions` that checks what Stripe documents: a Bearer
/// secret key, a form body, and the fields a one-off payment needs. It answers as Stripe does.
final class StripeStandIn: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [[String: String]] = []
    private var keys: [String] = []
    /// 200 with a session, or the status and Stripe-shaped error to answer with.
    var failure: (Int, String)?

    var forms: [[String: String]] { lock.withLock { received } }
    var idempotencyKeys: [String] { lock.withLock { keys } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/checkout/sessions") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer sk_test_relance",
                request.headers[.contentType] == "application/x-www-form-urlencoded"
            else {
                return Response(
                    status: .unauthorized, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"Invalid API Key provided"}}"#)))
            }
            let body = try await request.body.collect(upTo: 64 * 1024)
            var form: [String: String] = [:]
            for pair in String(buffer: body).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            self.lock.withLock {
                self.received.append(form)
                self.keys.append(request.headers[HTTPField.Name("Idempotency-Key")!] ?? "")
            }
            if let (status, message) = self.failure {
                return Response(
                    status: .init(code: status), headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"\#(message)"}}"#)))
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string:
                            #"{"id":"cs_test_1","object":"checkout.session","url":"https://checkout.stripe.com/c/pay/cs_test_1"}"#
                    )))
        }
        return router
    }
}

extension StripeTests {
    func testPayByCardCreatesACheckoutSessionForTheBalanceAndACalmPageWhenStripeFails() async throws {
        let standIn = StripeStandIn()
        try await Application(router: standIn.router).test(.live) { stripe in
            let port = try XCTUnwrap(stripe.port)
            let harness = try Harness(
                stripeCheckout: StripeCheckout(secretKey: "sk_test_relance", apiBaseURL: "http://127.0.0.1:\(port)"))
            defer { harness.cleanUp() }
            let (invoice, link) = try await harness.invoice(amount: 123_456)
            _ = try await harness.store.recordPayment(
                invoiceID: invoice.id,
                NewPayment(amount: 3_456, method: .cash, reference: nil, receivedAt: harness.clock.now),
                now: harness.clock.now)
            try await harness.app.test(.router) { client in
                let page = try await get(client, "/p/" + link.token).text
                XCTAssertTrue(page.contains(#"action="/p/\#(link.token)/checkout""#), page)
                let csrf = try XCTUnwrap(
                    page.firstMatch(
                        of: /action="\/p\/[^"]+\/checkout"><input type="hidden" name="csrf" value="([^"]+)"/)?.1)
                let headers: HTTPFields = [
                    .contentType: "application/x-www-form-urlencoded", .userAgent: Harness.iPhone,
                ]
                var response = try await client.execute(
                    uri: "/p/\(link.token)/checkout", method: .post, headers: headers,
                    body: ByteBuffer(string: "csrf=\(csrf)"))
                XCTAssertEqual(response.status, .seeOther)
                XCTAssertEqual(response.headers[.location], "https://checkout.stripe.com/c/pay/cs_test_1")
                let form = try XCTUnwrap(standIn.forms.first)
                XCTAssertEqual(form["mode"], "payment")
                XCTAssertEqual(form["line_items[0][price_data][currency]"], "eur")
                XCTAssertEqual(form["line_items[0][price_data][unit_amount]"], "120000", "the balance, not the amount")
                XCTAssertEqual(form["line_items[0][quantity]"], "1")
                XCTAssertEqual(form["metadata[invoice_id]"], String(invoice.id))
                XCTAssertEqual(form["payment_intent_data[metadata][invoice_id]"], String(invoice.id))
                XCTAssertEqual(form["success_url"], "https://pay.example.com/p/\(link.token)/paid")
                XCTAssertEqual(form["cancel_url"], "https://pay.example.com/p/\(link.token)")
                XCTAssertEqual(standIn.idempotencyKeys.first?.hasPrefix("relance-\(invoice.id)-120000-"), true)

                // No token, no session.
                response = try await client.execute(
                    uri: "/p/\(link.token)/checkout", method: .post, headers: headers,
                    body: ByteBuffer(string: "csrf=x"))
                XCTAssertEqual(response.status, .forbidden)
                XCTAssertEqual(standIn.forms.count, 1)

                // Stripe refusing: a calm page that leads back to the other ways to pay; nothing recorded.
                standIn.failure = (500, "An unknown error occurred")
                response = try await client.execute(
                    uri: "/p/\(link.token)/checkout", method: .post, headers: headers,
                    body: ByteBuffer(string: "csrf=\(csrf)"))
                XCTAssertEqual(response.status, .serviceUnavailable)
                XCTAssertTrue(response.text.contains("Le paiement par carte est indisponible pour le moment"))
                XCTAssertTrue(response.text.contains(#"href="/p/\#(link.token)""#))

                let thanks = try await get(client, "/p/\(link.token)/paid")
                XCTAssertTrue(thanks.text.contains("Merci pour votre paiement"))
            }
            let payments = try await harness.store.payments(invoiceID: invoice.id)
            XCTAssertEqual(payments.count, 1, "only the cash payment: card payments come from the signed webhook")
        }
    }

    func testOnAPaymentPlanTheCardAndTheTransferQRCodeAskForWhatIsLeftOfTheNextInstalment() async throws {
        let standIn = StripeStandIn()
        try await Application(router: standIn.router).test(.live) { stripe in
            let port = try XCTUnwrap(stripe.port)
            let harness = try Harness(
                stripeCheckout: StripeCheckout(secretKey: "sk_test_relance", apiBaseURL: "http://127.0.0.1:\(port)"))
            defer { harness.cleanUp() }
            let (invoice, link) = try await harness.invoice(amount: 90_000, dueInDays: -20)
            let today = CalendarDate(instant: harness.clock.now, timeZone: TimeZone(identifier: "Europe/Paris")!)
            let schedule = (0..<3).map { Instalment(dueOn: today.adding(days: 7 + 30 * $0), amount: 30_000) }
            let links = LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring)
            guard
                case .created(let request) = try await RequestService(
                    storage: harness.store, links: links, clock: harness.clock.clock
                ).submit(
                    NewRequest(kind: .plan, invoiceID: invoice.id, linkID: nil, schedule: schedule), today: today,
                    compose: { _ in "ok" })
            else { return XCTFail("the plan was not stored") }
            _ = try await RequestService(storage: harness.store, links: links, clock: harness.clock.clock).answer(
                id: request.id, .accept(nil), message: nil, today: today, audit: nil, compose: { _ in "ok" })
            // 10,000 of the first 30,000 are paid: 20,000 is what the next payment is.
            _ = try await harness.store.recordPayment(
                invoiceID: invoice.id,
                NewPayment(amount: 10_000, method: .cash, reference: nil, receivedAt: harness.clock.now),
                now: harness.clock.now)
            try await harness.app.test(.router) { client in
                let page = try await get(client, "/p/" + link.token).text
                let svg = String(try XCTUnwrap(page.firstMatch(of: /<svg viewBox="[^"]+" class="qr".*?<\/svg>/)?.0))
                let modules = try XCTUnwrap(QRCode.modules(fromSVG: svg))
                let matrix = modules.map { row in row.map { $0 ? "1" : "0" }.joined() + "\n" }.joined()
                XCTAssertTrue(
                    try decodeQR(matrix)?.contains("\nEUR200.00\n") == true, "the QR asks for the next payment")
                let csrf = try XCTUnwrap(
                    page.firstMatch(
                        of: /action="\/p\/[^"]+\/checkout"><input type="hidden" name="csrf" value="([^"]+)"/)?.1)
                let response = try await client.execute(
                    uri: "/p/\(link.token)/checkout", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .userAgent: Harness.iPhone],
                    body: ByteBuffer(string: "csrf=\(csrf)"))
                XCTAssertEqual(response.status, .seeOther)
            }
            let form = try XCTUnwrap(standIn.forms.first)
            XCTAssertEqual(form["line_items[0][price_data][unit_amount]"], "20000", "the rest of the next instalment")
        }
    }
}
