import Foundation
import Hummingbird
import HummingbirdTesting
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// `GET/PUT /api/v1/business`: the dashboard's rules, every problem named at once, nothing half saved.
final class BusinessAPITests: HarnessTestCase {
    func testTheProfileIsReadAndReplacedWholeWithTheDashboardsRules() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let read = try await client.api(key, .get, "/api/v1/business")
            XCTAssertEqual(read.status, .ok)
            let profile = try read.json()
            XCTAssertEqual(profile["name"] as? String, "Atelier Martin")
            XCTAssertEqual(profile["bank_iban"] as? String, "FR7630006000011234567890189")
            XCTAssertTrue(profile.keys.contains("legal"), "unset fields are present as null")
            XCTAssertTrue(profile["legal"] is NSNull)

            // Several problems: all named in one answer, and nothing saved.
            let bad = try await client.api(
                key, .put, "/api/v1/business",
                """
                {"name": "  ", "phone": "06 12", "email": "compta@", "bank_iban": "FR76 3000 6000 0112 3456 7890 188",
                 "bank_bic": "AGRI", "default_locale": "de", "time_zone": "Mars/Olympus", "link_lifetime_days": 0,
                 "payment_url": "javascript:alert(1)", "legal": "SIRET\\u0000"}
                """)
            XCTAssertEqual(bad.status, .unprocessableContent)
            let fields = (try bad.json()["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            XCTAssertEqual(
                fields,
                [
                    "name", "phone", "email", "legal", "payment_url", "bank_iban", "bank_bic", "default_locale",
                    "time_zone", "link_lifetime_days",
                ])
            let unchanged = try await harness.store.business()
            XCTAssertEqual(unchanged.name, "Atelier Martin")
            XCTAssertEqual(unchanged.bankBIC, "AGRIFRPP")

            let good = try await client.api(
                key, .put, "/api/v1/business",
                """
                {"name": " Atelier Martin & Fils ", "phone": "+33 4 78 12 34 56", "email": "compta@martin.fr",
                 "address": "3 quai Rambaud\\n69002 Lyon", "bank_iban": "fr76 3000 6000 0112 3456 7890 189",
                 "bank_bic": "agrifrpp", "default_locale": "en", "time_zone": "Europe/London",
                 "link_lifetime_days": 30}
                """)
            XCTAssertEqual(good.status, .ok, String(buffer: good.body))
            let saved = try await harness.store.business()
            XCTAssertEqual(saved.name, "Atelier Martin & Fils")
            XCTAssertEqual(saved.phone, "+33478123456")
            XCTAssertEqual(saved.bankIBAN, "FR7630006000011234567890189")
            XCTAssertEqual(saved.bankBIC, "AGRIFRPP")
            XCTAssertEqual(saved.address, "3 quai Rambaud\n69002 Lyon")
            XCTAssertNil(saved.paymentURL, "a field left out is cleared: the profile is replaced whole")
            XCTAssertEqual(saved.defaultLocale, "en")
            XCTAssertEqual(saved.timeZone, "Europe/London")
            XCTAssertEqual(saved.linkLifetimeDays, 30)
            XCTAssertEqual(try good.json()["phone"] as? String, "+33478123456")

            let trail = try await harness.store.pool.read { db in
                try String.fetchAll(
                    db, sql: "SELECT action || ': ' || detail FROM audit WHERE action LIKE '%business%'")
            }
            // One row, for the save only; where the money goes is kept old and new.
            XCTAssertEqual(
                trail,
                [
                    "api PUT /api/v1/business: payment_url https://pay.example.com/checkout → none, address, "
                        + "bank_beneficiary, default_locale, email, link_lifetime_days, name, phone, time_zone"
                ])
        }
    }
}
