import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// Correcting an invoice's amount, dates and payment link from its page, until the first reminder.
final class InvoiceCorrectionTests: HarnessTestCase {
    static func stored(_ harness: Harness, _ id: Int64) async throws -> String {
        try await harness.store.pool.read { db in
            let row = try XCTUnwrap(
                try Row.fetchOne(
                    db, sql: "SELECT amount, issued_on, due_on, payment_url FROM invoice WHERE id = ?", arguments: [id])
            )
            return "\(row["amount"] as Int64) \(row["issued_on"] as String) \(row["due_on"] as String) "
                + (row["payment_url"] as String? ?? "-")
        }
    }

    func testAnInvoiceIsCorrectedUntilItsFirstReminderAndThenSaysWhyNot() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice(amount: 10_000, dueInDays: 10)
        let path = "/dashboard/invoices/\(invoice.id)"
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let page = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie]).text
            XCTAssertTrue(page.contains("action=\"\(path)/correct\""), page)
            XCTAssertTrue(page.contains("name=\"amount\" inputmode=\"decimal\" required value=\"100.00\""))
            XCTAssertTrue(page.contains("The number, the customer and the currency stay as they are"))
            let before = try await Self.stored(harness, invoice.id)

            // Bad input: said on the page, nothing changed.
            for (body, said) in [
                ("amount=abc&issued_on=2026-02-11&due_on=2026-03-13", "Not corrected: Amount"),
                ("amount=120&issued_on=2026-03-20&due_on=2026-03-13", "Not corrected: Due on: must not be before"),
                ("amount=120&issued_on=2026-02-11&due_on=2026-02-30", "Not corrected: Due on: must be a calendar date"),
                (
                    "amount=120&issued_on=2026-02-11&due_on=2026-03-13&payment_url=javascript%3Aalert(1)",
                    "Not corrected: Payment"
                ),
                ("amount=100&issued_on=2026-02-11&due_on=2026-03-13", "Nothing to correct"),
            ] {
                let answer = try await DashboardTests.post(
                    client, path + "/correct", "csrf=\(csrf)&" + body, cookie: cookie)
                XCTAssertEqual(answer.status, .seeOther)
                let shown = try await client.execute(
                    uri: try XCTUnwrap(answer.headers[.location]), method: .get, headers: [.cookie: cookie]
                ).text
                XCTAssertTrue(shown.contains(said), "\(body): \(shown)")
                let after = try await Self.stored(harness, invoice.id)
                XCTAssertEqual(after, before, body)
            }
            let forged = try await DashboardTests.post(
                client, path + "/correct", "amount=1&issued_on=2026-02-11&due_on=2026-03-13", cookie: cookie)
            XCTAssertEqual(forged.status, .forbidden)

            // A good correction: stored, audited with what changed, and the reminders planned again.
            let saved = try await DashboardTests.post(
                client, path + "/correct",
                "csrf=\(csrf)&amount=1+250%2C50&issued_on=2026-02-20&due_on=2026-03-31&payment_url=https%3A%2F%2Fpay.example.com%2Fx",
                cookie: cookie)
            XCTAssertEqual(saved.status, .seeOther)
            let corrected = try await Self.stored(harness, invoice.id)
            XCTAssertEqual(corrected, "125050 2026-02-20 2026-03-31 https://pay.example.com/x")
            let planned = try await harness.store.invoice(id: invoice.id).nextActionAt
            XCTAssertEqual(planned, harness.clock.now, "the next tick plans its reminders again")
            let audit = try await harness.store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT detail FROM audit WHERE action = 'invoice.corrected'")
            }
            XCTAssertEqual(
                audit,
                "F-2026-0042: amount €100.00 → €1,250.50; issued 2026-02-11 → 2026-02-20; due 2026-03-13 → 2026-03-31; "
                    + "payment link none → https://pay.example.com/x")

            // Not below what was already paid.
            _ = try await harness.store.recordPayment(
                invoiceID: invoice.id,
                NewPayment(amount: 20_000, method: .transfer, reference: "VIR-9", receivedAt: harness.clock.now),
                now: harness.clock.now)
            let below = try await DashboardTests.post(
                client, path + "/correct", "csrf=\(csrf)&amount=150&issued_on=2026-02-20&due_on=2026-03-31",
                cookie: cookie)
            let belowPage = try await client.execute(
                uri: try XCTUnwrap(below.headers[.location]), method: .get, headers: [.cookie: cookie]
            ).text
            XCTAssertTrue(belowPage.contains("€200.00 has already been received"), belowPage)
            let still = try await Self.stored(harness, invoice.id)
            XCTAssertEqual(still, corrected)

            // Once a reminder is queued, its text holds the figures: the form gives way to the reason.
            let reminded = try await DashboardTests.post(client, path + "/remind", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(reminded.status, .seeOther)
            let locked = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie]).text
            let day = Format.date(CalendarDate(iso: "2026-03-03")!, .en)
            XCTAssertTrue(locked.contains("Locked since the first reminder, on \(day):"), locked)
            XCTAssertFalse(locked.contains("action=\"\(path)/correct\""))
            let late = try await DashboardTests.post(
                client, path + "/correct", "csrf=\(csrf)&amount=999&issued_on=2026-02-20&due_on=2026-03-31",
                cookie: cookie)
            let latePage = try await client.execute(
                uri: try XCTUnwrap(late.headers[.location]), method: .get, headers: [.cookie: cookie]
            ).text
            XCTAssertTrue(latePage.contains("Not corrected: Locked since the first reminder"), latePage)
            let final = try await Self.stored(harness, invoice.id)
            XCTAssertEqual(final, corrected)
        }
    }
}
