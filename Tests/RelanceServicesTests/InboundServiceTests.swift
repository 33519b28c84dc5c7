import Foundation
import RelanceCore
import RelanceStore
import RelanceTestSupport
import XCTest

@testable import RelanceServices

/// Replies through the inbound service, on a real store: the rule decides, the store carries it out.
final class InboundServiceTests: XCTestCase {
    var temporary: TemporaryStore!
    let clock = TestClock(Instant.parse("2026-03-18T09:00:00Z")!)
    var service: InboundService {
        InboundService(storage: temporary.store, phrases: Repository.phrases, clock: clock.clock)
    }

    override func setUpWithError() throws { temporary = try TemporaryStore("inbound") }
    override func tearDownWithError() throws { temporary.cleanUp() }

    func invoice() async throws -> InvoiceSummary {
        try await temporary.store.saveBusiness(Business(BusinessProfile(name: "Atelier Martin")), audit: nil)
        return try await temporary.store.createInvoice(
            NewInvoice(
                number: "F-1", customer: CustomerInput(name: "Ana", phone: PhoneNumber("+33612345678"), locale: "fr"),
                amount: Money(minorUnits: 12_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-03-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: clock.now)
    }

    func reply(_ body: String, id: String? = nil) async throws -> InboundOutcome {
        try await service.receive(
            InboundText(from: "+33612345678", to: nil, body: body, provider: "test", providerMessageID: id))
    }

    func testStopIsConfirmedOnceInTheCustomersLanguageAndStartOnce() async throws {
        let invoice = try await invoice()
        let stop = try await reply("STOP")
        XCTAssertEqual(stop.confirmations, 1)
        let again = try await reply("stop")
        XCTAssertEqual(again.confirmations, 0)
        let start = try await reply("START")
        XCTAssertEqual(start.confirmations, 1)
        let texts = try await temporary.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(texts.count, 0, "confirmations belong to no invoice")
        let customer = try await temporary.store.customer(id: invoice.customerID)
        XCTAssertNil(customer.smsOptedOutAt)
        let sent = try await temporary.store.replies(customerID: invoice.customerID, limit: 10)
        XCTAssertEqual(sent.map(\.body), ["START", "stop", "STOP"])
    }

    func testAnyOtherReplyPausesRemindersAndARepeatedOneChangesNothing() async throws {
        let invoice = try await invoice()
        let first = try await reply("Je paie vendredi", id: "SM1")
        XCTAssertEqual(first.pausedInvoices, 1)
        let paused = try await temporary.store.invoice(id: invoice.id)
        XCTAssertEqual(paused.remindersPausedReason, "reply from customer")
        let repeated = try await reply("Je paie vendredi", id: "SM1")
        XCTAssertTrue(repeated.duplicate)
        XCTAssertEqual(repeated.inboundID, first.inboundID)
        let sent = try await temporary.store.replies(customerID: invoice.customerID, limit: 10)
        XCTAssertEqual(sent.count, 1)
    }

    func testTheRuleWordsConfirmationsFromTheCatalogue() throws {
        let french = ReplyingCustomer(id: 1, optedOut: false, language: .fr)
        func action(_ keyword: ReplyKeyword, business: String = "x", pauseOnReply: Bool = true) -> ReplyAction {
            InboundService.action(
                for: keyword, french, business: business, pauseOnReply: pauseOnReply, phrases: Repository.phrases)
        }
        let stop = action(.stop, business: "Atelier Martin")
        guard case .optOut(let text) = stop else { return XCTFail("\(stop)") }
        XCTAssertTrue(text.hasPrefix("Atelier Martin: vous ne recevrez plus nos SMS"), text)
        XCTAssertEqual(action(.other, pauseOnReply: false), .nothing)
        XCTAssertEqual(action(.other), .pauseReminders)
        XCTAssertEqual(action(.start), .nothing, "START when not stopped: silence")
    }
}
