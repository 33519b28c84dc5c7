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

/// The template editor, A/B tests, and "what works" computed on a history with known answers.
final class DashboardTemplateTests: HarnessTestCase {
    func testTheEditorMeasuresEveryTextAndSavesOnlyOnesThatParseAndFit() async throws {
        let harness = self.harness!
        _ = try await harness.invoice(amount: 45_600, dueInDays: -8)
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let path = "/dashboard/templates/late/fr"
            let page = try await client.execute(uri: path + "?combined=0", method: .get, headers: [.cookie: cookie])
                .text
            XCTAssertTrue(page.contains("GSM-7</strong> · 155 of 160 per segment · <strong>1 segment(s)"), page)
            XCTAssertTrue(page.contains("With invoice F-2026-0042"))
            XCTAssertTrue(page.plainSpaces.contains("facture F-2026-0042 de 456,00 € en retard"))

            // A circumflex makes it UCS-2: shown at once, saved only when asked.
            let accented =
                "{{business_name}}: {{customer_name}}, votre facture {{invoice_number}} est en retard, merci de la régler au plus tôt. Pour régler: {{link}}"
            var response = try await DashboardTests.post(
                client, path,
                "csrf=\(csrf)&combined=0&action=preview&body=" + RequestTests.encode(accented), cookie: cookie)
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(
                response.text.contains("UCS-2 (70 characters per segment) because of &#39;ô&#39;"), response.text)
            XCTAssertTrue(response.text.contains("<strong>UCS-2</strong>"))
            XCTAssertFalse(response.text.contains("<strong>1 segment(s)"))
            var stored = try await harness.store.messageTemplate(
                stage: "late", channel: .sms, language: .fr, combined: false)
            XCTAssertFalse(stored.source.contains("au plus tôt"))

            response = try await DashboardTests.post(
                client, path,
                "csrf=\(csrf)&combined=0&action=save&body=" + RequestTests.encode("Hi {{customer_nme}} {{link}}"),
                cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("line 1, column 4"), response.text)
            let long = String(repeating: "ô", count: 250) + " {{link}}"
            response = try await DashboardTests.post(
                client, path, "csrf=\(csrf)&combined=0&action=save&body=" + RequestTests.encode(long), cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("segments with realistic values; at most 3"))

            let short = "{{business_name}}: facture {{invoice_number}} en retard ({{amount}}). {{link}}"
            response = try await DashboardTests.post(
                client, path, "csrf=\(csrf)&combined=0&action=save&body=" + RequestTests.encode(short), cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            stored = try await harness.store.messageTemplate(
                stage: "late", channel: .sms, language: .fr, combined: false)
            XCTAssertEqual(stored.source, short)

            // A NUL passed the length check and failed the database's: a 500. Now a precise 422 everywhere.
            for (path, body) in [
                (path, "action=save&body=%00"), (path, "action=save_variant&body=x&variant_body=a%00b&share=50"),
                ("/dashboard/email-templates/late/fr", "action=save&subject=%00&body=Hello+%7B%7Blink%7D%7D"),
                ("/dashboard/email-templates/late/fr", "action=save&subject=Hi&body=a%00b"),
            ] {
                response = try await DashboardTests.post(
                    client, path, "csrf=\(csrf)&combined=0&" + body, cookie: cookie)
                XCTAssertEqual(response.status, .unprocessableContent, "\(path) \(body)")
                XCTAssertTrue(response.text.contains("control characters"), response.text)
            }

            let unknown = try await client.execute(
                uri: "/dashboard/templates/nope/fr", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(unknown.status, .notFound)
        }
        let audit = try await harness.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT action FROM audit WHERE action LIKE 'template.%'")
        }
        XCTAssertEqual(audit, ["template.saved"])
    }

    func testOnlyOwnersChangeWhatCustomersAreToldAndTheyCanSeeWhoChangedItAndWhen() async throws {
        let harness = self.harness!
        _ = try await harness.store.addUser(
            email: "staff@example.com", password: DashboardTests.password, role: .staff, now: harness.clock.now,
            language: .en)
        let key = try await harness.apiKey()
        let before = try await harness.store.messageTemplate(
            stage: "courtesy", channel: .sms, language: .fr, combined: false)
        let beforeEmail = try await harness.store.emailTemplate(stage: "courtesy", language: .fr, combined: false)
        let beforePolicy = try await harness.store.policy()
        try await harness.app.test(.router) { client in
            let staff = try await DashboardTests.signIn(client, email: "staff@example.com")
            let page = try await client.execute(
                uri: "/dashboard/templates/courtesy/fr?combined=0", method: .get, headers: [.cookie: staff])
            let csrf = try XCTUnwrap(page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            XCTAssertFalse(page.text.contains("Save wording A"), "no save button for staff")
            XCTAssertTrue(page.text.contains("Only an owner can change what customers are told"))
            // A staff account tries to put another IBAN into the courtesy text.
            let swapped = RequestTests.encode("Virement sur FR76 9999 9999 9999 9999 9999 999 svp {{link}}")
            var response = try await DashboardTests.post(
                client, "/dashboard/templates/courtesy/fr", "csrf=\(csrf)&combined=0&action=save&body=" + swapped,
                cookie: staff)
            XCTAssertEqual(response.status, .forbidden)
            for action in ["save_variant&share=50&variant_body=" + swapped, "stop_variant"] {
                response = try await DashboardTests.post(
                    client, "/dashboard/templates/courtesy/fr", "csrf=\(csrf)&combined=0&action=\(action)",
                    cookie: staff)
                XCTAssertEqual(response.status, .forbidden, action)
            }
            response = try await DashboardTests.post(
                client, "/dashboard/email-templates/courtesy/fr",
                "csrf=\(csrf)&combined=0&action=save&subject=Hi&body=" + swapped, cookie: staff)
            XCTAssertEqual(response.status, .forbidden)
            response = try await DashboardTests.post(
                client, "/dashboard/policy", "csrf=\(csrf)&offset_0=-20&enabled_0=on&sms_0=on", cookie: staff)
            XCTAssertEqual(response.status, .forbidden)
            // Previewing is still open to staff.
            response = try await DashboardTests.post(
                client, "/dashboard/templates/courtesy/fr", "csrf=\(csrf)&combined=0&action=preview&body=" + swapped,
                cookie: staff)
            XCTAssertEqual(response.status, .ok)

            // The owner changes the text, the billing system changes the email: both are listed.
            let (owner, ownerCSRF) = try await DashboardTests.signIn(client, harness)
            let wording = "{{business_name}}: facture {{invoice_number}} ({{amount}}) due le {{due_date}}. {{link}}"
            response = try await DashboardTests.post(
                client, "/dashboard/templates/courtesy/fr",
                "csrf=\(ownerCSRF)&combined=0&action=save&body=" + RequestTests.encode(wording), cookie: owner)
            XCTAssertEqual(response.status, .seeOther)
            harness.clock.now = harness.clock.now.addingTimeInterval(3600)
            response = try await client.api(
                key, .put, "/api/v1/templates/late/email/en",
                #"{"subject":"Invoice {{invoice_number}}","body":"Please pay: {{link}}"}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let list = try await client.execute(uri: "/dashboard/templates", method: .get, headers: [.cookie: owner])
            let rows = list.text.split(separator: "<tr>").filter { $0.contains("</td>") && $0.contains("2026-03-03") }
            XCTAssertEqual(rows.count, 2, list.text)
            // Newest first, in the business's time (Paris, an hour ahead of UTC in March).
            XCTAssertTrue(
                rows[0].contains("2026-03-03 10:59") && rows[0].contains("API key “billing”"), String(rows[0]))
            XCTAssertTrue(
                rows[0].contains("email wording: late en"), String(rows[0]))
            XCTAssertTrue(
                rows[1].contains("2026-03-03 09:59") && rows[1].contains("owner@example.com"), String(rows[1]))
            XCTAssertTrue(rows[1].contains("text wording: courtesy fr"), String(rows[1]))
        }
        let after = try await harness.store.messageTemplate(
            stage: "courtesy", channel: .sms, language: .fr, combined: false)
        XCTAssertNotEqual(after.source, before.source, "the owner's change went through")
        XCTAssertFalse(after.source.contains("FR76 9999"), "the staff's never did")
        let afterEmail = try await harness.store.emailTemplate(stage: "courtesy", language: .fr, combined: false)
        XCTAssertEqual(afterEmail, beforeEmail)
        let afterPolicy = try await harness.store.policy()
        XCTAssertEqual(afterPolicy, beforePolicy)
    }

    func testAnABTestSplitsCustomersStablyAndEachMessageSaysWhichItGot() async throws {
        let harness = self.harness!
        for index in 0..<40 {
            _ = try await harness.invoice(
                number: "F-\(index)", name: "Client \(index)", amount: 10_000, dueInDays: -8,
                phone: "+336\(String(format: "%08d", 10_000_000 + index))")
        }
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let b =
                "{{business_name}}: {{customer_name}}, un petit oubli ? Facture {{invoice_number}}, {{amount}}: {{link}}"
            let response = try await DashboardTests.post(
                client, "/dashboard/templates/late/fr",
                "csrf=\(csrf)&combined=0&action=save_variant&share=50&body=x&variant_body=" + RequestTests.encode(b),
                cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
        }
        // Tuesday 3 March 2026, 10:00 in Paris: inside the sending window.
        let links = LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring)
        let summary = try await ReminderScheduler(storage: harness.store, links: links).tick(
            now: Instant.parse("2026-03-03T09:00:00Z")!)
        XCTAssertEqual(summary.queued.count, 40)
        let rows = try await harness.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT customer_id, variant, body FROM message WHERE kind = 'reminder'")
        }
        let b = rows.filter { $0["variant"] as String? == "B" }
        let a = rows.filter { $0["variant"] as String? == "A" }
        XCTAssertEqual(a.count + b.count, 40)
        XCTAssertGreaterThan(a.count, 8)
        XCTAssertGreaterThan(b.count, 8)
        XCTAssertTrue(b.allSatisfy { ($0["body"] as String).contains("un petit oubli") })
        XCTAssertTrue(a.allSatisfy { ($0["body"] as String).contains("en retard") })
        // The draw is stable: the same customer and stage always land on the same side.
        for row in rows {
            let customer: Int64 = row["customer_id"]
            XCTAssertEqual(
                ReminderText.getsVariantB(customerID: customer, stage: "late", share: 50),
                row["variant"] as String? == "B")
        }
    }

    func testWhatWorksOnAKnownHistory() async throws {
        let harness = self.harness!
        let start = Instant.parse("2026-02-01T10:00:00Z")!
        // late/A: 40 sent, 30 delivered, 12 opened, 8 paid within 7 days (after 24 h), 2 paid after 10 days.
        // late/B: 40 sent, 40 delivered, 20 opened, 20 paid within 7 days (after 48 h).
        // final: 10 sent, none paid.
        try await seed(
            harness, variant: "A", count: 40, delivered: 30, opened: 12,
            paidHours: Array(repeating: 24.0, count: 8) + [240, 240], start: start)
        try await seed(
            harness, variant: "B", count: 40, delivered: 40, opened: 20, paidHours: Array(repeating: 48.0, count: 20),
            start: start, offset: 100)
        try await seed(
            harness, stage: "final", variant: nil, count: 10, delivered: 10, opened: 0, paidHours: [], start: start,
            offset: 200)
        let outcomes = try await harness.store.reminderOutcomes(since: start.addingTimeInterval(-86_400))
        XCTAssertEqual(outcomes.map { "\($0.stage)/\($0.variant)" }, ["late/A", "late/B", "final/"])
        let a = outcomes[0]
        XCTAssertEqual([a.sent, a.delivered, a.clicked, a.paidWithin7Days], [40, 30, 12, 8])
        XCTAssertEqual(a.medianHoursToPayment, 24)
        XCTAssertEqual(outcomes[1].paidWithin7Days, 20)
        XCTAssertEqual(outcomes[1].medianHoursToPayment, 48)
        XCTAssertNil(outcomes[2].medianHoursToPayment)

        // Wilson 95%, checked against an independent computation.
        let rateA = try XCTUnwrap(Rate(8, of: 40).interval)
        XCTAssertEqual(rateA.low, 0.104_999_897, accuracy: 1e-6)
        XCTAssertEqual(rateA.high, 0.347_573_063, accuracy: 1e-6)
        let rateB = try XCTUnwrap(Rate(20, of: 40).interval)
        XCTAssertEqual(rateB.low, 0.351_995_269, accuracy: 1e-6)
        XCTAssertEqual(rateB.high, 0.648_004_731, accuracy: 1e-6)
        let none = try XCTUnwrap(Rate(0, of: 10).interval)
        XCTAssertEqual(none.low, 0)
        XCTAssertEqual(none.high, 0.277_532_800, accuracy: 1e-6)

        XCTAssertEqual(
            Dashboard.verdicts(outcomes, try Words.english()),
            [
                "late: B gets paid within 7 days more often than A (50% against 20%), and the 95% intervals do not overlap."
            ])
        var small = outcomes
        small[1].sent = 12
        XCTAssertEqual(
            Dashboard.verdicts(small, try Words.english()),
            ["late: too few messages to compare A and B yet (40 and 12 sent; 30 of each are needed)."])

        try await harness.app.test(.router) { client in
            let (cookie, _) = try await DashboardTests.signIn(client, harness)
            let response = try await client.execute(
                uri: "/dashboard/results?days=90", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(response.status, .ok)
            let page = response.text
            XCTAssertTrue(page.contains("B gets paid within 7 days more often than A"), page)
            XCTAssertTrue(page.contains("<strong>20%</strong> <span class=\"muted\">[10%–35%] 8 of 40</span>"))
            XCTAssertTrue(page.contains("<td>24 h</td>"))
            XCTAssertTrue(page.contains("<td>2.0 days</td>"))
            XCTAssertTrue(page.contains("<span class=\"tag soon\">few</span>"), "final has 10 messages")
            XCTAssertTrue(page.contains("<svg class=\"funnel\""))
        }
    }

    /// Reminders as the scheduler would have left them, with their outcome written in.
    func seed(
        _ harness: Harness, stage: String = "late", variant: String?, count: Int, delivered: Int, opened: Int,
        paidHours: [Double], start: Date, offset: Int = 0
    ) async throws {
        for index in 0..<count {
            let (invoice, link) = try await harness.invoice(
                number: "S-\(offset + index)", name: "Client \(offset + index)", amount: 10_000, dueInDays: -8,
                phone: "+336\(String(format: "%08d", 20_000_000 + offset + index))")
            try await harness.store.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO message (customer_id, invoice_id, link_id, kind, channel, recipient, body, status, stage,
                            created_at, updated_at, variant)
                        VALUES (?, ?, ?, 'reminder', 'sms', '+33600000000', 'text', ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        invoice.customerID, invoice.id, link.linkID, index < delivered ? "delivered" : "sent", stage,
                        start,
                        start, variant,
                    ])
                let messageID = db.lastInsertedRowID
                try db.execute(
                    sql: """
                        INSERT INTO reminder (invoice_id, stage, occurrence, channel, message_id, created_at)
                        VALUES (?, ?, 1, 'sms', ?, ?)
                        """, arguments: [invoice.id, stage, messageID, start])
                try db.execute(sql: "UPDATE link SET message_id = ? WHERE id = ?", arguments: [messageID, link.linkID])
                if index < opened {
                    // A person (twice: still one message opened) and a link preview, which never counts.
                    for agent in ["person", "person", "preview"] {
                        try db.execute(
                            sql: "INSERT INTO click (link_id, at, agent) VALUES (?, ?, ?)",
                            arguments: [link.linkID, start.addingTimeInterval(600), agent])
                    }
                }
                if index < paidHours.count {
                    try db.execute(
                        sql: "UPDATE invoice SET paid_at = ? WHERE id = ?",
                        arguments: [start.addingTimeInterval(paidHours[index] * 3600), invoice.id])
                }
            }
        }
    }
}

extension DashboardTemplateTests {
    func testStagesAreEditedFromTheTemplatesPage() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let page = try await client.execute(uri: "/dashboard/templates", method: .get, headers: [.cookie: cookie])
                .text
            XCTAssertTrue(page.contains(#"name="offset_2" type="number" min="-365" max="365" value="7""#), page)
            let base =
                "csrf=\(csrf)&enabled_0=on&sms_0=on&enabled_1=on&sms_1=on&enabled_2=on&sms_2=on&enabled_3=on&sms_3=on"
            // Out of order (late before due) is refused with the policy's own words; nothing changes.
            var response = try await DashboardTests.post(
                client, "/dashboard/policy", base + "&offset_0=-7&offset_1=0&offset_2=-1&offset_3=30", cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("Not%20saved") ?? false, "\(response.headers)")
            let refusal = try await client.execute(
                uri: try XCTUnwrap(response.headers[.location]), method: .get, headers: [.cookie: cookie]
            ).text
            XCTAssertTrue(
                refusal.contains("the stage “late” must come after the one before it (days must increase)"), refusal)
            response = try await DashboardTests.post(
                client, "/dashboard/policy",
                base + "&offset_0=-5&repeat_0=2&offset_1=0&offset_2=10&offset_3=45&email_3=on",
                cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("Stages%20saved") ?? false, "\(response.headers)")
        }
        let policy = try await harness.store.policy()
        XCTAssertEqual(policy.stages.map(\.offsetDays), [-5, 0, 10, 45])
        XCTAssertEqual(policy.stages[0].repeatEveryDays, 2)
        XCTAssertEqual(policy.stages[3].channels, [.sms, .email])
    }
}
