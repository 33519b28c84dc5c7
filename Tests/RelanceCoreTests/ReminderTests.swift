import Foundation
import XCTest

@testable import RelanceCore

final class ReminderTests: XCTestCase {
    let due = CalendarDate(iso: "2026-03-18")!  // a Wednesday
    let paris = TimeZone(identifier: "Europe/Paris")!

    func key(_ stage: String, _ occurrence: Int = 1) -> SlotKey { SlotKey(stage: stage, occurrence: occurrence) }

    func testStandardPolicyIsValidAndHasTheGuidesFourStages() {
        XCTAssertEqual(ReminderPolicy.standard.stages.map(\.key), ["courtesy", "due", "late", "final"])
        XCTAssertEqual(ReminderPolicy.standard.stages.map(\.offsetDays), [-7, 0, 7, 30])
    }

    func testPoliciesThatMakeNoSenseAreRefused() {
        func stage(_ key: String, _ offset: Int, every: Int? = nil, channels: [Channel] = [.sms]) -> ReminderStage {
            ReminderStage(key: key, offsetDays: offset, repeatEveryDays: every, channels: channels)
        }
        let cases: [([ReminderStage], ReminderPolicy.Problem)] = [
            ([], .empty),
            ([stage("a", 0), stage("a", 5)], .duplicateKey("a")),
            ([stage("a", 5), stage("b", 0)], .notIncreasing("b")),
            ([stage("Late Stage", 0)], .badKey("Late Stage")),
            ([stage("a", 400)], .offsetOutOfRange("a")),
            ([stage("a", 0, every: 0)], .badRepeat("a")),
            ([stage("a", 0, channels: [])], .noChannel("a")),
        ]
        for (stages, problem) in cases {
            XCTAssertThrowsError(try ReminderPolicy(stages: stages)) {
                XCTAssertEqual($0 as? ReminderPolicy.Problem, problem)
            }
        }
    }

    func testEveryStageBoundary() {
        let policy = ReminderPolicy.standard
        func dueStage(_ offset: Int, sent: Set<SlotKey> = []) -> String? {
            ReminderPlanner.due(policy: policy, dueOn: due, today: due.adding(days: offset), sent: sent)?.stage.key
        }
        XCTAssertNil(dueStage(-8))
        XCTAssertEqual(dueStage(-7), "courtesy")
        XCTAssertEqual(dueStage(-1), "courtesy")
        XCTAssertNil(dueStage(-1, sent: [key("courtesy")]))
        XCTAssertEqual(dueStage(0, sent: [key("courtesy")]), "due")
        XCTAssertNil(dueStage(6, sent: [key("courtesy"), key("due")]))
        XCTAssertEqual(dueStage(7, sent: [key("courtesy"), key("due")]), "late")
        XCTAssertNil(dueStage(29, sent: [key("late")]))
        XCTAssertEqual(dueStage(30, sent: [key("late")]), "final")
        XCTAssertNil(dueStage(90, sent: [key("final")]))
    }

    func testAnInvoiceImportedLateGetsOnlyTheStageThatAppliesNow() {
        let policy = ReminderPolicy.standard
        XCTAssertEqual(
            ReminderPlanner.due(policy: policy, dueOn: due, today: due.adding(days: 10), sent: [])?.stage.key, "late")
        XCTAssertEqual(
            ReminderPlanner.due(policy: policy, dueOn: due, today: due.adding(days: 45), sent: [])?.stage.key, "final")
        // The clock jumping across several stages sends the latest once, never the ones in between.
        XCTAssertNil(ReminderPlanner.due(policy: policy, dueOn: due, today: due.adding(days: 45), sent: [key("final")]))
    }

    func testARepeatingStageRepeatsUntilTheNextStage() throws {
        let policy = try ReminderPolicy(stages: [
            ReminderStage(key: "courtesy", offsetDays: -7, repeatEveryDays: 3, channels: [.sms]),
            ReminderStage(key: "due", offsetDays: 0, channels: [.sms]),
        ])
        let slots = ReminderPlanner.slots(policy: policy, dueOn: due)
        XCTAssertEqual(
            slots.map { "\($0.stage.key)#\($0.occurrence)@\($0.day.iso)" },
            [
                "courtesy#1@2026-03-11", "courtesy#2@2026-03-14", "courtesy#3@2026-03-17", "due#1@2026-03-18",
            ])
        let planned = ReminderPlanner.due(
            policy: policy, dueOn: due, today: due.adding(days: -3), sent: [key("courtesy")])
        XCTAssertEqual(planned.map(SlotKey.init), key("courtesy", 2))
    }

    func testDisabledStagesAreSkipped() throws {
        var stages = ReminderPolicy.standard.stages
        stages[2].enabled = false
        let policy = try ReminderPolicy(stages: stages)
        XCTAssertEqual(
            ReminderPlanner.due(policy: policy, dueOn: due, today: due.adding(days: 10), sent: [key("due")]), nil)
    }

    func testQuietHoursWeekendsAndHolidays() throws {
        let rules = SendingRules(holidays: [CalendarDate(iso: "2026-04-06")!])  // Easter Monday
        func next(_ instant: String) -> String {
            Instant.format(rules.nextOpening(atOrAfter: Instant.parse(instant)!, in: paris))
        }
        XCTAssertEqual(next("2026-03-18T10:00:00Z"), "2026-03-18T10:00:00Z")  // 11:00 in Paris: open
        XCTAssertEqual(next("2026-03-18T05:00:00Z"), "2026-03-18T08:00:00Z")  // 06:00 → 09:00
        XCTAssertEqual(next("2026-03-18T18:30:00Z"), "2026-03-19T08:00:00Z")  // 19:30 → next morning
        XCTAssertEqual(next("2026-03-21T19:00:00Z"), "2026-03-23T08:00:00Z")  // Saturday night → Monday
        XCTAssertEqual(next("2026-04-04T18:00:00Z"), "2026-04-07T07:00:00Z")  // skips Sunday and Easter Monday
    }

    func testQuietHoursAcrossDaylightSavingChanges() {
        let rules = SendingRules.standard
        // Clocks go forward on Sunday 29 March 2026: Monday 09:00 is 07:00 UTC, not 08:00.
        XCTAssertEqual(
            Instant.format(rules.nextOpening(atOrAfter: Instant.parse("2026-03-28T19:00:00Z")!, in: paris)),
            "2026-03-30T07:00:00Z")
        // And back on Sunday 25 October: Monday 09:00 is 08:00 UTC.
        XCTAssertEqual(
            Instant.format(rules.nextOpening(atOrAfter: Instant.parse("2026-10-24T18:00:00Z")!, in: paris)),
            "2026-10-26T08:00:00Z")
        // The same rules in New York, whose change is on another date (8 March 2026).
        let newYork = TimeZone(identifier: "America/New_York")!
        XCTAssertEqual(
            Instant.format(rules.nextOpening(atOrAfter: Instant.parse("2026-03-08T03:00:00Z")!, in: newYork)),
            "2026-03-09T13:00:00Z")
    }

    func testNextActionWaitsForTheWindowTheNextSlotAndTheCap() {
        let policy = ReminderPolicy.standard
        let rules = SendingRules.standard
        // 20:00 in Paris on the due date, nothing sent: the due reminder waits for 09:00 next morning.
        let evening = Instant.parse("2026-03-18T19:00:00Z")!
        XCTAssertEqual(
            ReminderPlanner.nextAction(
                policy: policy, dueOn: due, sent: [key("courtesy")], now: evening, timeZone: paris, rules: rules
            )
            .map(Instant.format), "2026-03-19T08:00:00Z")
        // Once sent, the next look is the late stage's day (25 March) at 09:00.
        XCTAssertEqual(
            ReminderPlanner.nextAction(
                policy: policy, dueOn: due, sent: [key("courtesy"), key("due")], now: evening, timeZone: paris,
                rules: rules
            ).map(Instant.format), "2026-03-25T08:00:00Z")
        // The frequency cap pushes a due reminder to after the last SMS + 3 days.
        XCTAssertEqual(
            ReminderPlanner.nextAction(
                policy: policy, dueOn: due, sent: [key("courtesy")], now: Instant.parse("2026-03-18T10:00:00Z")!,
                timeZone: paris, rules: rules, notBefore: Instant.parse("2026-03-20T14:00:00Z")!
            ).map(Instant.format), "2026-03-20T14:00:00Z")
        // Everything sent: nothing left to do.
        XCTAssertNil(
            ReminderPlanner.nextAction(
                policy: policy, dueOn: due, sent: [key("final")], now: evening, timeZone: paris, rules: rules))
    }

    func testMessageTemplatesAreCheckedWithTheirPosition() {
        XCTAssertThrowsError(try MessageTemplate("Bonjour {{customer_nam}}, ...")) { error in
            let failure = error as? TemplateSyntax.Failure
            XCTAssertEqual(failure?.line, 1)
            XCTAssertEqual(failure?.column, 9)
            XCTAssertTrue(failure?.problem.hasPrefix("unknown variable 'customer_nam'") == true)
        }
        XCTAssertThrowsError(try MessageTemplate("Hello\n{{amount} due")) { error in
            XCTAssertEqual((error as? TemplateSyntax.Failure)?.line, 2)
            XCTAssertEqual((error as? TemplateSyntax.Failure)?.column, 1)
        }
        XCTAssertThrowsError(try MessageTemplate("{{#business_phone}}Call us")) { error in
            XCTAssertTrue((error as? TemplateSyntax.Failure)?.problem.contains("never closed") == true)
        }
        XCTAssertThrowsError(try MessageTemplate("{{> partial}}"))
        let template = try? MessageTemplate(
            "{{customer_name}}{{#business_phone}}, call {{business_phone}}{{/business_phone}}.")
        XCTAssertEqual(template?.render([.customer_name: "Ana", .business_phone: "+33 1"]), "Ana, call +33 1.")
        XCTAssertEqual(template?.render([.customer_name: "Ana"]), "Ana.")
        XCTAssertEqual(template?.variables, [.customer_name, .business_phone])
        // Sections nested thousands deep (a 64 KB form allows it) are refused before rendering recurses.
        let deep = String(repeating: "{{#link}}", count: 3_000) + "x" + String(repeating: "{{/link}}", count: 3_000)
        XCTAssertThrowsError(try MessageTemplate(deep)) { error in
            XCTAssertTrue((error as? TemplateSyntax.Failure)?.problem.contains("nest more than") == true)
        }
        let nested = String(repeating: "{{#link}}", count: 16) + "x" + String(repeating: "{{/link}}", count: 16)
        XCTAssertEqual(try? MessageTemplate(nested).render([.link: "y"]), "x")
    }

    func testDefaultTemplatesFitOneGSM7SegmentWithRealisticValues() throws {
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        let amount = Money(minorUnits: 1_234_567, currency: eur)
        let link = "https://pay.example.com/p/" + String(repeating: "A", count: SignedLink.tokenLength)
        XCTAssertEqual(DefaultTemplates.sms.count, 28)
        for (key, source) in DefaultTemplates.sms {
            let template = try MessageTemplate(source)
            let text = template.render([
                .customer_name: "Marie-Claude Dubois-",  // 20 characters
                .business_name: "Plomberie Martin",
                .amount: Format.amount(amount, key.language), .total: Format.amount(amount, key.language),
                .invoice_number: "F-2026-00042", .invoice_count: "12",
                .due_date: Format.shortDate(due, key.language), .link: link, .business_phone: "+33 1 23 45 67 89",
            ])
            let analysis = SMSText.analyze(text)
            XCTAssertEqual(analysis.encoding, .gsm7, "\(key): \(analysis.charactersForcingUCS2) in \(text)")
            XCTAssertEqual(analysis.segments, 1, "\(key) is \(analysis.units) septets: \(analysis.text)")
            XCTAssertTrue(text.contains(link) && text.contains("Plomberie Martin"), "\(key)")
            XCTAssertFalse(text.unicodeScalars.contains { $0.properties.isEmojiPresentation }, "\(key)")
            if !key.combined {
                XCTAssertTrue(
                    text.contains("F-2026-00042") && text.contains("Marie-Claude") || key.stage == "final", "\(key)")
            }
        }
    }
}
