import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// The dashboard's customers: search, a page each, corrections with their audit row, and consent that
/// only the customer's word brings back.
final class CustomerPagesTests: HarnessTestCase {
    func testCustomersAreFoundCorrectedAndOptedBackInOnlyOnTheirWord() async throws {
        let harness = self.harness!
        let (camille, _) = try await harness.invoice(name: "Camille Durand", phone: "+33612345678")
        _ = try await harness.invoice(number: "F-2", name: "Léa 100% Roux", phone: "+33698765432")
        let (oliver, _) = try await harness.invoice(
            number: "F-3", name: "Oliver_Smith", locale: "en-GB", phone: "+447700900123")
        _ = try await harness.inbound.receive(
            InboundText(from: "+33612345678", to: nil, body: "STOP", provider: "test"))
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            func get(_ path: String) async throws -> TestResponse {
                try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
            }
            var list = try await get("/dashboard/customers")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.text.contains("Camille Durand") && list.text.contains("Léa 100% Roux"))
            XCTAssertTrue(list.text.contains("texts stopped"), "STOP shows in the list")
            // % is a character like any other, not a wildcard.
            list = try await get("/dashboard/customers?q=%25")
            XCTAssertTrue(list.text.contains("Léa 100% Roux"))
            XCTAssertFalse(list.text.contains("Camille Durand"))
            list = try await get("/dashboard/customers?q=_")
            XCTAssertTrue(list.text.contains("Oliver_Smith") && !list.text.contains("Camille"), "_ is literal too")
            list = try await get("/dashboard/customers?q=98765")
            XCTAssertTrue(list.text.contains("Léa 100% Roux") && !list.text.contains("Camille"))
            let huge = try await get("/dashboard/customers/99999999999999999999")
            XCTAssertEqual(huge.status, .notFound)
            let missing = try await get("/dashboard/customers/424242")
            XCTAssertEqual(missing.status, .notFound)

            let path = "/dashboard/customers/\(camille.customerID)"
            var page = try await get(path)
            XCTAssertTrue(page.text.contains("<h1>Camille Durand</h1>"))
            XCTAssertTrue(page.text.contains("the customer asked for no more texts"))
            XCTAssertTrue(page.text.contains("<span class=\"detail\">STOP</span>"), "their reply is on their page")

            // Bad corrections: each problem beside its field, nothing saved.
            var response = try await DashboardTests.post(
                client, path, "csrf=\(csrf)&name=&phone=06+12&email=nope&locale=fr&time_zone=Mars%2FOlympus",
                cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            for (field, message) in [
                ("name", "must not be empty"), ("phone", "must be in E.164 form"), ("email", "is not an email address"),
                ("time_zone", "must be an IANA time zone"),
            ] {
                XCTAssertTrue(response.text.contains("id=\"\(field)-error\">\(message)"), field)
            }
            var stored = try await harness.store.customer(id: camille.customerID)
            XCTAssertEqual(stored.name, "Camille Durand")

            response = try await DashboardTests.post(
                client, path,
                "csrf=\(csrf)&name=Camille+Durand-Petit&phone=%2B33+6+11+22+33+44&email=camille%40example.com"
                    + "&locale=en&time_zone=Europe%2FLondon",
                cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            stored = try await harness.store.customer(id: camille.customerID)
            XCTAssertEqual(stored.name, "Camille Durand-Petit")
            XCTAssertEqual(stored.phone, "+33611223344")
            XCTAssertEqual(stored.locale, "en")
            XCTAssertEqual(stored.timeZone, "Europe/London")

            // Texts again only with the customer's word, which the audit keeps.
            response = try await DashboardTests.post(
                client, path + "/opt-in", "csrf=\(csrf)&channel=sms&source=", cookie: cookie)
            stored = try await harness.store.customer(id: camille.customerID)
            XCTAssertNotNil(stored.smsOptedOutAt, "no word, no change")
            response = try await DashboardTests.post(
                client, path + "/opt-in", "csrf=\(csrf)&channel=sms&source=Called+on+3+March%2C+wants+texts+again",
                cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            stored = try await harness.store.customer(id: camille.customerID)
            XCTAssertNil(stored.smsOptedOutAt)
            let trail = try await harness.store.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT action, detail FROM audit WHERE action LIKE 'customer.%' ORDER BY id")
                    .map { "\($0["action"] as String): \($0["detail"] as String? ?? "")" }
            }
            XCTAssertEqual(
                trail,
                [
                    "customer.updated: customer \(camille.customerID): name Camille Durand → Camille Durand-Petit, "
                        + "phone +33612345678 → +33611223344, email none → camille@example.com, language fr → en, "
                        + "time zone none → Europe/London",
                    "customer.opt_in: sms opt-in, customer's word: Called on 3 March, wants texts again",
                ])
            // A language the dashboard does not offer (the API's en-GB) is kept when the page is saved.
            response = try await DashboardTests.post(
                client, "/dashboard/customers/\(oliver.customerID)",
                "csrf=\(csrf)&name=Oliver+Smith&phone=%2B447700900123&email=&locale=en-GB&time_zone=", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            let oliverNow = try await harness.store.customer(id: oliver.customerID)
            XCTAssertEqual(oliverNow.locale, "en-GB")
            XCTAssertEqual(oliverNow.name, "Oliver Smith")
            page = try await get("/dashboard/customers/\(oliver.customerID)")
            XCTAssertTrue(page.text.contains("<option value=\"en-GB\" selected>en-GB</option>"), page.text)
            // Opting in someone who never opted out changes nothing.
            response = try await DashboardTests.post(
                client, path + "/opt-in", "csrf=\(csrf)&channel=sms&source=Called+again", cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("were%20not%20opted%20out") ?? false)
            page = try await get(path)
            XCTAssertFalse(page.text.contains("Allow texts again"))
        }
    }
}
