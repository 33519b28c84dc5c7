import Foundation
import RelanceCore
import RelanceServices
import RelanceStore
import RelanceTestSupport
import XCTest

/// "Send a reminder now" through its service, on a real store.
final class SendNowServiceTests: XCTestCase {
    var temporary: TemporaryStore!
    let clock = TestClock(Instant.parse("2026-03-18T09:00:00Z")!)
    let keyring = try! LinkKeyring(parsing: LinkKeyring.generate())
    var service: SendNowService {
        SendNowService(
            storage: temporary.store, links: LinkSettings(baseURL: "https://pay.example.com", keyring: keyring),
            emailEnabled: false, clock: clock.clock)
    }

    override func setUpWithError() throws { temporary = try TemporaryStore("send-now") }
    override func tearDownWithError() throws { temporary.cleanUp() }

    func invoice(phone: String? = "+33612345678") async throws -> InvoiceSummary {
        try await temporary.store.createInvoice(
            NewInvoice(
                number: "F-1", customer: CustomerInput(name: "Ana", phone: phone.flatMap(PhoneNumber.init(_:))),
                amount: Money(minorUnits: 12_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-03-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: clock.now)
    }

    func testThePreviewIsWhatIsQueuedAndOnlyTheSendWritesAMessage() async throws {
        let invoice = try await invoice()
        let preview = try await service.preview(invoiceID: invoice.id)
        let none = try await temporary.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(none.count, 0)
        let queued = try await service.send(
            invoiceID: invoice.id, audit: AuditNote(actor: .operator, "reminder.sent_now", at: clock.now))
        XCTAssertEqual(queued.stage, preview.stage)
        XCTAssertEqual(queued.recipient, "+33612345678")
        XCTAssertTrue(queued.body.contains("https://pay.example.com/p/"), queued.body)
        let messages = try await temporary.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.map(\.status), [.queued])
    }

    func testACustomerWithoutAPhoneOrAPaidInvoiceIsRefusedWithWhy() async throws {
        let unreachable = try await invoice(phone: nil)
        do {
            _ = try await service.send(
                invoiceID: unreachable.id, audit: AuditNote(actor: .operator, "reminder.sent_now", at: clock.now))
            XCTFail("queued a text to nobody")
        } catch let refusal as RemindRefusal {
            XCTAssertEqual(refusal, .noPhone)
        }
        let messages = try await temporary.store.messages(invoiceID: unreachable.id)
        XCTAssertEqual(messages.count, 0)
    }
}
