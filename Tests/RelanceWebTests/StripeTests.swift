import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceStore
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
