import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// A disk that fills up: SQLite's `max_page_count` on the writing connection makes the database full at
/// its present size, as a full disk would. Writes are refused cleanly, pages keep opening, and everything
/// resumes when space returns.
final class DatabaseFullTests: HarnessTestCase {
    func testAFullDatabaseAnswers503WritesNothingHalfAndResumes() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (_, link) = try await harness.invoice()
        @Sendable func invoice(_ index: Int) -> String {
            """
            {"number": "FULL-\(index)", "customer": {"name": "Client \(index)", "phone": "+3361\(String(format: "%07d", index))"},
             "currency": "EUR", "amount": 10000, "issued_on": "2026-02-01", "due_on": "2026-02-26"}
            """
        }
        @Sendable func counts() async throws -> [Int] {
            try await harness.store.pool.read { db in
                try ["invoice", "customer", "audit"].map { table in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1
                }
            }
        }
        @Sendable func limit(_ pages: Int?) async throws {
            try await harness.store.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA max_page_count = \(pages ?? 1_073_741_823)")
            }
        }
        let before = try await counts()
        // The file may not grow any more.
        let size = try await harness.store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try await limit(size)

        try await harness.app.test(.router) { client in
            var created = 0
            var refused: TestResponse?
            for index in 1...2_000 {
                let response = try await client.api(key, .post, "/api/v1/invoices", invoice(index))
                if response.status == .created {
                    created += 1
                    continue
                }
                XCTAssertEqual(response.status, .serviceUnavailable, String(buffer: response.body))
                refused = response
                break
            }
            let answer = try XCTUnwrap(refused, "2,000 invoices fitted in a database that may not grow")
            XCTAssertEqual(answer.headers[.contentType], "application/problem+json")
            XCTAssertEqual(answer.headers[.retryAfter], "30")
            XCTAssertEqual(try answer.json()["status"] as? Int, 503)
            XCTAssertTrue((try answer.json()["detail"] as? String ?? "").contains("nothing was changed"))
            // Each invoice that was answered 201 is there with its customer and its audit row; the refused
            // one left nothing.
            let full = try await counts()
            XCTAssertEqual(full, before.map { $0 + created }, "invoices, customers, audit rows")

            // The customer's page still opens while nothing can be written.
            for _ in 0..<3 {
                let page = try await client.execute(
                    uri: "/p/" + link.token, method: .get, headers: [.userAgent: Harness.iPhone], body: nil)
                XCTAssertEqual(page.status, .ok)
                XCTAssertTrue(page.text.contains("F-2026-0042"))
            }
            let health = try await client.execute(uri: "/healthz", method: .get, headers: [:], body: nil)
            XCTAssertEqual(health.status, .ok, "still alive")

            // Space returns: the same request goes through.
            try await limit(nil)
            let again = try await client.api(key, .post, "/api/v1/invoices", invoice(created + 1))
            XCTAssertEqual(again.status, .created, String(buffer: again.body))
            let after = try await counts()
            XCTAssertEqual(after, before.map { $0 + created + 1 })
        }
    }

    /// Clicks made while the database cannot write wait in memory and are written once it can; before,
    /// a failed flush dropped them.
    func testClicksWaitForTheDatabaseInsteadOfBeingLost() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        @Sendable func readOnly(_ on: Bool) async throws {
            try await harness.store.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA query_only = \(on ? 1 : 0)")
            }
        }
        @Sendable func clicks() async throws -> Int {
            try await harness.store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM click WHERE link_id = ?", arguments: [link.linkID])
                    ?? -1
            }
        }
        try await harness.app.test(.router) { client in
            try await readOnly(true)
            for _ in 0..<4 {
                let page = try await client.execute(
                    uri: "/p/" + link.token, method: .get, headers: [.userAgent: Harness.iPhone], body: nil)
                XCTAssertEqual(page.status, .ok)
            }
            harness.clicks.flush()
            let waiting = try await clicks()
            XCTAssertEqual(waiting, 0, "nothing could be written")
            try await readOnly(false)
            harness.clicks.flush()
            let written = try await clicks()
            XCTAssertEqual(written, 4, "the clicks of invoice \(invoice.id) were kept and written")
        }
    }
}
