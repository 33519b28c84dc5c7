import Foundation
import GRDB
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore

/// The settings workflow through its service, on a real SQLite store: what it saves, what it refuses,
/// and the audit line it writes with the change.
final class SettingsServiceTests: XCTestCase {
    var temporary: TemporaryStore!
    var service: SettingsService!
    let clock = TestClock(Instant.parse("2026-03-03T08:59:00Z")!)
    let owner = AuditNote.Actor.operator

    override func setUpWithError() throws {
        temporary = try TemporaryStore("settings")
        service = SettingsService(storage: temporary.store, clock: clock.clock)
    }

    override func tearDownWithError() throws { temporary.cleanUp() }

    /// The audit trail's details, newest first: what the service wrote beside each change.
    func auditDetails() async throws -> [String?] {
        try await temporary.store.pool.read { db in
            try String?.fetchAll(db, sql: "SELECT detail FROM audit ORDER BY id DESC")
        }
    }

    func profile(iban: String? = "FR7630006000011234567890189", name: String = "Atelier Martin")
        -> BusinessProfile.Draft
    {
        var draft = BusinessProfile.Draft()
        draft.name = name
        draft.bankIBAN = iban
        draft.defaultLocale = "fr"
        draft.timeZone = "Europe/Paris"
        draft.linkLifetimeDays = 60
        return draft
    }

    func testAProfileChangeIsAuditedWithWhereTheMoneyGoesOldAndNew() async throws {
        let saved = try await service.updateProfile(profile(), audit: AuditNote(actor: owner, "profile", at: clock.now))
        XCTAssertEqual(saved.bankIBAN, "FR7630006000011234567890189")
        _ = try await service.updateProfile(
            profile(iban: "DE89370400440532013000", name: "Atelier Martin SARL"),
            audit: AuditNote(actor: owner, "profile", at: clock.now))
        _ = try await service.updateProfile(
            profile(iban: "DE89370400440532013000", name: "Atelier Martin SARL"),
            audit: AuditNote(actor: owner, "profile", at: clock.now))
        let details = try await auditDetails()
        XCTAssertEqual(
            details,
            [
                "no change", "bank_iban FR7630006000011234567890189 → DE89370400440532013000, name",
                "bank_iban none → FR7630006000011234567890189, name",
            ])
        let business = try await temporary.store.business()
        XCTAssertEqual(business.name, "Atelier Martin SARL")
    }

    func testAWrongProfileIsRefusedWithItsFieldAndNothingSaved() async throws {
        let before = try await temporary.store.business()
        do {
            _ = try await service.updateProfile(
                profile(iban: "FR7630006000011234567890188"), audit: AuditNote(actor: owner, "profile", at: clock.now))
            XCTFail("a wrong IBAN was saved")
        } catch let problems as BusinessProfile.Problems {
            XCTAssertEqual(problems.list.map(\.field), [.bank_iban])
        }
        let after = try await temporary.store.business()
        XCTAssertEqual(after, before)
        let audited = try await auditDetails()
        XCTAssertEqual(audited, [])
    }

    func testTheWholeFormIsSavedTogetherOrNotAtAll() async throws {
        let good = SendingRules.Draft(
            windowStartHour: 8, windowEndHour: 20, weekdays: [1, 2, 3], holidays: ["2026-05-01"], smsIntervalHours: 48)
        let plans = PlanSettings.Draft(
            maximumInstalments: 6, maximumSpanDays: 180, minimumInstalment: 2_500, autoAccept: true, breakAfterDays: 12)
        // One wrong field in the plan settings: the profile and the rules, right as they are, wait too.
        var wrong = plans
        wrong.breakAfterDays = 91
        do {
            _ = try await service.saveAll(
                profile: profile(), sending: good, pauseOnReply: false, plans: wrong,
                audit: AuditNote(actor: owner, "settings.saved", at: clock.now))
            XCTFail("saved with a wrong field")
        } catch let problems as SettingsService.Problems {
            XCTAssertEqual(problems.plans, [.breakAfterDays])
            XCTAssertEqual(problems.sending, [])
            XCTAssertTrue(problems.profile.isEmpty)
        }
        let untouched = try await temporary.store.sendingRules()
        XCTAssertEqual(untouched, .standard)
        let business = try await temporary.store.business()
        XCTAssertNil(business.bankIBAN)

        _ = try await service.saveAll(
            profile: profile(), sending: good, pauseOnReply: false, plans: plans,
            audit: AuditNote(actor: owner, "settings.saved", at: clock.now))
        let rules = try await temporary.store.sendingRules()
        XCTAssertEqual(rules.windowStartHour, 8)
        XCTAssertEqual(rules.weekdays, [1, 2, 3])
        XCTAssertEqual(rules.smsMinimumInterval, 48 * 3600)
        let saved = try await temporary.store.planSettings()
        XCTAssertEqual(saved.limits.minimumInstalment, 2_500)
        XCTAssertEqual(saved.breakAfterDays, 12)
        XCTAssertTrue(saved.autoAccept)
        let pauses = try await temporary.store.pausesOnReply()
        XCTAssertFalse(pauses)
        // Where customers' money goes is audited old and new, from the form as from the API.
        let details = try await auditDetails()
        XCTAssertEqual(details.count, 1)
        XCTAssertTrue(details[0]?.hasPrefix("bank_iban none → FR7630006000011234567890189") == true, "\(details)")
    }

    func testEveryRuleOfTheFormIsReportedAtOnce() async throws {
        let sending = SendingRules.Draft(
            windowStartHour: 20, windowEndHour: 8, weekdays: [], holidays: ["never", "2026-13-01"],
            smsIntervalHours: 3000)
        do {
            _ = try await service.saveAll(
                profile: profile(name: ""), sending: sending, pauseOnReply: true,
                plans: PlanSettings.Draft(maximumInstalments: 1, maximumSpanDays: 2000),
                audit: AuditNote(actor: owner, "settings.saved", at: clock.now))
            XCTFail("saved")
        } catch let problems as SettingsService.Problems {
            XCTAssertEqual(problems.profile.map(\.field), [.name])
            XCTAssertEqual(
                problems.sending, [.windowOrder, .weekdays, .holiday("never"), .holiday("2026-13-01"), .frequencyCap])
            // The form sends every field: one left out is a problem, not "keep the old value".
            XCTAssertEqual(
                problems.plans, [.maximumInstalments, .maximumSpanDays, .minimumInstalment, .breakAfterDays])
        }
    }
}
