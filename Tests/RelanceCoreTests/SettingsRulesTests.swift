import Foundation
import XCTest

@testable import RelanceCore

/// The sending rules and plan settings drafts: one set of bounds for the API (partial) and the
/// dashboard's form (every field required).
final class SettingsRulesTests: XCTestCase {
    func testAPartialDraftKeepsWhatItLeavesOut() {
        let (rules, problems) = SendingRules.standard.applying(SendingRules.Draft(windowStartHour: 10))
        XCTAssertEqual(problems, [])
        XCTAssertEqual(rules.windowStartHour, 10)
        XCTAssertEqual(rules.windowEndHour, SendingRules.standard.windowEndHour)
        XCTAssertEqual(rules.weekdays, SendingRules.standard.weekdays)
        XCTAssertEqual(rules.smsMinimumInterval, SendingRules.standard.smsMinimumInterval)
    }

    func testAFormWithAFieldMissingIsWrongThere() {
        let (_, problems) = SendingRules.standard.applying(
            SendingRules.Draft(windowStartHour: 9, windowEndHour: 18, weekdays: [1], holidays: []),
            requireAll: true)
        XCTAssertEqual(problems, [.frequencyCap])
    }

    func testEachBoundIsItsOwnProblemAndAWrongFieldIsNotApplied() {
        let (rules, problems) = SendingRules.standard.applying(
            SendingRules.Draft(windowStartHour: 24, windowEndHour: 0, weekdays: [0, 1], smsIntervalHours: 2161))
        XCTAssertEqual(problems, [.windowStart, .windowEnd, .weekdays, .frequencyCap])
        XCTAssertEqual(rules, .standard)
        let (_, order) = SendingRules.standard.applying(SendingRules.Draft(windowStartHour: 19, windowEndHour: 9))
        XCTAssertEqual(order, [.windowOrder])
    }

    func testHolidaysAreDatesAndAtMostFourHundred() {
        let first = CalendarDate(iso: "2027-01-01")!
        let many = (0...400).map { first.adding(days: $0).iso }
        let (_, tooMany) = SendingRules.standard.applying(SendingRules.Draft(holidays: many))
        XCTAssertEqual(tooMany, [.holidayCount])
        let (rules, problems) = SendingRules.standard.applying(
            SendingRules.Draft(holidays: Array(many.prefix(399)) + ["Noël"]))
        XCTAssertEqual(problems, [.holiday("Noël")])
        XCTAssertEqual(rules.holidays.count, 399)
    }

    func testPlanSettingsStayWithinTheirBoundsAndRemindersBeforeTheBreak() {
        let standard = PlanSettings()
        let (plans, problems) = standard.applying(
            PlanSettings.Draft(maximumInstalments: 61, maximumSpanDays: 7, minimumInstalment: -1, breakAfterDays: 3))
        // The standard reminders come 3 days after an instalment: a plan broken after 3 days would skip them.
        XCTAssertEqual(problems, [.maximumInstalments, .minimumInstalment, .breakBeforeStoredReminders])
        XCTAssertEqual(plans.limits.maximumSpanDays, 7)
        XCTAssertEqual(plans.breakAfterDays, standard.breakAfterDays)
        let (_, none) = standard.applying(PlanSettings.Draft(breakAfterDays: 4))
        XCTAssertEqual(none, [])
        XCTAssertEqual(standard.applying(PlanSettings.Draft(breakAfterDays: 91)).1, [.breakAfterDays])
        // Sent together, new reminder days make room for an earlier break.
        let (moved, fine) = standard.applying(PlanSettings.Draft(breakAfterDays: 3, reminderOffsets: [2, -3, 0]))
        XCTAssertEqual(fine, [])
        XCTAssertEqual(moved.breakAfterDays, 3)
        XCTAssertEqual(moved.reminderOffsets, [-3, 0, 2])
    }

    func testReminderDaysAndReplyTimesAreCheckedOnce() {
        let standard = PlanSettings()
        XCTAssertEqual(standard.applying(PlanSettings.Draft(reminderOffsets: [1, 1])).1, [.reminderOffsets])
        XCTAssertEqual(standard.applying(PlanSettings.Draft(reminderOffsets: [-31])).1, [.reminderOffsets])
        XCTAssertEqual(
            standard.applying(PlanSettings.Draft(reminderOffsets: [1, 2, 3, 4, 5, 6, 7])).1, [.reminderOffsets])
        XCTAssertEqual(
            standard.applying(PlanSettings.Draft(reminderOffsets: [standard.breakAfterDays])).1, [.remindersAfterBreak])
        let (plans, problems) = standard.applying(
            PlanSettings.Draft(
                replyTime: [
                    "de": "bald", "en": String(repeating: "a", count: 201), "fr": " sous 24 h ",
                ]))
        XCTAssertEqual(problems, [.replyTimeLanguage("de"), .replyTimeTooLong(.en)])
        XCTAssertEqual(plans.replyTime, [.fr: "sous 24 h"])
        XCTAssertEqual(
            standard.applying(PlanSettings.Draft(replyTime: ["fr": "a\u{0}b"])).1, [.replyTimeControlCharacters(.fr)])
        XCTAssertEqual(
            standard.applying(PlanSettings.Draft(autoAcceptMaximumInstalments: 1, autoAcceptMaximumSpanDays: 2000)).1,
            [.autoAcceptMaximumInstalments, .autoAcceptMaximumSpanDays])
    }
}
