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
        policy: .standard, rules: .standard, business: Business(BusinessProfile(name: "Atelier Martin")),
        planSettings: PlanSettings())

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
        XCTAssertEqual(two.map { $0.items[0].balance.currency.code }, ["CHF", "EUR"])
    }

    func testACombinedMessageTakesTheMostAdvancedStage() {
        // One invoice due today, one a week late: the message is the late one.
        let message = sends(decide([row(1, dueOn: "2026-03-24"), row(2)]))
        XCTAssertEqual(message.map(\.stage), ["late"])
    }

    func testAfterATextTheNextLookWaitsForTheFrequencyCap() throws {
        // A stage repeated daily: without the cap the next look would be tomorrow morning.
        let daily = try ReminderPolicy(stages: [
            ReminderStage(key: "due", offsetDays: 0, repeatEveryDays: 1, channels: [.sms]),
            ReminderStage(key: "late", offsetDays: 7, channels: [.sms]),
        ])
        var rule = TickRule(
            settings: TickSettings(
                policy: daily, rules: .standard, business: settings.business, planSettings: PlanSettings()),
            now: now, emailEnabled: true)
        let steps = rule.decide(
            CustomerDue(invoices: [row(1, dueOn: "2026-03-24")], lastReminderSMS: nil, used: [1: []], plans: [:]))
        XCTAssertEqual(sends(steps).count, 1)
        guard case .setNextAction(1, let next?) = steps.last else { return XCTFail("\(steps)") }
        XCTAssertEqual(next, now.addingTimeInterval(3 * 86_400))
        // A void invoice is set aside like a paid one.
        var void = row(2, dueOn: "2026-03-24")
        void.voidedAt = now
        XCTAssertEqual(
            rule.decide(CustomerDue(invoices: [void], lastReminderSMS: nil, used: [:], plans: [:])),
            [.setNextAction(invoiceID: 2, at: nil)])
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

    func plan(paid: [Int64] = [0, 0]) -> PlanView {
        PlanView(
            id: 5, invoiceID: 1, status: .active, createdAt: now, endedAt: nil, endReason: nil,
            instalments: [
                Instalment(dueOn: CalendarDate(iso: "2026-03-01")!, amount: 6_000),
                Instalment(dueOn: CalendarDate(iso: "2026-03-27")!, amount: 6_000),
            ], instalmentIDs: [11, 12], paid: paid)
    }

    func testAnInstalmentTooLateBreaksThePlanAndSendsTheLateStageAtOnce() {
        // The late stage was sent once before the plan: this is its second occurrence.
        let steps = decide([row(1, planID: 5)], used: [1: [SlotKey(stage: "late", occurrence: 1)]], plans: [1: plan()])
        guard case .breakPlan(let broken) = steps.first else { return XCTFail("\(steps)") }
        XCTAssertEqual(broken.planID, 5)
        XCTAssertEqual(broken.instalment, 1)
        // The late stage is a week after the due date, so the stages now count from a week ago.
        XCTAssertEqual(broken.rebasedOn, CalendarDate(iso: "2026-03-17"))
        let late = sends(steps)
        XCTAssertEqual(late.map(\.stage), ["late"])
        XCTAssertEqual(late.first?.items.first?.planned.occurrence, 2)
        XCTAssertEqual(late.first?.items.first?.balance.minorUnits, 12_000)
        guard case .setNextAction(1, let next?) = steps.last else { return XCTFail("\(steps)") }
        XCTAssertGreaterThanOrEqual(next, now.addingTimeInterval(3 * 86_400))

        // Without a phone the plan still breaks, and the late slot is recorded as skipped.
        let unreachable = decide([row(1, phone: nil, planID: 5)], plans: [1: plan()])
        XCTAssertTrue(sends(unreachable).isEmpty)
        XCTAssertTrue(
            unreachable.contains {
                if case .skip(1, let planned, .sms, "no phone number") = $0 {
                    planned.stage.key == "late"
                } else {
                    false
                }
            }, "\(unreachable)")
    }

    func testAnInstalmentReminderUsesItsOwnWordingAndHoldsBackTheCustomersOtherTexts() {
        // The first instalment is paid; the second, due Friday the 27th, is reminded three days before.
        let steps = decide([row(1, planID: 5), row(2)], plans: [1: plan(paid: [6_000, 0])])
        let texts = sends(steps)
        XCTAssertEqual(texts.count, 1, "\(steps)")
        XCTAssertEqual(texts.first?.items.map(\.id), [1])
        XCTAssertEqual(texts.first?.items.first?.balance.minorUnits, 6_000)
        XCTAssertEqual(texts.first?.wording, "plan_before")
        XCTAssertNotEqual(texts.first?.stage, "plan_before")
        // The other invoice's late text waits for the frequency cap the instalment text just started.
        XCTAssertTrue(
            steps.contains {
                if case .postpone(2, let until) = $0 { until >= now.addingTimeInterval(3 * 86_400) } else { false }
            }, "\(steps)")
    }

    func testSendNowRefusesWhatCannotBeSentAndOrdersTheEmailFirst() {
        var rule = TickRule(settings: settings, now: now, emailEnabled: true)
        func refusal(_ row: InvoiceToRemind, onPlan: Bool = false, used: Set<SlotKey> = []) -> RemindRefusal? {
            do {
                _ = try rule.sendNow(row, onPlan: onPlan, used: used)
                return nil
            } catch {
                return error as? RemindRefusal
            }
        }
        var settled = row(1, currency: "XYZ")
        settled.voidedAt = now
        // Refused as settled before its unreadable currency is even read.
        XCTAssertEqual(refusal(settled), .settled)
        XCTAssertEqual(refusal(row(1), onPlan: true), .onPlan)
        XCTAssertEqual(refusal(row(1, phone: nil)), .noPhone)
        var optedOut = row(1)
        optedOut.smsOptedOutAt = now
        XCTAssertEqual(refusal(optedOut), .optedOut)
        let everySlot = Set(
            ReminderPlanner.slots(policy: .standard, dueOn: CalendarDate(iso: "2026-03-17")!).map(SlotKey.init))
        XCTAssertEqual(refusal(row(1), used: everySlot), .nothingLeft)
        XCTAssertThrowsError(try rule.sendNow(row(1, currency: "XYZ"), onPlan: false, used: [])) {
            XCTAssertEqual(
                $0 as? UnreadableInvoice, UnreadableInvoice(invoiceID: 1, dueOn: "2026-03-17", currency: "XYZ"))
        }
        let decision = try? rule.sendNow(row(1, dueOn: "2026-02-20", email: "ana@example.fr"), onPlan: false, used: [])
        XCTAssertEqual(decision?.sends.map(\.channel), [.email, .sms])
        XCTAssertEqual(decision?.sends.first?.stage, "final")
        // With email not set up, the final stage still goes by text.
        var noEmail = TickRule(settings: settings, now: now, emailEnabled: false)
        let text = try? noEmail.sendNow(row(1, dueOn: "2026-02-20", email: "ana@example.fr"), onPlan: false, used: [])
        XCTAssertEqual(text?.sends.map(\.channel), [.sms])
    }
}
