import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// Signatures made by PyPI twilio's RequestValidator, the provider's own code.
func twilioLibrarySignature(token: String, url: String, params: [String: String]) throws -> String {
    let input = try JSONSerialization.data(withJSONObject: ["token": token, "url": url, "params": params])
    let output = try XCTUnwrap(try runPythonHelper("twilio_sign.py", input: input, needs: "twilio"))
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
}

final class TwilioTests: XCTestCase {
    let token = "12345abcdef"

    func testOurSignaturesMatchTheTwilioLibrary() throws {
        let cases: [(String, [String: String])] = [
            (
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                [
                    "CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
                    "To": "+18005551212",
                ]
            ),
            (
                "https://pay.example.com/webhooks/twilio/inbound",
                ["Body": "Arrêt svp, c'est réglé «merci»", "From": "+33612345678"]
            ),
            ("https://pay.example.com/webhooks/twilio/status", [:]),
        ]
        for (url, params) in cases {
            let ours = TwilioSignature.compute(
                authToken: token, url: url, parameters: params.map { ($0.key, $0.value) })
            XCTAssertEqual(ours, try twilioLibrarySignature(token: token, url: url, params: params), url)
        }
    }

    func testStatusCallbacksNeedAValidSignatureAndMoveTheMessage() async throws {
        let token = self.token
        let harness = try Harness(twilioAuthToken: token)
        defer { harness.cleanUp() }
        let (invoice, _) = try await harness.invoice(dueInDays: 0)
        let queued = try await harness.store.remindNow(
            invoiceID: invoice.id, now: harness.clock.now,
            links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring))
        let claimed = try await harness.store.claimNextMessage(now: harness.clock.now)
        XCTAssertEqual(claimed?.id, queued.messageID)
        try await harness.store.recordSendResult(
            messageID: queued.messageID, .accepted(provider: "twilio", providerID: "SM0123456789abcdef"), attempts: 1,
            now: harness.clock.now)
        let url = "https://pay.example.com/webhooks/twilio/status"
        let delivered = ["MessageSid": "SM0123456789abcdef", "MessageStatus": "delivered", "AccountSid": "AC1"]
        let signature = try twilioLibrarySignature(token: token, url: url, params: delivered)
        let tampered = delivered.merging(["MessageStatus": "failed"]) { $1 }
        try await harness.app.test(.router) { client in
            let missing = try await twilioPost(client, "/webhooks/twilio/status", delivered, signature: nil)
            XCTAssertEqual(missing.status, .forbidden)
            let wrong = try await twilioPost(client, "/webhooks/twilio/status", tampered, signature: signature)
            XCTAssertEqual(wrong.status, .forbidden)
            let garbage = try await twilioPost(client, "/webhooks/twilio/status", delivered, signature: "not base64!")
            XCTAssertEqual(garbage.status, .forbidden)
            let unchanged = try await harness.store.messages(invoiceID: invoice.id).map(\.status)
            XCTAssertEqual(unchanged, [.sent], "a refused callback records nothing")

            let good = try await twilioPost(client, "/webhooks/twilio/status", delivered, signature: signature)
            XCTAssertEqual(good.status, .ok)
            let unknown = ["MessageSid": "SMnope", "MessageStatus": "delivered"]
            let unknownResponse = try await twilioPost(
                client, "/webhooks/twilio/status", unknown,
                signature: try twilioLibrarySignature(token: token, url: url, params: unknown))
            XCTAssertEqual(unknownResponse.status, .notFound)
        }
        let statuses = try await harness.store.messages(invoiceID: invoice.id).map(\.status)
        XCTAssertEqual(statuses, [.delivered])
    }

    func testInboundRepliesAreVerifiedAndStopOptsOut() async throws {
        let token = self.token
        let harness = try Harness(twilioAuthToken: token)
        defer { harness.cleanUp() }
        _ = try await harness.invoice()
        let url = "https://pay.example.com/webhooks/twilio/inbound"
        let stop = ["From": "+33612345678", "To": "+33700000000", "Body": " Stop ", "MessageSid": "SM1"]
        try await harness.app.test(.router) { client in
            let forged = try await twilioPost(client, "/webhooks/twilio/inbound", stop, signature: "AAAA")
            XCTAssertEqual(forged.status, .forbidden)
            let response = try await twilioPost(
                client, "/webhooks/twilio/inbound", stop,
                signature: try twilioLibrarySignature(token: token, url: url, params: stop))
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.headers[.contentType], "text/xml; charset=utf-8")
            XCTAssertTrue(response.text.hasSuffix("<Response></Response>"))
        }
        let optedOut = try await harness.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customer WHERE sms_opted_out_at IS NOT NULL")
        }
        XCTAssertEqual(optedOut, 1)
    }

    func testACapturedSignedReplyReplayedLaterActsOnlyOnce() async throws {
        let token = self.token
        let harness = try Harness(twilioAuthToken: token)
        defer { harness.cleanUp() }
        let (invoice, _) = try await harness.invoice()
        let url = "https://pay.example.com/webhooks/twilio/inbound"
        let stop = ["From": "+33612345678", "To": "+33700000000", "Body": "STOP", "MessageSid": "SMstop1"]
        let start = ["From": "+33612345678", "To": "+33700000000", "Body": "START", "MessageSid": "SMstart1"]
        let startSignature = try twilioLibrarySignature(token: token, url: url, params: start)
        try await harness.app.test(.router) { client in
            // The customer sent START once (someone captured it), then STOP.
            var response = try await twilioPost(client, "/webhooks/twilio/inbound", start, signature: startSignature)
            XCTAssertEqual(response.status, .ok)
            response = try await twilioPost(
                client, "/webhooks/twilio/inbound", stop,
                signature: try twilioLibrarySignature(token: token, url: url, params: stop))
            XCTAssertEqual(response.status, .ok)
            // Replaying the captured START, signature and all, does not undo the customer's STOP.
            response = try await twilioPost(client, "/webhooks/twilio/inbound", start, signature: startSignature)
            XCTAssertEqual(response.status, .ok, "Twilio's own retries must still be acknowledged")
            // Without a MessageSid, a reply is not taken at all.
            var nameless = start
            nameless["MessageSid"] = nil
            response = try await twilioPost(
                client, "/webhooks/twilio/inbound", nameless,
                signature: try twilioLibrarySignature(token: token, url: url, params: nameless))
            XCTAssertEqual(response.status, .badRequest)
        }
        let customer = try await harness.store.pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT sms_opted_out_at FROM customer WHERE id = ?", arguments: [invoice.customerID])
        }
        XCTAssertNotNil(customer?["sms_opted_out_at"] as Date?, "still opted out")
        let replies = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT keyword FROM inbound ORDER BY id")
        }
        XCTAssertEqual(replies, ["start", "stop"], "the replay was not recorded again")
    }
}

func twilioPost(_ client: some TestClientProtocol, _ path: String, _ params: [String: String], signature: String?)
    async throws -> TestResponse
{
    var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
    if let signature { headers[.twilioSignature] = signature }
    let body = params.map { "\($0.key)=\(FormEncoding.encode($0.value))" }.joined(separator: "&")
    return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
}

/// A stand-in for Twilio's Messages resource that checks what its documentation requires.
final class TwilioStandIn: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [[String: String]] = []
    var next: (status: HTTPResponse.Status, body: String) = (.created, #"{"sid": "SM42", "status": "queued"}"#)

    var received: [[String: String]] { lock.withLock { requests } }

    func router(accountSID: String, authToken: String) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/2010-04-01/Accounts/:account/Messages.json") { request, context -> Response in
            let expected = "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
            guard context.parameters.get("account") == accountSID, request.headers[.authorization] == expected else {
                return Response(
                    status: .unauthorized,
                    body: .init(
                        byteBuffer: ByteBuffer(string: #"{"code": 20003, "message": "Authenticate", "status": 401}"#)))
            }
            let body = try await request.body.collect(upTo: 65_536)
            var form: [String: String] = [:]
            for pair in String(buffer: body).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                form[String(parts[0])] = parts.count > 1 ? String(parts[1]).removingPercentEncoding : ""
            }
            self.lock.withLock { self.requests.append(form) }
            guard form["To"] != nil, form["Body"] != nil, form["From"] != nil || form["MessagingServiceSid"] != nil
            else {
                return Response(
                    status: .badRequest,
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string: #"{"code": 21604, "message": "missing parameter", "status": 400}"#)))
            }
            let next = self.lock.withLock { self.next }
            return Response(
                status: next.status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: next.body)))
        }
        return router
    }
}

final class TwilioProviderTests: XCTestCase {
    func testTheProviderSendsTheDocumentedParametersAndReadsErrors() async throws {
        let standIn = TwilioStandIn()
        let app = Application(router: standIn.router(accountSID: "AC123", authToken: "secret"))
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            func provider(token: String = "secret") -> TwilioSMSProvider {
                TwilioSMSProvider(
                    configuration: TwilioConfiguration(
                        accountSID: "AC123", authToken: token, from: "+33700000000", messagingServiceSID: nil,
                        apiBaseURL: "http://localhost:\(port)", callbackBaseURL: "https://pay.example.com/"))
            }
            let message = ClaimedMessage(
                id: 7, channel: "sms", recipient: "+33612345678", body: "Facture F-1: 12,00 € https://x/p/abc",
                encoding: .gsm7,
                attempts: 1)
            let accepted = await provider().send(message)
            XCTAssertEqual(accepted, .accepted(provider: "twilio", providerID: "SM42"))
            let form = try XCTUnwrap(standIn.received.last)
            XCTAssertEqual(form["To"], "+33612345678")
            XCTAssertEqual(form["From"], "+33700000000")
            XCTAssertEqual(form["Body"], "Facture F-1: 12,00 € https://x/p/abc")
            XCTAssertEqual(form["StatusCallback"], "https://pay.example.com/webhooks/twilio/status")

            standIn.next = (
                .badRequest, #"{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}"#
            )
            guard case .permanentFailure = await provider().send(message) else {
                return XCTFail("21610 must be permanent")
            }
            standIn.next = (.badRequest, #"{"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}"#)
            guard case .permanentFailure = await provider().send(message) else {
                return XCTFail("21211 must be permanent")
            }
            standIn.next = (.tooManyRequests, #"{"code": 20429, "message": "Too Many Requests", "status": 429}"#)
            guard case .transientFailure = await provider().send(message) else { return XCTFail("429 must be retried") }
            standIn.next = (.internalServerError, "oops")
            guard case .transientFailure = await provider().send(message) else { return XCTFail("500 must be retried") }
            guard case .transientFailure = await provider(token: "wrong").send(message) else {
                return XCTFail("bad credentials are an operator problem: retry")
            }
        }
        // Nothing listening: refused connections are transient too.
        let offline = TwilioSMSProvider(
            configuration: TwilioConfiguration(
                accountSID: "AC123", authToken: "secret", from: "+33700000000", messagingServiceSID: nil,
                apiBaseURL: "http://127.0.0.1:1", callbackBaseURL: "https://pay.example.com"), timeout: .seconds(2))
        let result = await offline.send(
            ClaimedMessage(id: 1, channel: "sms", recipient: "+33612345678", body: "x", encoding: .gsm7, attempts: 1))
        guard case .transientFailure = result else { return XCTFail("connection refused must be retried: \(result)") }
    }
}

/// Gateways that answer at once and then trickle the rest hold a send no longer than its deadline.
final class GatewayDeadlineTests: XCTestCase {
    static func trickle(_ status: HTTPResponse.Status, _ head: String) -> Response {
        Response(
            status: status,
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: head))
                for _ in 0..<120 {
                    try await writer.write(ByteBuffer(string: " "))
                    try await Task.sleep(for: .milliseconds(500))
                }
                try await writer.finish(nil)
            })
    }

    func testKannelAndTwilioAnswersTrickledForAMinuteCostTheirDeadlineOnly() async throws {
        let router = Router()
        router.get("/cgi-bin/sendsms") { _, _ in Self.trickle(.accepted, "0: Accepted for delivery") }
        router.post("/2010-04-01/Accounts/AC123/Messages.json") { _, _ in Self.trickle(.created, #"{"sid": "SM1""#) }
        try await Application(router: router).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let message = ClaimedMessage(
                id: 7, channel: "sms", recipient: "+33612345678", body: "x", encoding: .gsm7, attempts: 1)
            let kannel = KannelSMSProvider(
                configuration: KannelConfiguration(
                    sendsmsURL: "http://127.0.0.1:\(port)/cgi-bin/sendsms", username: "u", password: "p", from: "R",
                    callbackBaseURL: "https://pay.example.com", callbackKey: HMACKey(Array("k".utf8))),
                timeout: .seconds(2))
            let twilio = TwilioSMSProvider(
                configuration: TwilioConfiguration(
                    accountSID: "AC123", authToken: "secret", from: "+33700000000", messagingServiceSID: nil,
                    apiBaseURL: "http://127.0.0.1:\(port)", callbackBaseURL: "https://pay.example.com"),
                timeout: .seconds(2))
            let started = ContinuousClock.now
            // The gateway's status is its word: both accepted the text, though their answers never end.
            let viaKannel = await kannel.send(message)
            XCTAssertEqual(viaKannel, .accepted(provider: "kannel", providerID: "kannel-7"))
            let viaTwilio = await twilio.send(message)
            XCTAssertEqual(viaTwilio, .accepted(provider: "twilio", providerID: nil))
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(20), "cut at the deadlines, not after a minute")
        }
    }
}

/// A stand-in for Kannel's smsbox `sendsms`, answering what the test asks.
final class KannelStandIn: @unchecked Sendable {
    private let lock = NSLock()
    private var queries: [[String: String]] = []
    var next: (status: HTTPResponse.Status, body: String) = (.accepted, "0: Accepted for delivery")

    var received: [[String: String]] { lock.withLock { queries } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.get("/cgi-bin/sendsms") { request, _ -> Response in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let next = self.lock.withLock {
                self.queries.append(query)
                return self.next
            }
            return Response(status: next.status, body: .init(byteBuffer: ByteBuffer(string: next.body)))
        }
        return router
    }
}

final class KannelProviderTests: XCTestCase {
    func testEncodingSignedReportURLAndKannelsRefusals() async throws {
        let standIn = KannelStandIn()
        try await Application(router: standIn.router).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let key = HMACKey(Array(repeating: 9, count: 32))
            let provider = KannelSMSProvider(
                configuration: KannelConfiguration(
                    sendsmsURL: "http://localhost:\(port)/cgi-bin/sendsms", username: "relance", password: "p&ss",
                    from: "12345", callbackBaseURL: "https://pay.example.com", callbackKey: key))
            let gsm = ClaimedMessage(
                id: 41, channel: "sms", recipient: "+33612345678", body: "Merci 12,00 € +", encoding: .gsm7, attempts: 1
            )
            let accepted = await provider.send(gsm)
            XCTAssertEqual(accepted, .accepted(provider: "kannel", providerID: "kannel-41"))
            let query = try XCTUnwrap(standIn.received.last)
            XCTAssertEqual(query["to"], "+33612345678", "the + must arrive as a +, not a space")
            XCTAssertEqual(query["password"], "p&ss")
            XCTAssertEqual(query["text"], "Merci 12,00 € +")
            XCTAssertEqual(query["coding"], "0")
            XCTAssertEqual(query["charset"], "UTF-8")
            let token = KannelConfiguration.callbackToken(messageID: 41, key: key)
            XCTAssertEqual(
                query["dlr-url"],
                "https://pay.example.com/webhooks/kannel/dlr?message=41&token=\(token)&type=%d&answer=%A")

            let ucs2 = ClaimedMessage(
                id: 42, channel: "sms", recipient: "+33612345678", body: "Jérôme", encoding: .ucs2, attempts: 1)
            _ = await provider.send(ucs2)
            XCTAssertEqual(standIn.received.last?["coding"], "2")

            standIn.next = (.forbidden, "Authorization failed for sendsms")
            guard case .transientFailure(_, let reason) = await provider.send(gsm) else {
                return XCTFail("403 is a configuration problem: retry after the operator fixes it")
            }
            XCTAssertTrue(reason.contains("403"))
            standIn.next = (.serviceUnavailable, "Message splits exceed max-messages")
            guard case .transientFailure = await provider.send(gsm) else { return XCTFail("503 must be retried") }
            standIn.next = (.badRequest, "Invalid receiver")
            guard case .permanentFailure = await provider.send(gsm) else { return XCTFail("400 is permanent") }
        }
    }
}
