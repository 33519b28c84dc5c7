import Foundation
import RelanceCore
import XCTest

@testable import RelanceServices

/// The tick's rule on values alone, as any store hands it a customer: no database, so what it decides is
/// what every store must write. (SchedulerTests and PlanSchedulerTests run it on a real file.)
final class TickRuleTests: XCTestCase {
    // Tuesday 24 March 2026, 10:00 in Paris: inside the standard sending window.
    let now = Instant.parse("2026-03-24T09:00:00Z")!
    let settings = TickSettings(
        policy: .standard, rules: .standard, business: Business(name: "Atelier Martin"), planSettings: PlanSettings())

    func row(
        _ id: Int64, dueOn: String = "2026-03-17", currency: String = "EUR", amount: Int64 = 12_000, paid: Int64 = 0,
        phone: String? = "+33612345678", email: String? = nil, planID: Int64? = nil
    ) -> InvoiceToRemind {
        InvoiceToRemind(
            id: id, number: "F-\(id)", currency: currency, amount: amount, dueOn: dueOn, paidAt: nil, voidedAt: nil,
            remindersPausedAt: nil, customerID: 7, name: "Ana", phone: phone, locale: "fr", timeZone: "Europe/Paris",
            smsOptedOutAt: nil, email: email, emailOptedOutAt: nil, paid: paid, remindersRebasedOn: nil,
            planID: planID)
    }

    func decide(
        _ rows: [InvoiceToRemind], lastSMS: Date? = nil, used: [Int64: Set<SlotKey>] = [:], at instant: Date? = nil,
        plans: [Int64: PlanView] = [:], emailEnabled: Bool = true
    ) -> [TickStep] {
        var rule = TickRule(settings: settings, now: instant ?? now, emailEnabled: emailEnabled)
        var used = used
        for row in rows where used[row.id] == nil { used[row.id] = [] }
        return rule.decide(CustomerDue(invoices: rows, lastReminderSMS: lastSMS, used: used, plans: plans))
    }

    func sends(_ steps: [TickStep]) -> [ReminderToSend] {
        steps.compactMap { if case .send(let message) = $0 { message } else { nil } }
    }

    func testTwoInvoicesInOneCurrencyBecomeOneTextAndTwoCurrenciesTwo() {
        // Both a week late: the late stage, in one message about both, sent to the customer's phone.
        let one = sends(decide([row(1), row(2, amount: 3_000, paid: 1_000)]))
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(one[0].items.map(\.id), [1, 2])
        XCTAssertEqual(one[0].items.map(\.balance.minorUnits), [12_000, 2_000])
        XCTAssertEqual(one[0].stage, "late")
        XCTAssertEqual(one[0].recipient, "+33612345678")
        XCTAssertTrue(one[0].combined)

        let two = sends(decide([row(1), row(2, currency: "CHF")]))
        XCTAssertEqual(two.map(\.items.count), [1, 1])
        XCTAssertEqual(Set(two.map { $0.items[0].balance.currency.code }), ["EUR", "CHF"])
    }

    func testACombinedMessageTakesTheMostAdvancedStage() {
        // One invoice due today, one a week late: the message is the late one.
        let message = sends(decide([row(1, dueOn: "2026-03-24"), row(2)]))
        XCTAssertEqual(message.map(\.stage), ["late"])
    }

    func testEachInvoiceIsLookedAtAgainAfterItsSlot() {
        let steps = decide([row(1)])
        guard case .setNextAction(1, let next?) = steps.last else { return XCTFail("\(steps)") }
        // The cap holds the next text at least three days, and the next stage (final) is later still.
        XCTAssertGreaterThanOrEqual(next, now.addingTimeInterval(3 * 86_400))
    }

    func testNoPhoneIsASkipWithItsReasonAndNoMessage() {
        let steps = decide([row(1, phone: nil)])
        XCTAssertTrue(sends(steps).isEmpty)
        XCTAssertTrue(
            steps.contains {
                if case .skip(1, _, .sms, "no phone number") = $0 { true } else { false }
            }, "\(steps)")
    }

    func testWithinTheFrequencyCapTheTextWaitsForTheCapToEnd() {
        let lastSMS = now.addingTimeInterval(-86_400)
        let steps = decide([row(1)], lastSMS: lastSMS)
        XCTAssertTrue(sends(steps).isEmpty)
        guard case .postpone(1, let until) = steps.first else { return XCTFail("\(steps)") }
        XCTAssertGreaterThanOrEqual(until, lastSMS.addingTimeInterval(3 * 86_400))
    }

    func testOutsideTheWindowNothingIsSentAndTheInvoiceWaitsForTheOpening() {
        // Sunday 22 March, noon in Paris: the window opens on Monday at 09:00.
        let sunday = Instant.parse("2026-03-22T11:00:00Z")!
        let steps = decide([row(1)], at: sunday)
        XCTAssertEqual(steps, [.postpone(invoiceID: 1, until: Instant.parse("2026-03-23T08:00:00Z")!)])
    }

    func testPaidVoidPausedOrUnreadableInvoicesAreSetAside() {
        var paid = row(1)
        paid.paidAt = now
        var paused = row(2)
        paused.remindersPausedAt = now
        let unreadable = row(3, currency: "XYZ")
        XCTAssertEqual(
            decide([paid, paused, unreadable]),
            [
                .setNextAction(invoiceID: 1, at: nil), .setNextAction(invoiceID: 2, at: nil),
                .setNextAction(invoiceID: 3, at: nil),
            ])
    }

    func testTheFinalStageGoesByEmailOnlyWhenItCan() {
        // A month late: the final stage, by text and by email.
        let withEmail = sends(decide([row(1, dueOn: "2026-02-20", email: "ana@example.fr")]))
        XCTAssertEqual(withEmail.map(\.channel), [.sms, .email])
        XCTAssertEqual(withEmail.last?.recipient, "ana@example.fr")

        let steps = decide([row(1, dueOn: "2026-02-20", email: "ana@example.fr")], emailEnabled: false)
        XCTAssertEqual(sends(steps).map(\.channel), [.sms])
        XCTAssertTrue(
            steps.contains {
                if case .skip(1, _, .email, "email is not set up (RELANCE_SMTP_URL)") = $0 { true } else { false }
            }, "\(steps)")
    }

    func testAnInstalmentTooLateBreaksThePlanAndSendsTheLateStageAtOnce() {
        let plan = PlanView(
            id: 5, invoiceID: 1, status: "active", createdAt: now, endedAt: nil, endReason: nil,
            instalments: [
                Instalment(dueOn: CalendarDate(iso: "2026-03-01")!, amount: 6_000),
                Instalment(dueOn: CalendarDate(iso: "2026-04-01")!, amount: 6_000),
            ], instalmentIDs: [11, 12], paid: [0, 0])
        let steps = decide([row(1, planID: 5)], plans: [1: plan])
        guard case .breakPlan(let broken) = steps.first else { return XCTFail("\(steps)") }
        XCTAssertEqual(broken.planID, 5)
        XCTAssertEqual(broken.instalment, 1)
        // The late stage is a week after the due date, so the stages now count from a week ago.
        XCTAssertEqual(broken.rebasedOn, CalendarDate(iso: "2026-03-17"))
        XCTAssertEqual(sends(steps).map(\.stage), ["late"])
        XCTAssertEqual(sends(steps).first?.items.first?.balance.minorUnits, 12_000)
    }

    func testSendNowRefusesWhatCannotBeSentAndOrdersTheEmailFirst() {
        var rule = TickRule(settings: settings, now: now, emailEnabled: true)
        let due = CalendarDate(iso: "2026-02-20")!
        let eur = Currency(code: "EUR")!
        var settled = row(1)
        settled.voidedAt = now
        XCTAssertThrowsError(try rule.sendNow(settled, dueOn: due, currency: eur, onPlan: false, used: [])) {
            XCTAssertEqual($0 as? RemindRefusal, .settled)
        }
        XCTAssertThrowsError(try rule.sendNow(row(1), dueOn: due, currency: eur, onPlan: true, used: [])) {
            XCTAssertEqual($0 as? RemindRefusal, .onPlan)
        }
        XCTAssertThrowsError(
            try rule.sendNow(
                row(1, phone: nil), dueOn: CalendarDate(iso: "2026-03-17")!, currency: eur, onPlan: false, used: [])
        ) { XCTAssertEqual($0 as? RemindRefusal, .noPhone) }
        let decision = try? rule.sendNow(
            row(1, dueOn: "2026-02-20", email: "ana@example.fr"), dueOn: due, currency: eur, onPlan: false, used: [])
        XCTAssertEqual(decision?.sends.map(\.channel), [.email, .sms])
        XCTAssertEqual(decision?.sends.first?.stage, "final")
    }
}
