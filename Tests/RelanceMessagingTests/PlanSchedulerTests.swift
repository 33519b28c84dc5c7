import Foundation
import GRDB
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore

/// Requests and plans through the store and the scheduler, with a pinned clock.
extension SchedulerTests {
    func day(_ iso: String) -> CalendarDate { CalendarDate(iso: iso)! }

    func proposal(_ invoiceID: Int64, count: Int = 3, first: String = "2026-03-20", balance: Int64 = 30_000)
        -> NewRequest
    {
        NewRequest(
            kind: .plan, invoiceID: invoiceID, linkID: nil,
            schedule: PaymentPlan.schedule(balance: balance, count: count, frequency: .monthly, firstDate: day(first)),
            message: "Salary comes on the 20th", contact: .sms)
    }

    func submit(_ new: NewRequest, at instant: String = "2026-03-03T09:00:00Z") async throws -> RequestOutcome {
        try await RequestService(storage: store, links: links, clock: .fixed(at(instant))).submit(
            new, today: CalendarDate(instant: at(instant), timeZone: paris)
        ) { notice in "confirm \(notice.kind.rawValue) \(notice.event) \(notice.invoiceNumber)" }
    }

    func answer(_ id: Int64, _ answer: RequestAnswer, message: String? = nil, at instant: String) async throws
        -> CustomerRequest
    {
        try await RequestService(storage: store, links: links, clock: .fixed(at(instant))).answer(
            id: id, answer, message: message, today: CalendarDate(instant: at(instant), timeZone: paris), audit: nil
        ) { notice in "answer \(notice.event) \(notice.answer ?? "") \(notice.link ?? "no link")" }
    }

    func pay(_ invoiceID: Int64, _ amount: Int64, at instant: String) async throws {
        _ = try await store.recordPayment(
            invoiceID: invoiceID,
            NewPayment(amount: amount, method: .transfer, reference: nil, receivedAt: at(instant)),
            now: at(instant))
    }

    func requestID(_ outcome: RequestOutcome) throws -> Int64 {
        guard case .created(let request) = outcome else {
            XCTFail("expected a new request, got \(outcome)")
            throw StoreError.notFound("request")
        }
        return request.id
    }

    func testAPlansWholeLifeFromProposalToBreakingAndTheLateStage() async throws {
        try await store.saveBusiness(Business(BusinessProfile(name: "Plomberie Martin", phone: "+33123456789")))
        let invoice = try await invoice("F-1", due: "2026-03-18", amount: 30_000)
        // A reminder is waiting to go out when the customer proposes a plan.
        let waiting = try await store.remindNow(invoiceID: invoice.id, now: at("2026-03-03T08:59:00Z"), links: links)

        let outcome = try await submit(proposal(invoice.id))
        let id = try requestID(outcome)
        // The same form sent twice is one request.
        let again = try await submit(proposal(invoice.id), at: "2026-03-03T09:00:05Z")
        guard case .duplicate(let duplicate) = again else { return XCTFail("\(again)") }
        XCTAssertEqual(duplicate.id, id)

        var summary = try await store.invoice(id: invoice.id)
        XCTAssertNotNil(summary.remindersPausedAt)
        XCTAssertEqual(summary.remindersPausedReason, "payment plan proposed")
        XCTAssertNil(summary.nextActionAt)
        var messages = try await store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.first { $0.id == waiting.messageID }?.status, .cancelled)
        XCTAssertEqual(
            messages.filter { $0.kind == .requestConfirmation }.map(\.body), ["confirm plan received F-1"])
        // Paused: the courtesy day passes without a reminder.
        let value1 = try await tick("2026-03-11T08:00:00Z").queued
        XCTAssertEqual(value1, [])

        let accepted = try await answer(id, .accept(nil), message: "Agreed", at: "2026-03-12T10:00:00Z")
        XCTAssertEqual(accepted.status, .accepted)
        XCTAssertEqual(accepted.answer, "Agreed")
        summary = try await store.invoice(id: invoice.id)
        XCTAssertNil(summary.remindersPausedAt)
        messages = try await store.messages(invoiceID: invoice.id)
        let told = try XCTUnwrap(messages.last { $0.kind == .requestAnswer })
        XCTAssertTrue(told.body.hasPrefix("answer accepted Agreed https://pay.example.com/p/"), told.body)
        var plan = try await store.plan(invoiceID: invoice.id)
        XCTAssertEqual(plan?.status, .active)
        XCTAssertEqual(plan?.instalments.map(\.dueOn.iso), ["2026-03-20", "2026-04-20", "2026-05-20"])

        // Instalment 1: three days before its date, with its own amount and date.
        var queued = try await tick("2026-03-17T08:00:00Z").queued
        XCTAssertEqual(queued.map(\.stage), ["plan-3"])
        XCTAssertTrue(queued[0].body.contains("100,00 €") && queued[0].body.contains("20/03"), queued[0].body)
        try await pay(invoice.id, 10_000, at: "2026-03-19T12:00:00Z")
        // Paid: nothing on its day or after; the next is instalment 2, three days before.
        let value2 = try await tick("2026-03-20T08:00:00Z").queued
        XCTAssertEqual(value2, [])
        let value3 = try await tick("2026-03-23T08:00:00Z").queued
        XCTAssertEqual(value3, [])
        let value4 = try await nextAction(invoice.id)
        XCTAssertEqual(value4, "2026-04-17T07:00:00Z")
        queued = try await tick("2026-04-17T07:00:00Z").queued
        XCTAssertEqual(queued.map(\.stage), ["plan-3"])
        XCTAssertTrue(queued[0].body.contains("20/04"), queued[0].body)
        try await pay(invoice.id, 10_000, at: "2026-04-18T12:00:00Z")
        plan = try await store.plan(invoiceID: invoice.id)
        XCTAssertEqual(plan?.paid, [10_000, 10_000, 0])
        XCTAssertEqual(plan?.nextIndex, 2)

        // Instalment 3 is missed: before, on the day, after — then broken ten days after its date. The
        // 17th is a Sunday, so "before" waits for Monday's window; the 72-hour cap then moves "on the day"
        // to the 21st and "after" (the 23rd, a Saturday) to Monday the 25th.
        let sunday = try await tick("2026-05-17T07:00:00Z")
        XCTAssertEqual(sunday.queued, [])
        XCTAssertEqual(sunday.deferred, 1)
        let before = try await tick("2026-05-18T07:00:00Z").queued.map(\.stage)
        XCTAssertEqual(before, ["plan-3"])
        let capped = try await tick("2026-05-20T07:00:00Z").queued
        XCTAssertEqual(capped, [])
        let onTheDay = try await tick("2026-05-21T07:00:00Z").queued.map(\.stage)
        XCTAssertEqual(onTheDay, ["plan+0"])
        let after = try await tick("2026-05-25T07:00:00Z").queued.map(\.stage)
        XCTAssertEqual(after, ["plan+3"])
        let value8 = try await tick("2026-05-29T07:00:00Z").brokenPlans
        XCTAssertEqual(value8, [])
        let broken = try await tick("2026-05-30T07:00:00Z")
        XCTAssertEqual(broken.brokenPlans, [invoice.id])
        XCTAssertEqual(broken.queued.map(\.stage), ["late"])
        XCTAssertTrue(broken.queued[0].body.contains("100,00 €"), broken.queued[0].body)
        plan = try await store.plan(invoiceID: invoice.id)
        XCTAssertEqual(plan?.status, .broken)
        XCTAssertEqual(
            plan?.endReason.flatMap(PlanEnd.init(text:)), .missed(instalment: 3, dueOn: day("2026-05-20"), days: 10))
        // The final notice comes as long after the late stage as the policy says (23 days).
        let value9 = try await nextAction(invoice.id)
        XCTAssertEqual(value9, "2026-06-22T07:00:00Z")

        let history = try await store.history(invoiceID: invoice.id).map(\.kind)
        for kind in [
            "request.created", "reminders.paused", "request.accepted", "plan.started", "reminders.resumed",
            "payment.received", "plan.broken", "message.cancelled",
        ] {
            XCTAssertTrue(history.contains(kind), "\(kind) missing from \(history)")
        }
        XCTAssertLessThan(
            try XCTUnwrap(history.firstIndex(of: "plan.started")), try XCTUnwrap(history.firstIndex(of: "plan.broken")))
    }

    func testAnInstalmentReminderWaitsForTheCapSetByAnotherInvoiceOfTheSameCustomer() async throws {
        try await store.saveBusiness(Business(BusinessProfile(name: "Plomberie Martin", phone: "+33123456789")))
        // One customer, two invoices: F-1 is reminded as usual, F-2 is paid by a plan.
        let reminded = try await invoice("F-1", due: "2026-03-18")
        let planned = try await invoice("F-2", due: "2026-04-30", amount: 30_000)
        let id = try requestID(try await submit(proposal(planned.id)))
        _ = try await answer(id, .accept(nil), at: "2026-03-12T10:00:00Z")
        // A text about F-1 goes out at 08:00 Paris on the 17th (sent by hand, before the window opens), the
        // day F-2's first instalment reminder is due.
        _ = try await store.remindNow(invoiceID: reminded.id, now: at("2026-03-17T07:00:00Z"), links: links)
        let summary = try await tick("2026-03-17T08:00:00Z")
        XCTAssertFalse(
            summary.queued.contains { $0.stage == "plan-3" },
            "a second text within 72 hours of the first: \(summary.queued.map(\.stage))")
        // The instalment is reminded once the 72 hours are over, when the window opens at 09:00 Paris (by
        // then its day has come, so with the wording for the day itself).
        let next = try await nextAction(planned.id)
        XCTAssertEqual(next, "2026-03-20T08:00:00Z")
        let later = try await tick("2026-03-20T08:00:00Z").queued.map(\.stage)
        XCTAssertEqual(later, ["plan+0"])
    }

    func testPayingEverythingEarlyEndsThePlan() async throws {
        let invoice = try await invoice("F-2", due: "2026-03-18", amount: 30_000)
        let id = try requestID(try await submit(proposal(invoice.id)))
        _ = try await answer(id, .accept(nil), at: "2026-03-04T10:00:00Z")
        try await pay(invoice.id, 30_000, at: "2026-03-05T10:00:00Z")
        let plan = try await store.plan(invoiceID: invoice.id)
        XCTAssertEqual(plan?.status, .completed)
        XCTAssertEqual(plan?.endReason, "invoice paid in full")
        let value10 = try await tick("2026-03-17T08:00:00Z").queued
        XCTAssertEqual(value10, [])
    }

    func testANewProposalReplacesThePendingOneAndAQuestionIsKeptApart() async throws {
        let invoice = try await invoice("F-3", due: "2026-03-18", amount: 30_000)
        let first = try requestID(try await submit(proposal(invoice.id)))
        let second = try requestID(try await submit(proposal(invoice.id, count: 2)))
        let question = try requestID(
            try await submit(NewRequest(kind: .question, invoiceID: invoice.id, linkID: nil, message: "Why 300 €?")))
        let pending = try await store.requests(status: .pending, beforeID: nil, limit: 10)
        XCTAssertEqual(Set(pending.map(\.id)), [second, question])
        let value11 = try await store.request(id: first).status
        XCTAssertEqual(value11, .replaced)

        // Answering the question leaves reminders paused while the proposal is open; declining resumes them.
        _ = try await answer(question, .reply, message: "Parts and labour", at: "2026-03-04T10:00:00Z")
        let value12 = try await store.invoice(id: invoice.id).remindersPausedAt
        XCTAssertNotNil(value12)
        let declined = try await answer(second, .decline, message: "Two months is too long", at: "2026-03-04T11:00:00Z")
        XCTAssertEqual(declined.status, .declined)
        let value13 = try await store.invoice(id: invoice.id).remindersPausedAt
        XCTAssertNil(value13)
        let value14 = try await tick("2026-03-11T08:00:00Z").queued.map(\.stage)
        XCTAssertEqual(value14, ["courtesy"])

        // A request answered once cannot be answered again, and a question cannot be accepted.
        do {
            _ = try await answer(second, .accept(nil), at: "2026-03-04T12:00:00Z")
            XCTFail("answered twice")
        } catch let error as RequestAnswerError {
            XCTAssertEqual(error, .notPending(.declined))
        }
        let another = try requestID(
            try await submit(NewRequest(kind: .question, invoiceID: invoice.id, linkID: nil, message: "And VAT?")))
        do {
            _ = try await answer(another, .accept(nil), at: "2026-03-04T12:00:00Z")
            XCTFail("accepted a question")
        } catch let error as RequestAnswerError {
            XCTAssertEqual(error, .wrongKind(.question))
        }
    }

    func testAPlanThatBreaksTheLimitsOrNoLongerAddsUpIsRefusedAndNothingIsWritten() async throws {
        let invoice = try await invoice("F-4", due: "2026-03-18", amount: 30_000)
        let tooMany = try await submit(proposal(invoice.id, count: 13))
        XCTAssertEqual(tooMany, .invalid([.tooManyInstalments(maximum: 12)]))
        try await pay(invoice.id, 5_000, at: "2026-03-02T10:00:00Z")
        let stale = try await submit(proposal(invoice.id))
        XCTAssertEqual(stale, .invalid([.amountsDoNotAddUp(total: 30_000, balance: 25_000)]))
        let count = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM request") }
        XCTAssertEqual(count, 0)
        let value15 = try await store.invoice(id: invoice.id).remindersPausedAt
        XCTAssertNil(value15)

        // The business may accept its own schedule, but it must add up to the balance.
        let id = try requestID(try await submit(proposal(invoice.id, balance: 25_000)))
        try await pay(invoice.id, 1_000, at: "2026-03-03T10:00:00Z")
        do {
            _ = try await answer(id, .accept(nil), at: "2026-03-04T10:00:00Z")
            XCTFail("accepted a plan that no longer adds up")
        } catch let error as RequestAnswerError {
            XCTAssertEqual(error, .invalidSchedule([.amountsDoNotAddUp(total: 25_000, balance: 24_000)]))
        }
        let modified = PaymentPlan.schedule(balance: 24_000, count: 4, frequency: .weekly, firstDate: day("2026-03-10"))
        let accepted = try await answer(id, .accept(modified), at: "2026-03-04T10:00:00Z")
        XCTAssertEqual(accepted.schedule, modified)
        let value16 = try await store.plan(invoiceID: invoice.id)?.instalments
        XCTAssertEqual(value16, modified)
    }

    func testAProposalWithinTheAutoAcceptRulesBecomesAPlanAtOnce() async throws {
        var settings = try await store.planSettings()
        XCTAssertFalse(settings.autoAccept)
        let invoice = try await invoice("F-5", due: "2026-03-18", amount: 30_000)
        let manual = try requestID(try await submit(proposal(invoice.id)))
        let value17 = try await store.request(id: manual).status
        XCTAssertEqual(value17, .pending)

        settings.autoAccept = true
        try await store.savePlanSettings(settings)
        let outcome = try await submit(proposal(invoice.id, count: 2))
        guard case .created(let request) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(request.status, .accepted)
        XCTAssertTrue(request.autoAccepted)
        let value18 = try await store.plan(invoiceID: invoice.id)?.instalments.count
        XCTAssertEqual(value18, 2)
        let confirmations = try await store.messages(invoiceID: invoice.id).filter { $0.kind == .requestConfirmation }
        XCTAssertEqual(confirmations.last?.body, "confirm plan acceptedAtOnce F-5")
        // Beyond the auto-accept rules (3 instalments, 90 days) the business decides.
        let long = try requestID(try await submit(proposal(invoice.id, count: 5)))
        let value19 = try await store.request(id: long).status
        XCTAssertEqual(value19, .pending)
    }

    func testPayingOrVoidingClosesOpenRequests() async throws {
        let paid = try await invoice("F-6", due: "2026-03-18", amount: 30_000)
        let id = try requestID(try await submit(proposal(paid.id)))
        try await pay(paid.id, 30_000, at: "2026-03-04T10:00:00Z")
        let value20 = try await store.request(id: id).status
        XCTAssertEqual(value20, .cancelled)
        let value21 = try await submit(proposal(paid.id))
        XCTAssertEqual(value21, .notOpen)

        let voided = try await invoice("F-7", due: "2026-03-18", amount: 30_000)
        let question = try requestID(
            try await submit(NewRequest(kind: .question, invoiceID: voided.id, linkID: nil, message: "?")))
        _ = try await store.voidInvoice(id: voided.id, now: at("2026-03-04T10:00:00Z"))
        let value22 = try await store.request(id: question).status
        XCTAssertEqual(value22, .cancelled)
    }

    func testRequestsPerInvoiceAreLimitedPerDay() async throws {
        let invoice = try await invoice("F-8", due: "2026-03-18", amount: 30_000)
        for index in 0..<RequestService.requestsPerDay {
            _ = try requestID(
                try await submit(
                    NewRequest(kind: .question, invoiceID: invoice.id, linkID: nil, message: "question \(index)")))
        }
        let refused = try await submit(
            NewRequest(kind: .question, invoiceID: invoice.id, linkID: nil, message: "one more"))
        XCTAssertEqual(refused, .rateLimited)
    }
}
