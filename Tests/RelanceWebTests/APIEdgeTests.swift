import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// Requests schemathesis and a read of the handlers found answering 500, crashing the server or
/// saying the wrong thing: each must now be a precise 4xx and leave the database as it was.
final class APIEdgeTests: HarnessTestCase {
    /// "é" written as e + a combining accent: one character to Swift, two code points to SQLite.
    static let decomposed = "e\u{0301}"

    func testInputsThatOnceBrokeTheServerAreRefusedWithTheFieldNamed() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        let long = String(repeating: Self.decomposed, count: 150)
        try await harness.app.test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String, String)] = [
                (
                    .put, "/api/v1/policy", #"{"stages":[{"key":"a","offset_days":0,"channels":["sms","sms"]}]}"#,
                    "stage 'a' lists a channel twice"
                ),
                (.put, "/api/v1/plan-settings", #"{"reminder_offsets":[-9223372036854775808]}"#, "reminder_offsets"),
                (
                    .post, "/api/v1/invoices",
                    #"{"number":"F-9","customer":{"name":"\#(long)"},"currency":"EUR","amount":100,"issued_on":"2026-03-01","due_on":"2026-03-31"}"#,
                    "customer.name: must be at most"
                ),
                (
                    .post, "/api/v1/invoices/\(invoice.id)/payments",
                    #"{"amount":100,"method":"card","reference":"\#(String(repeating: Self.decomposed, count: 150))"}"#,
                    "reference: must be at most 200"
                ),
                (
                    .post, "/api/v1/invoices/\(invoice.id)/payments",
                    #"{"amount":100,"method":"card","received_at":"1582-10-14T00:00:00Z"}"#, "received_at"
                ),
            ]
            for (method, path, body, detail) in cases {
                let response = try await client.api(key, method, path, body)
                XCTAssertEqual(response.status, .unprocessableContent, "\(path) \(body.prefix(80)): \(response.text)")
                XCTAssertTrue((try? response.json()["detail"] as? String)?.contains(detail) == true, response.text)
            }
            // Pausing a paid invoice is refused for what it is, not as an overpayment.
            let paid = try await client.api(
                key, .post, "/api/v1/invoices/\(invoice.id)/payments", #"{"amount":123456,"method":"transfer"}"#)
            XCTAssertEqual(paid.status, .created, paid.text)
            let pause = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/pause", #"{}"#)
            XCTAssertEqual(pause.status, .conflict)
            XCTAssertEqual(try pause.json()["detail"] as? String, "the invoice is paid or void: it has no reminders")
            // The server is still up.
            let list = try await client.api(key, .get, "/api/v1/invoices")
            XCTAssertEqual(list.status, .ok)
        }
        let stored = try await harness.store.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice")!,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment")!,
                try String.fetchOne(db, sql: "SELECT channels FROM reminder_stage WHERE key = 'final'")
            )
        }
        XCTAssertEqual(stored.0, 1)
        XCTAssertEqual(stored.1, 1, "only the full payment")
        XCTAssertEqual(stored.2, "sms,email")
    }

    func testHistoryNamesEachMessageKindPlainly() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await harness.store.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO message (customer_id, invoice_id, kind, channel, recipient, body, status, created_at)
                    VALUES (?, ?, 'request_confirmation', 'sms', '+33612345678', 'ok', 'queued', ?)
                    """, arguments: [invoice.customerID, invoice.id, Date()])
            try db.execute(
                sql: "INSERT INTO message_event (message_id, status, at) VALUES (?, 'queued', ?)",
                arguments: [db.lastInsertedRowID, Date()])
        }
        try await harness.app.test(.router) { client in
            let history = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)/history")
            XCTAssertEqual(history.status, .ok)
            XCTAssertTrue(history.text.contains("request_confirmation by sms"), history.text)
            XCTAssertFalse(history.text.contains("Optional("), history.text)
        }
    }
}

/// A method a path does not serve gets 405 and the methods it does; a path nobody serves, 404.
final class MethodNotAllowedTests: XCTestCase {
    func testUndeclaredMethodsAre405WithAllowAndUnknownPathsAre404ProblemDocuments() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let key = try await harness.apiKey()
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.init("TRACE")!, "/api/v1/invoices", "GET, POST"),
                (.delete, "/api/v1/invoices", "GET, POST"),
                (.put, "/api/v1/invoices/\(invoice.id)", "GET"),
                (.patch, "/api/v1/webhook-endpoints/3", "DELETE, GET"),
                (.get, "/api/v1/invoices/\(invoice.id)/void", "POST"),
                (.init("QUERY")!, "/api/v1/policy", "GET, PUT"),
            ]
            for (method, path, allow) in cases {
                let response = try await client.execute(
                    uri: path, method: method, headers: [.authorization: "Bearer \(key)"])
                XCTAssertEqual(response.status, .methodNotAllowed, "\(method) \(path)")
                XCTAssertEqual(response.headers[.allow], allow, "\(method) \(path)")
                XCTAssertEqual(response.headers[.contentType], "application/problem+json")
                XCTAssertEqual(try response.json()["status"] as? Int, 405)
            }
            let missing = try await client.execute(
                uri: "/api/v1/nothing-here", method: .get, headers: [.authorization: "Bearer \(key)"])
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual(missing.headers[.contentType], "application/problem+json")
            // Pages too: a POST to a page that is only read, 405 with what it takes.
            let page = try await client.execute(uri: "/healthz", method: .delete)
            XCTAssertEqual(page.status, .methodNotAllowed)
            XCTAssertEqual(page.headers[.allow], "GET")
            let customer = try await client.execute(uri: "/p/\(link.token)", method: .put)
            XCTAssertEqual(customer.status, .methodNotAllowed)
            XCTAssertEqual(customer.headers[.allow], "GET")
            // A handler's own 404 (an invoice that does not exist) is still a 404.
            let unknown = try await client.api(key, .get, "/api/v1/invoices/999999")
            XCTAssertEqual(unknown.status, .notFound)
            let nowhere = try await client.execute(uri: "/no/such/page", method: .get)
            XCTAssertEqual(nowhere.status, .notFound)
        }
    }
}

/// Values schemathesis found that stopped the server or were stored cut short.
final class APIHostileValueTests: XCTestCase {
    func testATimeZoneSpellingThatTrappedFoundationIsRefusedAndTheServerStaysUp() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            for zone in ["GMT+01:x0", "UTC+01:x0", "GMT+1::30"] {
                let response = try await client.api(
                    key, .post, "/api/v1/invoices",
                    #"{"number":"F-\#(zone)","amount":100,"currency":"EUR","issued_on":"2026-03-01","due_on":"2026-04-01","customer":{"name":"A","time_zone":"\#(zone)"}}"#
                )
                XCTAssertEqual(response.status, .unprocessableContent, zone)
                XCTAssertTrue(response.text.contains("customer.time_zone"), response.text)
            }
            // A NUL was stored as the end of the text ("a"); now it is refused.
            var response = try await client.api(
                key, .post, "/api/v1/invoices/\(invoice.id)/pause", #"{"reason":"a\u0000b"}"#)
            XCTAssertEqual(response.status, .unprocessableContent)
            response = try await client.api(
                key, .put, "/api/v1/plan-settings", #"{"reply_time":{"fr":"sous 24 h\u0000"}}"#)
            XCTAssertEqual(response.status, .unprocessableContent)
            for body in [
                #"{"url":"https://billing.example.com/x","events":["*"],"description":"a\u0000b"}"#,
                #"{"url":"https://intranet.local./x","events":["*"]}"#,
                #"{"url":"https://billing.example.com:99999/x","events":["*"]}"#,
                #"{"url":"https://billing.example.com/x\u0000","events":["*"]}"#,
            ] {
                response = try await client.api(key, .post, "/api/v1/webhook-endpoints", body)
                XCTAssertEqual(response.status, .unprocessableContent, body)
            }
        }
        let stored = try await harness.store.invoice(id: invoice.id)
        XCTAssertNil(stored.remindersPausedAt)
        let endpoints = try await harness.store.webhookEndpoints()
        XCTAssertTrue(endpoints.isEmpty)
    }
}
