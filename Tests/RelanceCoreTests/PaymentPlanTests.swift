import XCTest

@testable import RelanceCore

final class PaymentPlanTests: XCTestCase {
    let today = CalendarDate(iso: "2026-03-03")!

    func testEqualInstalmentsWithTheRoundingOnTheLast() {
        let plan = PaymentPlan.schedule(
            balance: 10_000, count: 3, frequency: .monthly, firstDate: CalendarDate(iso: "2026-03-10")!)
        XCTAssertEqual(plan.map(\.amount), [3_333, 3_333, 3_334])
        XCTAssertEqual(plan.map(\.dueOn.iso), ["2026-03-10", "2026-04-10", "2026-05-10"])
        XCTAssertEqual(plan.reduce(0) { $0 + $1.amount }, 10_000)
        let weekly = PaymentPlan.schedule(balance: 1_000, count: 4, frequency: .weekly, firstDate: today)
        XCTAssertEqual(weekly.map(\.dueOn.iso), ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24"])
        let biweekly = PaymentPlan.schedule(balance: 1_000, count: 2, frequency: .biweekly, firstDate: today)
        XCTAssertEqual(biweekly.map(\.dueOn.iso), ["2026-03-03", "2026-03-17"])
        XCTAssertEqual(PaymentPlan.schedule(balance: 1_000, count: 0, frequency: .weekly, firstDate: today), [])
    }

    func testMonthlyPlansKeepTheDayOrTheMonthsLastDay() {
        let plan = PaymentPlan.schedule(
            balance: 400, count: 4, frequency: .monthly, firstDate: CalendarDate(iso: "2026-01-31")!)
        XCTAssertEqual(plan.map(\.dueOn.iso), ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"])
        let leap = PaymentPlan.schedule(
            balance: 200, count: 2, frequency: .monthly, firstDate: CalendarDate(iso: "2028-01-30")!)
        XCTAssertEqual(leap.map(\.dueOn.iso), ["2028-01-30", "2028-02-29"])
        let acrossYear = PaymentPlan.schedule(
            balance: 300, count: 3, frequency: .monthly, firstDate: CalendarDate(iso: "2026-11-15")!)
        XCTAssertEqual(acrossYear.map(\.dueOn.iso), ["2026-11-15", "2026-12-15", "2027-01-15"])
    }

    func testAProposalWithinTheLimitsHasNoProblem() {
        let plan = PaymentPlan.schedule(
            balance: 12_345, count: 3, frequency: .monthly, firstDate: today.adding(days: 7))
        XCTAssertEqual(PaymentPlan.problems(plan, balance: 12_345, today: today, limits: PlanLimits()), [])
    }

    func testEveryWayAProposalCanBeWrong() {
        let limits = PlanLimits(maximumInstalments: 6, maximumSpanDays: 90, minimumInstalment: 1_000)
        func problems(_ plan: [(String, Int64)], balance: Int64 = 10_000) -> [PlanProblem] {
            PaymentPlan.problems(
                plan.map { Instalment(dueOn: CalendarDate(iso: $0.0)!, amount: $0.1) }, balance: balance, today: today,
                limits: limits)
        }
        XCTAssertEqual(problems([("2026-03-10", 10_000)]), [.tooFewInstalments])
        XCTAssertEqual(problems(Array(repeating: ("2026-03-10", 10), count: 1000)), [.tooManyInstalments(maximum: 6)])
        XCTAssertEqual(
            problems([("2026-03-10", 5_000), ("2026-04-10", 4_000)]),
            [.amountsDoNotAddUp(total: 9_000, balance: 10_000)])
        XCTAssertEqual(
            problems([("2026-03-10", 10_500), ("2026-04-10", -500)]),
            [.notPositive(index: 1), .amountsDoNotAddUp(total: 10_500, balance: 10_000)])
        XCTAssertEqual(
            problems([("2026-03-10", 9_500), ("2026-04-10", 500)]), [.belowMinimum(index: 1, minimum: 1_000)])
        XCTAssertEqual(problems([("2026-03-01", 5_000), ("2026-04-10", 5_000)]), [.firstDateInPast])
        XCTAssertEqual(problems([("2026-04-10", 5_000), ("2026-04-10", 5_000)]), [.datesNotIncreasing(index: 1)])
        XCTAssertEqual(
            problems([("2026-03-10", 5_000), ("2026-07-10", 5_000)]),
            [.beyondMaximumSpan(lastAllowed: CalendarDate(iso: "2026-06-01")!)])
        // A small balance may be split below the minimum only if the instalment is the whole balance.
        XCTAssertEqual(
            problems([("2026-03-10", 400), ("2026-04-10", 400)], balance: 800),
            [
                .belowMinimum(index: 0, minimum: 1_000), .belowMinimum(index: 1, minimum: 1_000),
            ])
        // Overflowing amounts are caught as not adding up, never as a crash.
        XCTAssertEqual(
            problems([("2026-03-10", Int64.max), ("2026-04-10", Int64.max)]).last,
            .amountsDoNotAddUp(total: Int64.max, balance: 10_000))
    }

    func testPaymentsGoToTheOldestUnpaidInstalmentFirst() {
        let plan = PaymentPlan.schedule(balance: 10_000, count: 3, frequency: .monthly, firstDate: today)
        XCTAssertEqual(PaymentPlan.allocate(plan, paid: 0), [0, 0, 0])
        XCTAssertEqual(PaymentPlan.allocate(plan, paid: 5_000), [3_333, 1_667, 0])
        XCTAssertEqual(PaymentPlan.allocate(plan, paid: 10_000), [3_333, 3_333, 3_334])
        XCTAssertEqual(PaymentPlan.allocate(plan, paid: 20_000), [3_333, 3_333, 3_334])
    }

    func testEachUnpaidInstalmentIsRemindedBeforeOnAndAfterItsDay() {
        let plan = PaymentPlan.schedule(
            balance: 9_000, count: 3, frequency: .monthly, firstDate: CalendarDate(iso: "2026-03-10")!)
        let ids: [Int64] = [11, 12, 13]
        let slots = PaymentPlan.reminderSlots(plan, ids: ids, paid: [3_000, 0, 0], offsets: [3, -3, 0])
        XCTAssertEqual(
            slots.map(\.day.iso), ["2026-04-07", "2026-04-10", "2026-04-13", "2026-05-07", "2026-05-10", "2026-05-13"])
        XCTAssertEqual(slots.first?.key, SlotKey(stage: "plan-3", occurrence: 12))
        XCTAssertEqual(slots.map(\.wording).prefix(3), ["plan_before", "plan_due", "plan_after"])

        let onTheDay = CalendarDate(iso: "2026-04-11")!
        XCTAssertEqual(
            PaymentPlan.dueSlot(slots, today: onTheDay, sent: [])?.key, SlotKey(stage: "plan+0", occurrence: 12))
        XCTAssertNil(PaymentPlan.dueSlot(slots, today: onTheDay, sent: [SlotKey(stage: "plan+0", occurrence: 12)]))
        XCTAssertEqual(
            PaymentPlan.nextSlotDay(slots, today: onTheDay, sent: [SlotKey(stage: "plan+0", occurrence: 12)])?.iso,
            "2026-04-13")
        XCTAssertNil(PaymentPlan.dueSlot(slots, today: CalendarDate(iso: "2026-04-06")!, sent: []))
    }

    func testAnInstalmentUnpaidTenDaysAfterItsDateBreaksThePlan() {
        let plan = PaymentPlan.schedule(
            balance: 9_000, count: 3, frequency: .monthly, firstDate: CalendarDate(iso: "2026-03-10")!)
        let paid = PaymentPlan.allocate(plan, paid: 4_000)
        XCTAssertNil(
            PaymentPlan.missedInstalment(plan, paid: paid, today: CalendarDate(iso: "2026-04-19")!, graceDays: 10))
        XCTAssertEqual(
            PaymentPlan.missedInstalment(plan, paid: paid, today: CalendarDate(iso: "2026-04-20")!, graceDays: 10), 1)
    }

    func testAmountsAsPeopleTypeThem() {
        let eur = Currency(code: "EUR")!
        let cases: [(String, Int64?)] = [
            ("33,33", 3_333), ("33.33", 3_333), ("33", 3_300), ("33,3", 3_330), ("1 234,56", 123_456),
            ("1\u{202F}234,56 €", 123_456), ("1,234.56", 123_456), ("1.234,56", 123_456), ("1,234", 123_400),
            ("€12.50", 1_250), ("12 EUR", 1_200), ("12,345", 1_234_500),
            ("", nil), ("abc", nil), ("12,3456", nil), ("12,", nil), ("1,2,3", nil), ("12.34.56", nil),
            ("-5", nil), ("1e3", nil), ("99999999999999999999", nil), ("<script>", nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(TypedAmount.parse(text, currency: eur), expected, text)
        }
        XCTAssertEqual(TypedAmount.parse("1,234", currency: Currency(code: "TND")!), 1_234)
        XCTAssertEqual(TypedAmount.parse("1.5", currency: Currency(code: "JPY")!), nil)
        XCTAssertEqual(TypedAmount.parse("1,500", currency: Currency(code: "JPY")!), 1_500)
    }

    func testAmountsAtInt64sEdgeAreRefusedNotATrap() {
        let eur = Currency(code: "EUR")!
        // Each of these once reached an unchecked `* 10 + digit` or a huge allocation.
        for text in [
            "9223372036854775807", "9223372036854775808", "92233720368547758,08", "92233720368547758.07",
            "9223372036854775807 JPY", String(repeating: "9", count: 100_000), String(repeating: "1,", count: 50_000),
        ] {
            XCTAssertNil(TypedAmount.parse(text, currency: eur), String(text.prefix(40)))
            XCTAssertNil(TypedAmount.parse(text, currency: Currency(code: "JPY")!), String(text.prefix(40)))
        }
        XCTAssertEqual(TypedAmount.parse("10 000 000 000 000,00", currency: eur), Money.maximumMinorUnits)
        XCTAssertNil(TypedAmount.parse("10 000 000 000 000,01", currency: eur))
    }

    func testTotalsOfManyAmountsHoldAtTheLimitInsteadOfTrapping() {
        XCTAssertEqual(Money.total([1, 2, 3]), 6)
        XCTAssertEqual(Money.total([]), 0)
        XCTAssertEqual(Money.total(Array(repeating: Money.maximumMinorUnits, count: 10_000)), .max)
        XCTAssertEqual(Money.total([.max, 1, -5]), .max)
        XCTAssertEqual(Money.total([.min, -1]), .min)
    }
}
