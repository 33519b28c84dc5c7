import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

final class UnsubscribeTests: HarnessTestCase {
    static func optedOut(_ harness: Harness, _ customerID: Int64) async throws -> Bool {
        try await harness.store.pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT email_opted_out_at FROM customer WHERE id = ?", arguments: [customerID])
        } != nil
    }

    func testOpeningTheLinkOnlyAsksAndPressingTheButtonStopsEmailReminders() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        let token = harness.settings.keyring.unsubscribeToken(customerID: invoice.customerID)
        try await harness.app.test(.router) { client in
            // A mail scanner or a person opening the link changes nothing.
            let page = try await get(client, "/u/" + token)
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Ne plus recevoir les rappels par e-mail ?"), page.text)
            XCTAssertTrue(page.text.contains("<form method=\"post\" action=\"/u/\(token)\">"), page.text)
            XCTAssertTrue(page.text.contains("Oui, arrêter les e-mails"))
            var optedOut = try await Self.optedOut(harness, invoice.customerID)
            XCTAssertFalse(optedOut)
            // The button (or a mail client's one-click POST, RFC 8058) stops them.
            let done = try await client.execute(
                uri: "/u/" + token, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "List-Unsubscribe=One-Click"))
            XCTAssertEqual(done.status, .ok)
            XCTAssertTrue(done.text.contains("Vous ne recevrez plus de rappels par e-mail"), done.text)
            optedOut = try await Self.optedOut(harness, invoice.customerID)
            XCTAssertTrue(optedOut)
            // Opening the link again says it is done, without the button; pressing again is harmless.
            let again = try await get(client, "/u/" + token, language: "en")
            XCTAssertFalse(again.text.contains("<form"))
            XCTAssertTrue(again.text.contains("Vous ne recevrez plus"), "the customer's own language wins")
            let twice = try await client.execute(uri: "/u/" + token, method: .post)
            XCTAssertEqual(twice.status, .ok)
        }
        XCTAssertTrue(harness.logs.all.contains("customer unsubscribed from email reminders"))
    }

    func testAForgedOrAlteredTokenUnsubscribesNobody() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        let token = harness.settings.keyring.unsubscribeToken(customerID: invoice.customerID)
        let parts = token.split(separator: ".")
        let moved = "\(parts[0]).\(invoice.customerID + 1).\(parts[2])"
        let foreign = try LinkKeyring(parsing: LinkKeyring.generate()).unsubscribeToken(customerID: invoice.customerID)
        try await harness.app.test(.router) { client in
            for bad in [moved, foreign, token + "A", "x", "0.\(invoice.customerID).AAAA"] {
                let response = try await client.execute(uri: "/u/" + bad, method: .post)
                XCTAssertEqual(response.status, .notFound, bad)
                XCTAssertTrue(response.text.contains("Ce lien de désinscription n’est pas valide"), response.text)
            }
            // Guessing from one address is slowed down.
            var last = HTTPResponse.Status.notFound
            for _ in 0..<40 { last = try await get(client, "/u/0.1.guess").status }
            XCTAssertEqual(last, .tooManyRequests)
        }
        let optedOut = try await Self.optedOut(harness, invoice.customerID)
        XCTAssertFalse(optedOut)
    }
}
