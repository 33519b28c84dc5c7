import Foundation
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceServices
import RelanceStore
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

/// An empty instance opens on a short checklist that says what is missing and where to do it, and the
/// checklist goes away once everything is done.
final class FirstRunTests: XCTestCase {
    func testAnEmptyInstanceShowsWhatIsMissingUntilItIsDone() async throws {
        let harness = try Harness(business: Business(BusinessProfile(name: "My business")))
        defer { harness.cleanUp() }
        try await harness.app.test(.router) { client in
            let (cookie, _) = try await DashboardTests.signIn(client, harness)
            func home() async throws -> String {
                try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]).text
            }
            var page = try await home()
            XCTAssertTrue(page.contains("Getting started"), page)
            XCTAssertTrue(page.contains("Give the business its name"))
            XCTAssertTrue(page.contains("Add your IBAN"))
            XCTAssertTrue(page.contains("Send a test text"))
            XCTAssertTrue(page.contains("href=\"/dashboard/invoices/new\">New invoice"))
            XCTAssertFalse(page.contains("tag good\">done"), "nothing is done yet")

            var business = try await harness.store.business()
            business.name = "Atelier Martin"
            business.phone = "+33123456789"
            business.bankIBAN = "FR7630006000011234567890189"
            try await harness.store.saveBusiness(business)
            _ = try await harness.invoice()
            page = try await home()
            XCTAssertEqual(page.components(separatedBy: "tag good\">done").count - 1, 3, page)
            XCTAssertTrue(page.contains("Send a test text"), "the test text is still to do")

            let id = try await harness.store.queueTestMessage(
                phone: try XCTUnwrap(PhoneNumber("+33612345678")), body: "test", now: harness.clock.now)
            _ = try await harness.store.claimNextMessage(now: harness.clock.now)
            try await harness.store.recordSendResult(
                messageID: id, .accepted(provider: "console", providerID: "c-1"), attempts: 1, now: harness.clock.now)
            page = try await home()
            XCTAssertFalse(page.contains("Getting started"), "everything is done: no checklist")
        }
    }
}
