import RelanceCore
import XCTest

final class PlanEndTests: XCTestCase {
    func testEveryEndReadsBackFromTheTextItIsStoredAs() {
        let ends: [PlanEnd] = [
            .replaced, .paidInFull, .invoiceCancelled,
            .missed(instalment: 3, dueOn: CalendarDate(iso: "2026-10-30")!, days: 10),
        ]
        for end in ends { XCTAssertEqual(PlanEnd(text: end.text), end, end.text) }
        // The texts stored since plans began: a change here leaves older rows unread.
        XCTAssertEqual(
            ends.map(\.text),
            [
                "replaced by a new plan", "invoice paid in full", "invoice cancelled",
                "instalment 3 of 2026-10-30 unpaid 10 days after its date",
            ])
    }

    func testOtherTextsAreNoEndRelanceWrote() {
        for text in [
            "", "instalment 1 late", "replaced by a new plan ", "Invoice paid in full",
            "instalment 3 of 2026-10-30 unpaid 10 days after its date.",
            "instalment 3 of 2026-10-30  unpaid 10 days after its date",
            "instalment x of 2026-10-30 unpaid 10 days after its date",
            "instalment +3 of 2026-10-30 unpaid 10 days after its date",
            "instalment 03 of 2026-10-30 unpaid 10 days after its date",
            "instalment 3 of 2026-02-30 unpaid 10 days after its date",
            "instalment 99999999999999999999999 of 2026-10-30 unpaid 10 days after its date",
            "instalment 3 of 2026-10-30 unpaid 99999999999999999999999 days after its date",
        ] {
            XCTAssertNil(PlanEnd(text: text), text)
        }
    }
}
