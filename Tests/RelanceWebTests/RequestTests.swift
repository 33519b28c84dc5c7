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

/// Plan proposals and questions from the customer's page, and the business's answers through the API.
final class RequestTests: HarnessTestCase {
    static let formHeaders: HTTPFields = [
        .contentType: "application/x-www-form-urlencoded", .userAgent: Harness.iPhone, .secFetchSite: "same-origin",
    ]

    func testTheInvoicePageOffersAPlanAndAQuestionThatWorkWithoutJavaScript() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token).text
            XCTAssertTrue(page.contains(#"href="/p/\#(link.token)/plan""#), page)
            XCTAssertTrue(page.contains(#"href="/p/\#(link.token)/question""#))
            XCTAssertTrue(page.contains("Proposer un échéancier"))
            XCTAssertFalse(page.contains("<script"))

            let form = try await get(client, "/p/\(link.token)/plan")
            XCTAssertEqual(form.status, .ok)
            XCTAssertEqual(form.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src"), true)
            let html = form.text
            XCTAssertFalse(html.contains("<script"))
            // Three monthly payments a week from now, the rounding on the last: 411,52 × 3 = 1 234,56.
            XCTAssertTrue(html.contains(#"name="rows" value="3""#), html)
            XCTAssertTrue(html.contains(#"name="date_1" value="2026-03-10""#))
            XCTAssertTrue(html.contains(#"name="date_3" value="2026-05-10""#))
            XCTAssertEqual(
                html.matches(of: /name="amount_\d" inputmode="decimal" class="money" value="411,52"/).count, 3)
            XCTAssertTrue(html.plainSpaces.contains("1 234,56 €"))
            XCTAssertTrue(html.contains(#"<form method="post" action="/p/\#(link.token)/plan">"#))
        }
    }

    func testProposingAPlanPausesRemindersQueuesAConfirmationAndADoubleSubmitIsOneRequest() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        // A reminder is waiting; proposing a plan must cancel it.
        let waiting = try await harness.store.remindNow(
            invoiceID: invoice.id, now: harness.clock.now,
            links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring))
        try await harness.app.test(.router) { client in
            let form = try await get(client, "/p/\(link.token)/plan").text
            let body = try Self.fields(of: form, replacing: ["note": "Salary on the 10th <b>"]) + "&action=send"
            let sent = try await client.execute(
                uri: "/p/\(link.token)/plan", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: body))
            XCTAssertEqual(sent.status, .ok)
            XCTAssertTrue(sent.text.contains("Proposition envoyée"), sent.text)
            XCTAssertTrue(sent.text.plainSpaces.contains("10 mai 2026"))
            // The same form again (a double tap): the same page, nothing new.
            let again = try await client.execute(
                uri: "/p/\(link.token)/plan", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: body))
            XCTAssertEqual(again.status, .ok)

            let page = try await get(client, "/p/" + link.token).text
            XCTAssertTrue(page.contains("Votre proposition d’échéancier a bien été envoyée"))
        }
        let requests = try await harness.store.requests(status: nil, beforeID: nil, limit: 10)
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?.schedule.map(\.amount), [41_152, 41_152, 41_152])
        XCTAssertEqual(requests.first?.message, "Salary on the 10th <b>")
        let summary = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(summary.remindersPausedReason, "payment plan proposed")
        let messages = try await harness.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.first { $0.id == waiting.messageID }?.status, .cancelled)
        let confirmation = try XCTUnwrap(messages.first { $0.kind == .requestConfirmation })
        XCTAssertEqual(
            confirmation.body,
            "Atelier Martin: nous avons bien reçu votre proposition d'échéancier pour la facture F-2026-0042. Réponse par SMS."
        )
        // The API lists both with the texts the database stores, not Swift's names for them.
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let log = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)/messages")
            let listed = try XCTUnwrap(try log.json()["data"] as? [[String: Any]])
            XCTAssertEqual(
                listed.map { "\($0["kind"] ?? "") \($0["channel"] ?? "") \($0["status"] ?? "")" }.sorted(),
                ["reminder sms cancelled", "request_confirmation sms queued"])
        }
        XCTAssertTrue(harness.logs.all.contains("customer request received"))
    }

    func testChangedChoicesShowTheNewScheduleBeforeAnythingIsSent() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let form = try await get(client, "/p/\(link.token)/plan").text
            let body = try Self.fields(of: form, replacing: ["count": "4", "frequency": "weekly"]) + "&action=send"
            let response = try await client.execute(
                uri: "/p/\(link.token)/plan", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: body))
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(response.text.contains("L’échéancier a changé avec vos choix"))
            XCTAssertTrue(response.text.contains(#"name="date_4" value="2026-03-31""#), response.text)
            XCTAssertTrue(response.text.contains(#"value="308,64""#))
        }
        let count = try await harness.store.requests(status: nil, beforeID: nil, limit: 10).count
        XCTAssertEqual(count, 0)
    }

    func testEveryBadPlanGetsAPreciseMessageAndNothingIsStored() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        let cases: [(String, [String: String], String)] = [
            ("zero", ["count": "0"], "Choisissez entre 2 et 12 paiements."),
            ("a thousand", ["count": "1000"], "Choisissez entre 2 et 12 paiements."),
            ("not a number", ["count": "trois"], "Choisissez entre 2 et 12 paiements."),
            ("no date", ["first": "demain"], "Indiquez la date du premier paiement."),
            ("sum", ["amount_3": "100"], "Les paiements font 923,04 €, mais 1 234,56 € reste dû."),
            ("amount", ["amount_2": "beaucoup"], "Indiquez un montant valide pour le paiement 2."),
            // One past Int64's largest value: the last digit's addition used to stop the whole server.
            ("overflow", ["amount_2": "9223372036854775808"], "Indiquez un montant valide pour le paiement 2."),
            (
                "long", ["amount_2": String(repeating: "1", count: 5_000)],
                "Indiquez un montant valide pour le paiement 2."
            ),
            ("past", ["date_1": "2026-03-01"], "Le premier paiement ne peut pas être avant aujourd’hui."),
            ("order", ["date_2": "2026-03-09"], "Le paiement 2 doit venir après le précédent."),
            ("span", ["date_3": "2028-01-01"], "Le dernier paiement doit avoir lieu au plus tard le 3 mars 2027."),
            (
                "minimum", ["amount_1": "5", "amount_3": "818,04"],
                "Chaque paiement doit être d’au moins 10,00 € (paiement 1)."
            ),
            ("note", ["note": String(repeating: "x", count: 1001)], "Le mot est limité à 1000 caractères."),
        ]
        try await harness.app.test(.router) { client in
            let form = try await get(client, "/p/\(link.token)/plan").text
            for (name, changes, message) in cases {
                let body = try Self.fields(of: form, replacing: changes) + "&action=send"
                let response = try await client.execute(
                    uri: "/p/\(link.token)/plan", method: .post, headers: Self.formHeaders,
                    body: ByteBuffer(string: body))
                XCTAssertEqual(response.status, .unprocessableContent, name)
                XCTAssertTrue(response.text.plainSpaces.contains(message), "\(name): \(response.text)")
            }
            // What the customer typed comes back escaped.
            let hostile = try Self.fields(
                of: form, replacing: ["count": "<script>alert(1)</script>", "note": "<img src=x>"])
            let response = try await client.execute(
                uri: "/p/\(link.token)/plan", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(string: hostile + "&action=send"))
            XCTAssertFalse(response.text.contains("<script>alert"))
            XCTAssertFalse(response.text.contains("<img src=x>"))
            XCTAssertTrue(response.text.contains("&lt;img src=x&gt;"))
        }
        let count = try await harness.store.requests(status: nil, beforeID: nil, limit: 10).count
        XCTAssertEqual(count, 0)
        let summary = try await harness.store.invoice(id: invoice.id)
        XCTAssertNil(summary.remindersPausedAt)
    }

    func testFormsRefuseAMissingOrForeignTokenCrossSitePostsAndLinksThatNoLongerWork() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let form = try await get(client, "/p/\(link.token)/plan").text
            let valid = try Self.fields(of: form) + "&action=send"
            func post(_ path: String, _ body: String, _ headers: HTTPFields = RequestTests.formHeaders) async throws
                -> TestResponse
            {
                try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            let noToken = valid.replacingOccurrences(of: #"csrf=[^&]*"#, with: "", options: .regularExpression)
            var response = try await post("/p/\(link.token)/plan", noToken)
            XCTAssertEqual(response.status, .forbidden)
            // Hours at Int64's edges are refused like any forged token, on every customer form.
            for hour in ["-9223372036854775808", "9223372036854775807", "99999999999999999999"] {
                for form in ["plan", "question"] {
                    let edge = valid.replacingOccurrences(
                        of: #"csrf=[^&]*"#, with: "csrf=\(hour).AAAA", options: .regularExpression)
                    response = try await post("/p/\(link.token)/\(form)", edge)
                    XCTAssertEqual(response.status, .forbidden, "\(form) \(hour)")
                }
            }
            // A token issued for the plan form does not open the question form, nor another link's.
            let csrf = try XCTUnwrap(form.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            response = try await post("/p/\(link.token)/question", "csrf=\(csrf)&message=Hello")
            XCTAssertEqual(response.status, .forbidden)
            var crossSite = RequestTests.formHeaders
            crossSite[.secFetchSite] = "cross-site"
            response = try await post("/p/\(link.token)/plan", valid, crossSite)
            XCTAssertEqual(response.status, .forbidden)
            var forged = Array(link.token)
            forged[12] = forged[12] == "A" ? "B" : "A"
            response = try await post("/p/\(String(forged))/plan", valid)
            XCTAssertEqual(response.status, .notFound)

            // Expired: back to the page, which says so and offers a fresh link.
            harness.clock.now = link.expiresAt.addingTimeInterval(60)
            response = try await post("/p/\(link.token)/plan", valid)
            XCTAssertEqual(response.status, .seeOther)
            XCTAssertEqual(response.headers[.location], "/p/" + link.token)
            harness.clock.now = Harness.start
            _ = try await harness.store.revokeLinks(invoiceID: invoice.id, now: harness.clock.now)
            response = try await post("/p/\(link.token)/plan", valid)
            XCTAssertEqual(response.status, .seeOther)
            let body = String(repeating: "a", count: 20_000)
            response = try await post("/p/\(link.token)/question", body)
            XCTAssertEqual(response.status, .contentTooLarge)
        }
        let count = try await harness.store.requests(status: nil, beforeID: nil, limit: 10).count
        XCTAssertEqual(count, 0)
    }

    func testAFloodFromOneAddressIsSlowedDown() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<30 {
                let response = try await client.execute(
                    uri: "/p/\(link.token)/question", method: .post, headers: Self.formHeaders,
                    body: ByteBuffer(string: "csrf=bad&message=hi"))
                statuses.append(response.status)
            }
            XCTAssertEqual(statuses.prefix(20).filter { $0 == .forbidden }.count, 20)
            XCTAssertEqual(statuses.suffix(10).filter { $0 == .tooManyRequests }.count, 10)
        }
    }

    func testAskingAQuestion() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let form = try await get(client, "/p/\(link.token)/question").text
            XCTAssertTrue(form.contains("Nous répondons en général sous deux jours ouvrés."))
            let csrf = try XCTUnwrap(form.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            var response = try await client.execute(
                uri: "/p/\(link.token)/question", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(string: "csrf=\(csrf)&message=+++&callback=morning"))
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("Écrivez votre question."))
            response = try await client.execute(
                uri: "/p/\(link.token)/question", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(string: "csrf=\(csrf)&message=" + String(repeating: "x", count: 1001)))
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("Votre question est limitée à 1000 caractères."))
            response = try await client.execute(
                uri: "/p/\(link.token)/question", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(
                    string: "csrf=\(csrf)&message=" + Self.encode("Is VAT <included>?") + "&callback=morning"))
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(response.text.contains("Question envoyée"))
            XCTAssertTrue(response.text.contains("Nous répondons en général sous deux jours ouvrés."))
            let page = try await get(client, "/p/" + link.token).text
            XCTAssertTrue(page.contains("Votre question a bien été envoyée"))
        }
        let question = try await harness.store.requests(status: .pending, beforeID: nil, limit: 10).first
        XCTAssertEqual(question?.kind, .question)
        XCTAssertEqual(question?.message, "Is VAT <included>?")
        XCTAssertEqual(question?.callback, .morning)
        let summary = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(summary.remindersPausedReason, "question from customer")
    }

    func testTheBusinessAnswersThroughTheAPIAndTheCustomerSeesThePlan() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let form = try await get(client, "/p/\(link.token)/plan").text
            _ = try await client.execute(
                uri: "/p/\(link.token)/plan", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(string: try Self.fields(of: form) + "&action=send"))
            let list = try await client.api(key, .get, "/api/v1/requests?status=pending").json()
            let items = try XCTUnwrap(list["data"] as? [[String: Any]])
            XCTAssertEqual(items.count, 1)
            let id = try XCTUnwrap(items.first?["id"] as? Int)
            XCTAssertEqual(items.first?["kind"] as? String, "plan")
            XCTAssertEqual((items.first?["instalments"] as? [[String: Any]])?.count, 3)

            // Amounts that do not add up are refused with the field named.
            var response = try await client.api(
                key, .post, "/api/v1/requests/\(id)/accept",
                #"{"instalments": [{"due_on": "2026-03-20", "amount": 100}, {"due_on": "2026-04-20", "amount": 100}]}"#)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("amounts add up to 200 but the balance is 123456"), response.text)
            response = try await client.api(
                key, .post, "/api/v1/requests/\(id)/reply", #"{"message": "ok"}"#)
            XCTAssertEqual(response.status, .conflict)

            response = try await client.api(
                key, .post, "/api/v1/requests/\(id)/accept",
                #"{"instalments": [{"due_on": "2026-03-20", "amount": 60000}, {"due_on": "2026-04-20", "amount": 63456}], "message": "Deux fois, c'est d'accord."}"#
            )
            XCTAssertEqual(response.status, .ok, response.text)
            XCTAssertEqual(try response.json()["status"] as? String, "accepted")
            response = try await client.api(key, .post, "/api/v1/requests/\(id)/decline", "{}")
            XCTAssertEqual(response.status, .conflict)
            XCTAssertTrue(response.text.contains("already accepted"))

            let plan = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)/plan").json()
            XCTAssertEqual(plan["status"] as? String, "active")
            XCTAssertEqual(
                (plan["instalments"] as? [[String: Any]])?.map { $0["status"] as? String }, ["due", "upcoming"])

            let page = try await get(client, "/p/" + link.token).text.plainSpaces
            XCTAssertTrue(page.contains("Votre échéancier"), page)
            XCTAssertTrue(page.contains("Prochain paiement : 600,00 € avant le 20 mars 2026"))
            XCTAssertTrue(page.contains("634,56 €"))

            let history = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)/history").json()
            let kinds = (history["data"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            for kind in ["invoice.created", "request.created", "reminders.paused", "plan.started", "request.accepted"] {
                XCTAssertTrue(kinds.contains(kind), "\(kind) not in \(kinds)")
            }
        }
        let told = try await harness.store.messages(invoiceID: invoice.id).last { $0.kind == .requestAnswer }
        let body = try XCTUnwrap(told?.body)
        XCTAssertTrue(
            body.hasPrefix(
                "Atelier Martin: votre échéancier pour la facture F-2026-0042 est accepté. 1er paiement de 600,00 € le 20/03. Deux fois, c'est d'accord. Détails : https://pay.example.com/p/"
            ), body)
    }

    func testPlanSettingsAndPausingByHand() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            var response = try await client.api(key, .get, "/api/v1/plan-settings")
            XCTAssertEqual(try response.json()["auto_accept"] as? Bool, false)
            XCTAssertEqual(try response.json()["break_after_days"] as? Int, 10)
            response = try await client.api(
                key, .put, "/api/v1/plan-settings",
                #"{"maximum_instalments": 1000, "reminder_offsets": [-3, 0, 30], "reply_time": {"de": "x"}}"#)
            XCTAssertEqual(response.status, .unprocessableContent)
            for field in ["maximum_instalments", "reminder_offsets", "reply_time.de"] {
                XCTAssertTrue(response.text.contains(field), "\(field): \(response.text)")
            }
            response = try await client.api(
                key, .put, "/api/v1/plan-settings",
                #"{"maximum_instalments": 6, "auto_accept": true, "reply_time": {"fr": "Réponse sous 24 h."}}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            // The stored reminder days (-3, 0, 3) would come after a plan broken after 1 day: refused,
            // where before it was saved and left plans whose reminders came after they broke.
            response = try await client.api(key, .put, "/api/v1/plan-settings", #"{"break_after_days": 1}"#)
            XCTAssertEqual(response.status, .conflict, response.text)
            // The clash is said first, whatever else is wrong with the reply times.
            response = try await client.api(
                key, .put, "/api/v1/plan-settings", #"{"break_after_days": 1, "reply_time": {"de": "x"}}"#)
            XCTAssertEqual(response.status, .conflict, response.text)
            response = try await client.api(
                key, .put, "/api/v1/plan-settings", #"{"break_after_days": 2, "reminder_offsets": [-3, 0, 1]}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let saved = try await harness.store.planSettings()
            XCTAssertEqual(saved.breakAfterDays, 2)
            XCTAssertEqual(saved.limits.maximumInstalments, 6)
            XCTAssertTrue(saved.autoAccept)
            XCTAssertEqual(saved.replyTime[.fr], "Réponse sous 24 h.")

            response = try await client.api(
                key, .post, "/api/v1/invoices/\(invoice.id)/pause", #"{"reason": "dispute by phone"}"#)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(try response.json()["reminders"] as? String, "paused")
            XCTAssertEqual(try response.json()["reminders_paused_reason"] as? String, "dispute by phone")
            response = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/resume")
            XCTAssertEqual(try response.json()["reminders"] as? String, "active")
        }
        // Each change made through the API is in the audit, with its key, and in the invoice's history.
        let audit = try await harness.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT action, api_key_id, invoice_id FROM audit ORDER BY id")
        }
        XCTAssertEqual(
            audit.map { $0["action"] as String },
            [
                "api PUT /api/v1/plan-settings", "api PUT /api/v1/plan-settings",
                "api POST /api/v1/invoices/{id}/pause", "api POST /api/v1/invoices/{id}/resume",
            ])
        XCTAssertTrue(audit.allSatisfy { $0["api_key_id"] as Int64? != nil })
        XCTAssertEqual(audit.last?["invoice_id"] as Int64?, invoice.id)
        let history = try await harness.store.history(invoiceID: invoice.id)
        XCTAssertTrue(
            history.contains { $0.kind == "action.api POST /api/v1/invoices/{id}/pause" && $0.detail == "by the API" })
    }

    // MARK: - Helpers

    /// The form's fields as the browser would post them, with some values changed.
    static func fields(of html: String, replacing changes: [String: String] = [:]) throws -> String {
        var pairs: [(String, String)] = []
        for match in html.matches(of: /<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/) {
            let name = String(match.1)
            if name == "contact" { continue }
            pairs.append((name, String(match.2)))
        }
        if let selected = html.firstMatch(of: /<select id="frequency"[^>]*>.*?<option value="([a-z]+)" selected>/) {
            pairs.append(("frequency", String(selected.1)))
        }
        pairs.append(("contact", "sms"))
        pairs.append(("note", ""))
        var seen = Set<String>()
        var out: [String] = []
        for (name, value) in pairs where !seen.contains(name) {
            seen.insert(name)
            let raw =
                changes[name]
                ?? value.replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&#39;", with: "'")
            out.append(name + "=" + encode(raw))
        }
        for (name, value) in changes where !seen.contains(name) { out.append(name + "=" + encode(value)) }
        return out.joined(separator: "&")
    }

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

extension RequestTests {
    func testAStatementLinkLetsTheCustomerPickWhichInvoiceThePlanIsFor() async throws {
        let harness = self.harness!
        let (first, _) = try await harness.invoice(number: "F-1", amount: 50_000)
        let (second, _) = try await harness.invoice(number: "F-2", amount: 30_000)
        let store = harness.store
        let keyring = harness.settings.keyring
        let now = harness.clock.now
        let statement = try await store.pool.write { db in
            try Store.createStatementLink(
                db, customerID: first.customerID, business: try Store.business(db), keyring: keyring, now: now)
        }
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + statement.token).text
            XCTAssertTrue(page.contains(#"href="/p/\#(statement.token)/plan""#), page)
            let form = try await get(client, "/p/\(statement.token)/plan?invoice=F-2").text
            XCTAssertTrue(form.contains(#"<option value="F-2" selected>"#), form)
            XCTAssertTrue(form.plainSpaces.contains("300,00 €"))
            let body = try Self.fields(of: form, replacing: ["invoice": "F-2"]) + "&action=send"
            let response = try await client.execute(
                uri: "/p/\(statement.token)/plan", method: .post, headers: Self.formHeaders,
                body: ByteBuffer(string: body))
            XCTAssertEqual(response.status, .ok, response.text)
        }
        let requests = try await harness.store.requests(status: .pending, beforeID: nil, limit: 10)
        XCTAssertEqual(requests.map(\.invoiceID), [second.id])
        XCTAssertEqual(requests.first?.schedule.reduce(0) { $0 + $1.amount }, 30_000)
    }
}
