import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// A change and its audit line are one transaction: neither is ever kept without the other.
final class AuditTrailTests: HarnessTestCase {
    /// Makes every audit insert fail, as a full disk or a crash between two writes would.
    static func refuseAudits(_ store: Store, _ refuse: Bool) async throws {
        try await store.pool.write { db in
            if refuse {
                try db.execute(
                    sql: "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no audit'); END"
                )
            } else {
                try db.execute(sql: "DROP TRIGGER refuse_audit")
            }
        }
    }

    func auditRows() async throws -> [Row] {
        try await harness.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT action, user_id, api_key_id, invoice_id, detail FROM audit ORDER BY id")
        }
    }

    func testAnAPIChangeWhoseAuditLineCannotBeWrittenIsNotMade() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await Self.refuseAudits(harness.store, true)
        try await harness.app.test(.router) { client in
            var response = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/void")
            XCTAssertEqual(response.status, .internalServerError)
            var stored = try await harness.store.invoice(id: invoice.id)
            XCTAssertNil(stored.voidedAt, "the change went with its audit line")
            response = try await client.api(
                key, .post, "/api/v1/invoices/\(invoice.id)/payments", #"{"amount":1000,"method":"cash"}"#)
            XCTAssertEqual(response.status, .internalServerError)
            stored = try await harness.store.invoice(id: invoice.id)
            XCTAssertEqual(stored.paid, 0)

            try await Self.refuseAudits(harness.store, false)
            response = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/void")
            XCTAssertEqual(response.status, .ok)
        }
        let rows = try await auditRows()
        XCTAssertEqual(rows.map { $0["action"] as String }, ["api POST /api/v1/invoices/{id}/void"])
        XCTAssertEqual(rows.first?["invoice_id"] as Int64?, invoice.id)
        XCTAssertNotNil(rows.first?["api_key_id"] as Int64?)
    }

    func testAnIdempotentReplayIsNotAuditedAgainAndANewInvoiceIsLinkedToItsLine() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            for _ in 0..<3 {
                let response = try await client.api(
                    key, .post, "/api/v1/invoices/\(invoice.id)/payments", #"{"amount":1000,"method":"cash"}"#,
                    idempotencyKey: "pay-1")
                XCTAssertEqual(response.status, .created)
            }
            let created = try await client.api(
                key, .post, "/api/v1/invoices",
                #"{"number":"F-9","amount":5000,"currency":"EUR","issued_on":"2026-03-01","due_on":"2026-04-01","customer":{"name":"Ana","phone":"+33611111111"}}"#
            )
            XCTAssertEqual(created.status, .created, created.text)
        }
        let rows = try await auditRows()
        XCTAssertEqual(
            rows.map { $0["action"] as String },
            ["api POST /api/v1/invoices/{id}/payments", "api POST /api/v1/invoices"], "one line per change made")
        XCTAssertNotNil(rows.last?["invoice_id"] as Int64?, "the invoice the request created")
    }

    func testADashboardChangeWhoseAuditLineCannotBeWrittenIsNotMade() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            try await Self.refuseAudits(harness.store, true)
            var response = try await DashboardTests.post(
                client, "/dashboard/invoices/\(invoice.id)/pause", "csrf=\(csrf)&reason=holiday", cookie: cookie)
            XCTAssertEqual(response.status, .internalServerError)
            var stored = try await harness.store.invoice(id: invoice.id)
            XCTAssertNil(stored.remindersPausedAt)
            response = try await DashboardTests.post(
                client, "/dashboard/settings",
                "csrf=\(csrf)&name=Other+name&default_locale=fr&time_zone=Europe%2FParis&link_days=30"
                    + "&start_hour=8&end_hour=20&weekday=1&weekday=2&cap_hours=48&max_instalments=6"
                    + "&max_span=180&min_instalment=25.00&break_after=12",
                cookie: cookie)
            XCTAssertEqual(response.status, .internalServerError)
            let business = try await harness.store.business()
            XCTAssertEqual(business.name, "Atelier Martin", "the settings went with their audit line")

            try await Self.refuseAudits(harness.store, false)
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/\(invoice.id)/pause", "csrf=\(csrf)&reason=holiday", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            stored = try await harness.store.invoice(id: invoice.id)
            XCTAssertNotNil(stored.remindersPausedAt)
        }
        let rows = try await auditRows()
        XCTAssertEqual(rows.map { $0["action"] as String }, ["user.added", "sign_in", "reminders.paused"])
        XCTAssertEqual(rows.last?["detail"] as String?, "holiday")
        XCTAssertNotNil(rows.last?["user_id"] as Int64?)
    }
}
