import Foundation
import GRDB
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// `serve --demo` seeds six months lived through the real scheduler: every dashboard page has something
/// to show, and the A/B test of the late reminder has a verdict.
final class DemoDataTests: XCTestCase {
    func testTheDemoHasSixMonthsOfHistoryAndAnABTestWithAVerdict() async throws {
        // A fixed day: the history depends on the calendar (invoices go out on working days).
        let now = try XCTUnwrap(Instant.parse("2026-12-02T09:00:00Z"))
        do {
            let harness = try Harness()
            defer { harness.cleanUp() }
            let seeded = try await DemoData.seed(store: harness.store, settings: harness.settings, now: now)
            XCTAssertEqual(seeded.links.count, 10, "the sample links are still printed")
            let counts = try await harness.store.pool.read { db in
                try [
                    "SELECT COUNT(*) FROM invoice", "SELECT COUNT(*) FROM invoice WHERE paid_at IS NOT NULL",
                    "SELECT COUNT(*) FROM message WHERE status = 'delivered'",
                    "SELECT COUNT(*) FROM message WHERE status = 'failed'",
                    "SELECT COUNT(*) FROM click WHERE agent = 'person'",
                    "SELECT COUNT(*) FROM click WHERE agent = 'preview'",
                    "SELECT COUNT(*) FROM payment", "SELECT COUNT(*) FROM request WHERE status = 'accepted'",
                    "SELECT COUNT(*) FROM inbound WHERE keyword = 'other'",
                    "SELECT COUNT(*) FROM inbound WHERE keyword = 'stop'",
                    "SELECT COUNT(DISTINCT variant) FROM message WHERE variant IS NOT NULL",
                    "SELECT CAST(julianday('2026-12-02') - julianday(MIN(created_at)) AS INTEGER) FROM invoice",
                ].map { try Int.fetchOne(db, sql: $0) ?? -1 }
            }
            let named = zip(
                [
                    "invoices", "paid", "delivered", "failed", "opened", "previewed", "payments", "plans", "replies",
                    "stops", "wordings", "days",
                ], counts
            ).map { "\($0) \($1)" }.joined(separator: ", ")
            XCTAssertGreaterThanOrEqual(counts[0], 400, named)
            XCTAssertGreaterThanOrEqual(counts[1], 200, named)
            XCTAssertGreaterThanOrEqual(counts[2], 600, named)
            XCTAssertGreaterThanOrEqual(counts[3], 1, named)
            XCTAssertGreaterThanOrEqual(counts[4], 300, named)
            XCTAssertGreaterThanOrEqual(counts[5], 100, named)
            XCTAssertGreaterThanOrEqual(counts[6], 250, named)
            XCTAssertGreaterThanOrEqual(counts[7], 10, named)
            XCTAssertGreaterThanOrEqual(counts[8], 10, named)
            XCTAssertGreaterThanOrEqual(counts[9], 1, named)
            XCTAssertEqual(counts[10], 2, "an A/B test ran")
            XCTAssertGreaterThanOrEqual(counts[11], 170, named)
            let outcomes = try await harness.store.reminderOutcomes(since: now.addingTimeInterval(-90 * 86_400))
            let verdicts = Dashboard.verdicts(outcomes, try Words.english())
            XCTAssertTrue(
                verdicts.contains { $0.hasPrefix("late: B gets paid within 7 days more often than A") }, "\(verdicts)")
        }
    }
}
