import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

final class WebhookTests: HarnessTestCase {
    /// A reminder queued and handed to a provider, as the scheduler and dispatcher would.
    func sentReminder() async throws -> (invoiceID: Int64, messageID: Int64) {
        let (invoice, _) = try await harness.invoice(dueInDays: 0)
        let queued = try await harness.store.remindNow(
            invoiceID: invoice.id, now: harness.clock.now,
            links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring))
        let claimed = try await harness.store.claimNextMessage(now: harness.clock.now)
        try await harness.store.recordSendResult(
            messageID: try XCTUnwrap(claimed).id, .accepted(provider: "kannel", providerID: "kannel-1"), attempts: 1,
            now: harness.clock.now)
        return (invoice.id, queued.messageID)
    }

    func status(_ messageID: Int64) async throws -> String? {
        try await harness.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT status FROM message WHERE id = ?", arguments: [messageID])
        }
    }

    func testDeliveryReportsNeedTheTokenOfTheirMessage() async throws {
        let harness = self.harness!
        let (_, messageID) = try await sentReminder()
        let token = KannelConfiguration.callbackToken(messageID: messageID, key: harness.settings.callbackKey)
        let otherToken = KannelConfiguration.callbackToken(messageID: messageID + 1, key: harness.settings.callbackKey)
        try await harness.app.test(.router) { client in
            for query in [
                "message=\(messageID)&type=1", "message=\(messageID)&token=\(otherToken)&type=1",
                "message=\(messageID)&token=AAAAAAAAAAAAAAAAAAAAAA&type=1", "message=abc&token=\(token)&type=1",
            ] {
                let refused = try await client.execute(uri: "/webhooks/kannel/dlr?" + query, method: .get)
                XCTAssertEqual(refused.status, .forbidden, query)
            }
            let status = try await harness.store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT status FROM message WHERE id = ?", arguments: [messageID])
            }
            XCTAssertEqual(status, "sent", "a refused report changes nothing")

            let accepted = try await client.execute(
                uri: "/webhooks/kannel/dlr?message=\(messageID)&token=\(token)&type=8&answer=ACK", method: .get)
            XCTAssertEqual(accepted.status, .ok)
            let delivered = try await client.execute(
                uri: "/webhooks/kannel/dlr?message=\(messageID)&token=\(token)&type=1&answer=DELIVRD", method: .get)
            XCTAssertEqual(delivered.status, .ok)
        }
        let final = try await status(messageID)
        XCTAssertEqual(final, "delivered")
        let events = try await harness.store.messageEvents(messageID: messageID).map(\.status)
        XCTAssertEqual(events, ["queued", "sending", "sent", "report", "delivered"])
    }

    func testAReportForAnUnknownMessageIsRefused() async throws {
        let harness = self.harness!
        let token = KannelConfiguration.callbackToken(messageID: 999, key: harness.settings.callbackKey)
        try await harness.app.test(.router) { client in
            let response = try await client.execute(
                uri: "/webhooks/kannel/dlr?message=999&token=\(token)&type=1", method: .get)
            XCTAssertEqual(response.status, .notFound)
        }
    }

    func testStopOptsOutCancelsQueuedTextsAndConfirmsOnce() async throws {
        let harness = self.harness!
        let (invoiceID, _) = try await sentReminder()
        // Another reminder is waiting in the outbox when the customer answers STOP.
        let waiting = try await harness.store.remindNow(
            invoiceID: invoiceID, now: harness.clock.now,
            links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring))
        try await harness.app.test(.router) { client in
            for text in ["  stop ", "STOP", "Arrêt"] {
                let response = try await client.execute(
                    uri:
                        "/webhooks/kannel/inbound?from=%2B33612345678&to=12345&text=\(FormEncoding.encode(text))&secret=inbound-secret",
                    method: .get)
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.body.readableBytes, 0, "Kannel must not send the answer as an SMS")
            }
            let forged = try await client.execute(
                uri: "/webhooks/kannel/inbound?from=%2B33612345678&text=START&secret=wrong", method: .get)
            XCTAssertEqual(forged.status, .forbidden)
        }
        let waitingStatus = try await status(waiting.messageID)
        XCTAssertEqual(waitingStatus, "cancelled")
        let confirmations = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM message WHERE kind = 'opt_out_confirmation'")
        }
        XCTAssertEqual(confirmations.count, 1, "one confirmation, then silence")
        XCTAssertTrue(confirmations.first?.contains("répondez START") == true)
        // Worded by the catalogue (strings.fr.txt), as the store wrote it before.
        XCTAssertEqual(
            confirmations,
            ["Atelier Martin: vous ne recevrez plus nos SMS. Pour les recevoir à nouveau, répondez START."])
        // The confirmation still goes out; nothing else does.
        let provider = ConsoleSMSProvider(write: { _ in })
        let dispatcher = Dispatcher(
            store: harness.store, provider: provider, clock: harness.clock.clock, logger: harness.logs.logger)
        let sent = try await dispatcher.drain()
        XCTAssertEqual(sent, 1)
        let stored = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT keyword FROM inbound ORDER BY id")
        }
        XCTAssertEqual(stored, ["stop", "stop", "stop"])
        // The next reminder is refused, and START lets them through again.
        do {
            _ = try await harness.store.remindNow(
                invoiceID: invoiceID, now: harness.clock.now,
                links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring))
            XCTFail("reminded an opted-out customer")
        } catch let refusal as RemindRefusal {
            XCTAssertEqual(refusal, .optedOut)
        }
        _ = try await harness.inbound.receive(
            InboundText(from: "+33612345678", to: nil, body: "start", provider: "kannel"))
        let optedOut = try await harness.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sms_opted_out_at FROM customer")
        }
        XCTAssertNil(optedOut)
        let optIn = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM message WHERE kind = 'opt_in_confirmation'")
        }
        XCTAssertEqual(
            optIn, ["Atelier Martin: c'est noté, vous recevrez à nouveau nos SMS. Répondez STOP pour arrêter."])
    }

    func testAnyOtherReplyIsKeptAndPausesThatCustomersReminders() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let response = try await client.execute(
                uri: "/webhooks/kannel/inbound", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(
                    string:
                        "from=0033612345678&to=12345&text=Je+paie+vendredi+%3Cb%3Epromis%3C%2Fb%3E&secret=inbound-secret"
                ))
            XCTAssertEqual(response.status, .ok)
        }
        let summary = try await harness.store.invoice(id: invoice.id)
        XCTAssertNotNil(summary.remindersPausedAt)
        XCTAssertEqual(summary.remindersPausedReason, "reply from customer")
        XCTAssertNil(summary.nextActionAt)
        let reply = try await harness.store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT customer_id, body, keyword FROM inbound")
        }
        XCTAssertEqual(reply?["customer_id"] as Int64?, invoice.customerID)
        XCTAssertEqual(reply?["body"] as String?, "Je paie vendredi <b>promis</b>")
        XCTAssertEqual(reply?["keyword"] as String?, "other")
    }

    func testRepliesAreReadInAnyCaseWithSpacesAndAccents() {
        for stop in ["STOP", "stop", " Stop ", "STOP SMS", "stop.", "ARRET", "arrêt", "Unsubscribe", "STOPALL"] {
            XCTAssertEqual(ReplyKeyword(reply: stop), .stop, stop)
        }
        for start in ["START", "start ", "Unstop"] { XCTAssertEqual(ReplyKeyword(reply: start), .start, start) }
        for other in ["stop calling me at work", "OK merci", "", "STOPPED"] {
            XCTAssertEqual(ReplyKeyword(reply: other), .other, other)
        }
        // A long text is a message, not a keyword, whatever it holds; it is not folded at all.
        XCTAssertEqual(ReplyKeyword(reply: "STOP" + String(repeating: " ", count: 10_000)), .other)
    }
}
