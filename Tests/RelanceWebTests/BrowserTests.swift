import Foundation
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceServices
import RelanceStore
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

/// Opens a real link in headless Chromium at 390×844 with JavaScript off (Tests/e2e/phone_page.py).
final class BrowserTests: HarnessTestCase {
    func testAPhoneShowsTheAmountAndNumberWithoutHorizontalScrolling() async throws {
        guard let python = try BrowserTests.browserTools() else { return }
        let harness = self.harness!
        let (_, link) = try await harness.invoice(name: "Marie-Amélie Fontaine-Delacroix", amount: 1_234_567)
        let script = Harness.repository.appendingPathComponent("Tests/e2e/phone_page.py").path
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("relance-phone.png").path
        try await Application(router: harness.router, logger: harness.logs.logger).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let url = "http://localhost:\(port)/p/\(link.token)"
            let status = await BrowserTests.runDetached(
                python, [script, url, "12 345,67 €", "F-2026-0042", screenshot])
            XCTAssertEqual(status, 0, "the phone page check failed (see its output above)")
            // The same check must fail on a wrong amount, or it proves nothing.
            let wrong = await BrowserTests.runDetached(python, [script, url, "12 345,68 €", "F-2026-0042"])
            XCTAssertNotEqual(wrong, 0)
        }
    }

    func testAPhoneProposesAPlanWithJavaScriptOffAndSeesTheConfirmation() async throws {
        guard let python = try BrowserTests.browserTools() else { return }
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice(amount: 90_000)
        let (_, other) = try await harness.invoice(number: "F-2026-0043", amount: 90_000)
        let script = Harness.repository.appendingPathComponent("Tests/e2e/phone_plan.py").path
        let directory = FileManager.default.temporaryDirectory.path
        try await Application(router: harness.router, logger: harness.logs.logger).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let status = await BrowserTests.runDetached(
                python, [script, "http://localhost:\(port)/p/\(link.token)", "Proposition envoyée", directory])
            XCTAssertEqual(status, 0, "the plan check failed (see its output above)")
            // The same walk must fail when the confirmation is not what the customer should see.
            let wrong = await BrowserTests.runDetached(
                python, [script, "http://localhost:\(port)/p/\(other.token)", "Proposition refusée"])
            XCTAssertNotEqual(wrong, 0)
        }
        let requests = try await harness.store.requests(status: .pending, beforeID: nil, limit: 10)
        let proposed = try XCTUnwrap(requests.first { $0.invoiceID == invoice.id })
        XCTAssertEqual(proposed.schedule.map(\.amount), [45_000, 45_000])
        let summary = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(summary.remindersPausedReason, "payment plan proposed")
    }

    func testTheDashboardPagesFitADesktopAndAPhoneWithLabelsAndNothingExternal() async throws {
        guard let python = try BrowserTests.browserTools() else { return }
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice(
            name: "Marie-Amélie Fontaine-Delacroix", amount: 1_234_567, dueInDays: -40)
        _ = try await harness.invoice(
            number: "F-2026-0043", name: "Léa Roux", amount: 9_900, dueInDays: 5, phone: "+33698765432")
        _ = try await harness.store.recordPayment(
            invoiceID: invoice.id,
            NewPayment(amount: 34_567, method: .transfer, reference: "VIR-1", receivedAt: harness.clock.now),
            now: harness.clock.now)
        let today = CalendarDate(instant: harness.clock.now, timeZone: TimeZone(identifier: "Europe/Paris")!)
        _ = try await RequestService(
            storage: harness.store,
            links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring),
            clock: .fixed(harness.clock.now)
        ).submit(
            NewRequest(
                kind: .plan, invoiceID: invoice.id, linkID: nil,
                schedule: PaymentPlan.schedule(
                    balance: 1_200_000, count: 4, frequency: .monthly, firstDate: today.adding(days: 7)),
                message: "Quatre fois, s'il vous plaît."), today: today
        ) { _ in "ok" }
        _ = try await harness.store.addUser(
            email: "owner@example.com", password: "correct horse battery", role: .owner, now: harness.clock.now,
            language: .en)
        let script = Harness.repository.appendingPathComponent("Tests/e2e/dashboard_pages.py").path
        let directory = FileManager.default.temporaryDirectory.path
        try await Application(router: harness.router, logger: harness.logs.logger).test(.live) { client in
            let base = "http://localhost:\(try XCTUnwrap(client.port))"
            let status = await BrowserTests.runDetached(
                python, [script, base, "owner@example.com", "correct horse battery", directory])
            XCTAssertEqual(status, 0, "the dashboard check failed (see its output above)")
            // With a wrong password the same walk must fail, or it proves nothing.
            let wrong = await BrowserTests.runDetached(python, [script, base, "owner@example.com", "wrong password"])
            XCTAssertNotEqual(wrong, 0)
        }
    }

    /// Python with Selenium beside Chromium and its driver, or a skip (a failure when CI requires them).
    static func browserTools() throws -> String? {
        let required = ProcessInfo.processInfo.environment["RELANCE_REQUIRE_TOOLS"] == "1"
        guard let python = executable("python3"), executable("chromium") != nil, executable("chromedriver") != nil,
            run(python, ["-c", "import selenium, axe_selenium_python"]) == 0
        else {
            if required {
                XCTFail("chromium, chromedriver, selenium or axe-selenium-python is missing")
                return nil
            }
            throw XCTSkip("chromium, chromedriver, Python selenium and axe-selenium-python are needed (see .ci/run)")
        }
        return python
    }

    static func executable(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs a process without blocking a cooperative thread while the live server answers it.
    static func runDetached(_ path: String, _ arguments: [String]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            if (try? process.run()) == nil { continuation.resume(returning: -1) }
        }
    }
}
