import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// The dashboard's "New invoice": the API's rules, problems beside their fields, nothing written until
/// everything is right, and an existing customer used as stored.
final class NewInvoiceTests: HarnessTestCase {
    func testAnInvoiceTypedInByHandIsCheckedLikeTheAPIAndCreated() async throws {
        let harness = self.harness!
        let (existing, _) = try await harness.invoice(name: "Camille Durand", phone: "+33612345678")
        @Sendable func count(_ table: String) async throws -> Int {
            try await harness.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
        }
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let form = try await client.execute(
                uri: "/dashboard/invoices/new", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.text.contains("value=\"2026-03-03\""), "issued today, in the business's zone")
            XCTAssertTrue(form.text.contains("value=\"2026-04-02\""), "due in 30 days")
            XCTAssertTrue(form.text.contains("Camille Durand · +33612345678"), "existing customers to pick from")
            let invoices = try await count("invoice")
            let customers = try await count("customer")

            // Every problem at once, each beside its field; nothing written.
            var response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "csrf=\(csrf)&customer_id=&customer_name=&customer_phone=06+12&customer_email=nope"
                    + "&number=F-9&amount=vingt&currency=EUR&issued_on=2026-03-10&due_on=2026-03-01",
                cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            for (input, message) in [
                ("customer_name", "must not be empty"), ("customer_phone", "must be in E.164 form"),
                ("customer_email", "is not an email address"), ("amount", "&#39;vingt&#39; is not an amount of EUR"),
                ("due_on", "must not be before issued_on"),
            ] {
                XCTAssertTrue(
                    response.text.contains("id=\"\(input)-error\">\(message)"), "\(input): \(response.text)")
            }
            XCTAssertTrue(response.text.contains("value=\"F-9\""), "what was typed is kept")
            // Hostile input: a NUL, a number far too long, an amount past Int64: clear errors, no crash.
            let long = String(repeating: "9", count: 5_000)
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "csrf=\(csrf)&customer_name=A%00B&number=\(long)&amount=9223372036854775808&currency=EUR"
                    + "&issued_on=2026-03-01&due_on=2026-03-31",
                cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("must not contain control characters"))
            XCTAssertTrue(response.text.contains("must be at most 64 characters"))
            XCTAssertTrue(response.text.contains("is not an amount of EUR"))
            var now = [try await count("invoice"), try await count("customer")]
            XCTAssertEqual(now, [invoices, customers], "nothing written")

            // A "new" customer with a number that is already someone's: said, not merged into them.
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "csrf=\(csrf)&customer_id=&customer_name=Someone+Else&customer_phone=%2B33612345678&number=F-2026-0499"
                    + "&amount=10&currency=EUR&issued_on=2026-03-01&due_on=2026-03-31",
                cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("this number is already Camille Durand"), response.text)
            let stillCamille = try await harness.store.customer(id: existing.customerID)
            XCTAssertEqual(stillCamille.name, "Camille Durand")
            // A new customer: the phone as people type it, the amount with a decimal comma.
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "csrf=\(csrf)&customer_id=&customer_name=L%C3%A9a+Roux&customer_phone=%2B33+6+98+76+54+32"
                    + "&customer_locale=fr&customer_time_zone=Europe%2FParis&number=F-2026-0500&amount=1+234%2C56"
                    + "&currency=EUR&issued_on=2026-03-01&due_on=2026-03-31",
                cookie: cookie)
            XCTAssertEqual(response.status, .seeOther, response.text)
            let created = try await harness.store.invoice(number: "F-2026-0500")
            XCTAssertEqual(created.amount.minorUnits, 123_456)
            XCTAssertEqual(created.customerName, "Léa Roux")
            XCTAssertEqual(response.headers[.location]?.hasPrefix("/dashboard/invoices/\(created.id)"), true)
            let trail = try await harness.store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT action FROM audit WHERE invoice_id = ?", arguments: [created.id])
            }
            XCTAssertEqual(trail, ["invoice.created"])

            // An existing customer picked from the list: their record, not a new one.
            now = [try await count("invoice"), try await count("customer")]
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "csrf=\(csrf)&customer_id=\(existing.customerID)&customer_name=&number=F-2026-0501&amount=80"
                    + "&currency=EUR&issued_on=2026-03-01&due_on=2026-03-31",
                cookie: cookie)
            XCTAssertEqual(response.status, .seeOther, response.text)
            let picked = try await harness.store.invoice(number: "F-2026-0501")
            XCTAssertEqual(picked.customerID, existing.customerID)
            let after = try await count("customer")
            XCTAssertEqual(after, now[1], "no customer added")

            // A number already used is said beside the number.
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "csrf=\(csrf)&customer_id=\(existing.customerID)&number=F-2026-0501&amount=80&currency=EUR"
                    + "&issued_on=2026-03-01&due_on=2026-03-31",
                cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("id=\"number-error\">another invoice already has this number"))
            // Without the form's token, nothing.
            response = try await DashboardTests.post(
                client, "/dashboard/invoices/new",
                "customer_id=\(existing.customerID)&number=F-2026-0502&amount=80&currency=EUR&issued_on=2026-03-01"
                    + "&due_on=2026-03-31", cookie: cookie)
            XCTAssertEqual(response.status, .forbidden)
        }
    }
}
