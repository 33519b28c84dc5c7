import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

final class ReminderAPITests: HarnessTestCase {
    func testReminderRoutesNeedAKey() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            for (method, path) in [
                (HTTPRequest.Method.get, "/api/v1/invoices/1/messages"), (.post, "/api/v1/invoices/1/remind"),
                (.get, "/api/v1/policy"), (.put, "/api/v1/policy"), (.get, "/api/v1/templates"),
                (.put, "/api/v1/templates/due/sms/fr"),
            ] {
                let response = try await client.execute(uri: path, method: method, headers: [:], body: nil)
                XCTAssertEqual(response.status, .unauthorized, "\(method) \(path)")
            }
        }
    }

    func testRemindNowQueuesTheCurrentStageAndTheLogShowsItsHistory() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice(dueInDays: 0)
        try await harness.app.test(.router) { client in
            let resource = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)")
            XCTAssertEqual(try resource.json()["reminders"] as? String, "active")
            XCTAssertNotNil(try resource.json()["next_reminder_at"] as? String)

            let queued = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/remind")
            XCTAssertEqual(queued.status, .accepted)
            let body = try queued.json()
            XCTAssertEqual(body["stage"] as? String, "due")
            XCTAssertEqual(body["encoding"] as? String, "gsm7")
            XCTAssertEqual(body["segments"] as? Int, 1)
            let dispatcher = Dispatcher(
                store: harness.store, provider: ConsoleSMSProvider(write: { _ in }), clock: harness.clock.clock,
                logger: harness.logs.logger)
            try await dispatcher.drain()

            let log = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)/messages")
            let messages = try XCTUnwrap(try log.json()["data"] as? [[String: Any]])
            XCTAssertEqual(messages.count, 1)
            let message = messages[0]
            XCTAssertEqual(message["status"] as? String, "sent")
            XCTAssertEqual(message["provider"] as? String, "console")
            XCTAssertEqual(message["recipient"] as? String, "+33612345678")
            XCTAssertTrue((message["body"] as? String ?? "").contains("F-2026-0042"))
            let events = (message["events"] as? [[String: Any]])?.compactMap { $0["status"] as? String }
            XCTAssertEqual(events, ["queued", "sending", "sent"])
            XCTAssertNotNil((message["events"] as? [[String: Any]])?.first?["at"] as? String)
        }
    }

    func testRemindNowRespectsOptOutsAndSettledInvoices() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await harness.store.pool.write { db in
            try db.execute(sql: "UPDATE customer SET sms_opted_out_at = '2026-03-01 00:00:00.000'")
        }
        let (noPhone, _) = try await harness.invoice(number: "F-2", name: "Zoé", phone: nil)
        try await harness.app.test(.router) { client in
            let optedOut = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/remind")
            XCTAssertEqual(optedOut.status, .conflict)
            XCTAssertEqual(try optedOut.json()["detail"] as? String, "the customer opted out of SMS")
            let missing = try await client.api(key, .post, "/api/v1/invoices/\(noPhone.id)/remind")
            XCTAssertEqual(missing.status, .conflict)
            _ = try await client.api(key, .post, "/api/v1/invoices/\(noPhone.id)/void")
            let void = try await client.api(key, .post, "/api/v1/invoices/\(noPhone.id)/remind")
            XCTAssertEqual(try void.json()["detail"] as? String, "the invoice is paid or void")
        }
        let messages = try await harness.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message")
        }
        XCTAssertEqual(messages, 0)
    }

    func testPolicyCanBeReadAndReplacedAndNonsenseIsRefused() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let policy = try await client.api(key, .get, "/api/v1/policy")
            let stages = try XCTUnwrap(try policy.json()["stages"] as? [[String: Any]])
            XCTAssertEqual(stages.compactMap { $0["key"] as? String }, ["courtesy", "due", "late", "final"])

            let replaced = try await client.api(
                key, .put, "/api/v1/policy",
                #"{"stages": [{"key": "courtesy", "offset_days": -5, "repeat_every_days": 2}, {"key": "late", "offset_days": 10}]}"#
            )
            XCTAssertEqual(replaced.status, .ok)
            let after = try XCTUnwrap(try replaced.json()["stages"] as? [[String: Any]])
            XCTAssertEqual(after.compactMap { $0["offset_days"] as? Int }, [-5, 10])
            XCTAssertEqual(after.first?["repeat_every_days"] as? Int, 2)

            for bad in [
                #"{"stages": []}"#, #"{"stages": [{"key": "a", "offset_days": 5}, {"key": "b", "offset_days": 1}]}"#,
                #"{"stages": [{"key": "a"}]}"#, #"{"stages": [{"key": "a", "offset_days": 1, "channels": ["fax"]}]}"#,
                #"{"stages": [{"key": "a", "offset_days": "soon"}]}"#, #"{}"#,
            ] {
                let response = try await client.api(key, .put, "/api/v1/policy", bad)
                XCTAssertEqual(response.status, .unprocessableContent, bad)
            }
            let unchanged = try await client.api(key, .get, "/api/v1/policy")
            XCTAssertEqual((try unchanged.json()["stages"] as? [[String: Any]])?.count, 2)
        }
    }

    func testTemplatesShowTheirSizeAndBrokenOnesAreRefusedWithTheirPosition() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let list = try await client.api(key, .get, "/api/v1/templates")
            let templates = try XCTUnwrap(try list.json()["data"] as? [[String: Any]])
            // 4 stages × 2 languages × single/combined, and 3 instalment wordings × 2 languages.
            XCTAssertEqual(templates.count, 22)
            XCTAssertEqual(
                Set(templates.compactMap { $0["stage"] as? String }.filter { $0.hasPrefix("plan_") }),
                ["plan_before", "plan_due", "plan_after"])
            XCTAssertTrue(templates.allSatisfy { $0["encoding"] as? String == "gsm7" && $0["segments"] as? Int == 1 })

            let broken = try await client.api(
                key, .put, "/api/v1/templates/due/sms/fr", #"{"body": "Bonjour {{customer_nme}}, {{link}}"}"#)
            XCTAssertEqual(broken.status, .unprocessableContent)
            XCTAssertTrue(
                (try broken.json()["detail"] as? String ?? "").hasPrefix(
                    "body: line 1, column 9: unknown variable 'customer_nme'"))
            let unclosed = try await client.api(key, .put, "/api/v1/templates/due/sms/fr", #"{"body": "Hi {{link}"}"#)
            XCTAssertEqual(unclosed.status, .unprocessableContent)
            let huge = try await client.api(
                key, .put, "/api/v1/templates/due/sms/fr",
                #"{"body": "\#(String(repeating: "ô", count: 300)) {{link}}"}"#)
            XCTAssertEqual(huge.status, .unprocessableContent)
            XCTAssertTrue((try huge.json()["detail"] as? String ?? "").contains("segments"))
            let unknownStage = try await client.api(key, .put, "/api/v1/templates/nope/sms/fr", #"{"body": "x"}"#)
            XCTAssertEqual(unknownStage.status, .notFound)
            let instalment = try await client.api(
                key, .put, "/api/v1/templates/plan_due/sms/en",
                #"{"body": "{{business_name}}: {{amount}} due today for {{invoice_number}}. {{link}}"}"#)
            XCTAssertEqual(instalment.status, .ok, instalment.text)

            let accented = try await client.api(
                key, .put, "/api/v1/templates/due/sms/fr",
                #"{"body": "{{business_name}}: {{customer_name}}, la facture {{invoice_number}} est à régler aujourd’hui. Merci {{link}}"}"#
            )
            XCTAssertEqual(accented.status, .ok)
            let saved = try accented.json()
            XCTAssertEqual(saved["encoding"] as? String, "gsm7", "the typographic apostrophe is replaced")
            XCTAssertEqual(saved["warnings"] as? [String], [])
            let circumflex = try await client.api(
                key, .put, "/api/v1/templates/late/sms/fr", #"{"body": "{{customer_name}}, rappel: fête {{link}}"}"#)
            XCTAssertEqual(circumflex.status, .ok)
            XCTAssertEqual(try circumflex.json()["characters_forcing_ucs2"] as? [String], ["ê"])
            // UCS-2 halves the room: the same short text now takes two segments, and both are said.
            let warnings = try XCTUnwrap(try circumflex.json()["warnings"] as? [String])
            XCTAssertEqual(warnings.count, 2)
            XCTAssertTrue(warnings[0].hasPrefix("UCS-2") && warnings[1].hasPrefix("2 segments"), "\(warnings)")
        }
        let template = try await harness.store.messageTemplate(
            stage: "due", channel: .sms, language: .fr, combined: false)
        XCTAssertTrue(template.source.contains("à régler aujourd’hui"))
    }

    func testEmailWordingCanBeListedAndReplacedAndBrokenOnesAreRefused() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let list = try await client.api(key, .get, "/api/v1/email-templates")
            let templates = try XCTUnwrap(try list.json()["data"] as? [[String: Any]])
            XCTAssertEqual(templates.count, 16, "4 stages × 2 languages × single/combined")
            let final = try XCTUnwrap(
                templates.first { $0["stage"] as? String == "final" && $0["locale"] as? String == "en" })
            XCTAssertEqual(final["preview_subject"] as? String, "Final notice: invoice F-2026-00042 is unpaid")
            XCTAssertTrue((final["preview_text"] as? String ?? "").contains("https://pay.example.com/p/xxxx"))

            for (body, field) in [
                (#"{"body": "{{link}}"}"#, "subject"),
                (#"{"subject": "Hi\nthere", "body": "{{link}}"}"#, "subject"),
                (#"{"subject": "Hi {{customer_nme}}", "body": "{{link}}"}"#, "body"),
                (#"{"subject": "Hi", "body": ""}"#, "body"),
            ] {
                let refused = try await client.api(key, .put, "/api/v1/templates/late/email/fr", body)
                XCTAssertEqual(refused.status, .unprocessableContent, body)
                XCTAssertTrue((try refused.json()["detail"] as? String ?? "").hasPrefix(field), refused.text)
            }
            let plan = try await client.api(
                key, .put, "/api/v1/templates/plan_due/email/fr", #"{"subject": "x", "body": "{{link}}"}"#)
            XCTAssertEqual(plan.status, .notFound, "instalment reminders are texts only")
            let saved = try await client.api(
                key, .put, "/api/v1/templates/late/email/fr",
                #"{"subject": "{{business_name}} : facture {{invoice_number}}", "body": "Bonjour {{customer_name}}, merci de régler {{amount}}."}"#
            )
            XCTAssertEqual(saved.status, .ok, saved.text)
            XCTAssertEqual(try saved.json()["preview_subject"] as? String, "Atelier Martin : facture F-2026-00042")
            XCTAssertEqual(
                try saved.json()["warnings"] as? [String], ["no {{link}}: the customer cannot pay from the email"])
        }
        let template = try await harness.store.emailTemplate(stage: "late", language: .fr, combined: false)
        XCTAssertEqual(template.subject.source, "{{business_name}} : facture {{invoice_number}}")
        let untouched = try await harness.store.emailTemplate(stage: "late", language: .en, combined: false)
        XCTAssertEqual(untouched.subject.source, "Invoice {{invoice_number}} is awaiting payment")
    }
}

final class SendingRulesAPITests: HarnessTestCase {
    func testSendingRulesCanBeChangedAndNonsenseIsRefused() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let defaults = try await client.api(key, .get, "/api/v1/sending-rules").json()
            XCTAssertEqual(defaults["window_start_hour"] as? Int, 9)
            XCTAssertEqual(defaults["window_end_hour"] as? Int, 19)
            XCTAssertEqual(defaults["weekdays"] as? [Int], [1, 2, 3, 4, 5, 6])
            XCTAssertEqual(defaults["sms_minimum_interval_hours"] as? Int, 72)
            XCTAssertEqual(defaults["pause_on_reply"] as? Bool, true)

            let changed = try await client.api(
                key, .put, "/api/v1/sending-rules",
                #"{"window_start_hour": 10, "weekdays": [1,2,3,4,5], "holidays": ["2026-12-25", "2027-01-01"], "pause_on_reply": false}"#
            )
            XCTAssertEqual(changed.status, .ok)
            let body = try changed.json()
            XCTAssertEqual(body["window_start_hour"] as? Int, 10)
            XCTAssertEqual(body["window_end_hour"] as? Int, 19, "fields left out keep their value")
            XCTAssertEqual(body["holidays"] as? [String], ["2026-12-25", "2027-01-01"])
            XCTAssertEqual(body["pause_on_reply"] as? Bool, false)

            // Well formed alone, but the window would end (19, stored) before it starts: a conflict.
            let clash = try await client.api(key, .put, "/api/v1/sending-rules", #"{"window_start_hour": 20}"#)
            XCTAssertEqual(clash.status, .conflict)
            XCTAssertTrue(clash.text.contains("send window_start_hour and window_end_hour together"), clash.text)
            for bad in [
                #"{"window_start_hour": 20, "window_end_hour": 19}"#, #"{"window_end_hour": 25}"#,
                #"{"weekdays": [0, 8]}"#,
                #"{"weekdays": []}"#,
                #"{"holidays": ["Christmas"]}"#, #"{"sms_minimum_interval_hours": -1}"#,
                #"{"window_start_hour": "nine"}"#,
            ] {
                let response = try await client.api(key, .put, "/api/v1/sending-rules", bad)
                XCTAssertEqual(response.status, .unprocessableContent, bad)
            }
        }
        let rules = try await harness.store.sendingRules()
        XCTAssertEqual(rules.windowStartHour, 10)
        XCTAssertEqual(rules.weekdays, [1, 2, 3, 4, 5])
        XCTAssertTrue(rules.holidays.contains(CalendarDate(iso: "2026-12-25")!))
    }
}
