import Foundation
import RelanceCore
import RelanceServices
import RelanceStore
import RelanceTestSupport
import XCTest

/// Payments through their service, on a real store: balances, the invoice paid at zero with its
/// reminders stopped, refusals, and a billing system's retries.
final class PaymentServiceTests: XCTestCase {
    var temporary: TemporaryStore!
    let clock = TestClock(Instant.parse("2026-03-18T09:00:00Z")!)
    var service: PaymentService { PaymentService(storage: temporary.store, clock: clock.clock) }
    let keyring = try! LinkKeyring(parsing: LinkKeyring.generate())

    override func setUpWithError() throws { temporary = try TemporaryStore("payments") }
    override func tearDownWithError() throws { temporary.cleanUp() }

    func invoice() async throws -> InvoiceSummary {
        try await temporary.store.createInvoice(
            NewInvoice(
                number: "F-1", customer: CustomerInput(name: "Ana", phone: PhoneNumber("+33612345678")),
                amount: Money(minorUnits: 12_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-03-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: clock.now)
    }

    func payment(_ amount: Int64, reference: String? = nil) -> NewPayment {
        NewPayment(amount: amount, method: .transfer, reference: reference, receivedAt: clock.now)
    }

    func testTheLastPaymentMarksTheInvoicePaidAndCancelsItsQueuedReminder() async throws {
        let invoice = try await invoice()
        let queued = try await SendNowService(
            storage: temporary.store, links: LinkSettings(baseURL: "https://pay.example.com", keyring: keyring),
            emailEnabled: false, clock: clock.clock
        ).send(invoiceID: invoice.id, audit: AuditNote(actor: .operator, "reminder.sent_now", at: clock.now))
        let (_, partly) = try await service.record(payment(5_000), invoiceID: invoice.id, audit: nil)
        XCTAssertEqual(partly.balance.minorUnits, 7_000)
        XCTAssertEqual(partly.status, .open)
        let (record, paid) = try await service.record(
            payment(7_000, reference: "VIR-1"), invoiceID: invoice.id, audit: nil)
        XCTAssertEqual(record.reference, "VIR-1")
        XCTAssertEqual(paid.status, .paid)
        XCTAssertEqual(paid.balance.minorUnits, 0)
        let statuses = try await temporary.store.messageStatuses([queued.messageID])
        XCTAssertEqual(statuses[queued.messageID], "cancelled")
        let payments = try await service.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.map(\.amount), [5_000, 7_000])
    }

    func testMoreThanTheBalanceAndTheSameReferenceTwiceAreRefusedAndNothingIsRecorded() async throws {
        let invoice = try await invoice()
        _ = try await service.record(payment(2_000, reference: "VIR-1"), invoiceID: invoice.id, audit: nil)
        await XCTAssertThrowsErrorAsync(
            try await service.record(payment(10_001), invoiceID: invoice.id, audit: nil),
            .overpayment(balance: 10_000))
        do {
            _ = try await service.record(payment(1_000, reference: "VIR-1"), invoiceID: invoice.id, audit: nil)
            XCTFail("the same transfer was recorded twice")
        } catch StoreError.duplicatePaymentReference {}
        let payments = try await service.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.map(\.amount), [2_000])
    }

    func testARetryUnderTheSameKeyGetsTheFirstAnswerAndRecordsNothing() async throws {
        let invoice = try await invoice()
        let key = IdempotencyKey(
            apiKeyID: try await temporary.store.createAPIKey(name: "billing", now: clock.now).0.id,
            key: "k1", requestHash: "h1")
        let first = try await service.record(payment(1_000), invoiceID: invoice.id, audit: nil, idempotency: key) {
            record, invoice in
            StoredResponse(status: 201, body: Data("\(record.amount)/\(invoice.balance.minorUnits)".utf8))
        }
        let again = try await service.record(payment(1_000), invoiceID: invoice.id, audit: nil, idempotency: key) {
            _, _ in StoredResponse(status: 201, body: Data("second".utf8))
        }
        XCTAssertEqual(String(decoding: first.response.body, as: UTF8.self), "1000/11000")
        XCTAssertTrue(again.replayed)
        XCTAssertEqual(again.response.body, first.response.body)
        let payments = try await service.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.count, 1)
    }
}
