import Foundation
import GRDB
import Logging
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceMessaging
@testable import RelanceStore

/// Collects what a provider was asked to send.
final class RecordingProvider: MessageProvider, @unchecked Sendable {
    let name = "test"
    private let lock = NSLock()
    private var sent: [ClaimedMessage] = []
    var results: [SendResult] = []

    var messages: [ClaimedMessage] { lock.withLock { sent } }

    func send(_ message: ClaimedMessage) async -> SendResult {
        lock.withLock {
            sent.append(message)
            return results.isEmpty ? .accepted(provider: name, providerID: "p-\(message.id)") : results.removeFirst()
        }
    }
}

final class SchedulerTests: XCTestCase {
    var directory: URL!
    var store: Store!
    let keyring = try! LinkKeyring(parsing: LinkKeyring.generate())
    var links: LinkSettings { LinkSettings(baseURL: "https://pay.example.com", keyring: keyring) }
    let eur = Currency(code: "EUR")!
    let paris = TimeZone(identifier: "Europe/Paris")!

    override func setUpWithError() throws {
        let temporary = try TemporaryStore("sched")
        (directory, store) = (temporary.directory, temporary.store)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func at(_ text: String) -> Date { Instant.parse(text)! }

    @discardableResult
    func invoice(
        _ number: String, due: String, amount: Int64 = 12_345, phone: String? = "+33612345678",
        name: String = "Camille Durand",
        locale: String = "fr", ref: String? = nil, created: String = "2026-03-01T10:00:00Z"
    ) async throws -> InvoiceSummary {
        try await store.createInvoice(
            NewInvoice(
                number: number,
                customer: CustomerInput(
                    name: name, phone: phone.flatMap(PhoneNumber.init(_:)), locale: locale, timeZone: "Europe/Paris",
                    externalRef: ref),
                amount: Money(minorUnits: amount, currency: eur), issuedOn: CalendarDate(iso: "2026-02-01")!,
                dueOn: CalendarDate(iso: due)!),
            now: at(created))
    }

    func tick(_ instant: String, dryRun: Bool = false) async throws -> TickSummary {
        try await ReminderScheduler(storage: store, links: links).tick(now: at(instant), dryRun: dryRun)
    }

    func testAnInvoiceGetsEachStageOnItsDayInTheWindowAndNothingTwice() async throws {
        try await store.saveBusiness(Business(BusinessProfile(name: "Plomberie Martin", phone: "+33123456789")))
        let invoice = try await invoice("F-1", due: "2026-03-18")  // a Wednesday
        // Created 1 March: nothing due yet; the next look is courtesy day (11 March) at 09:00 Paris.
        var summary = try await tick("2026-03-01T10:00:01Z")
        XCTAssertEqual(summary.queued, [])
        var next = try await nextAction(invoice.id)
        XCTAssertEqual(next, "2026-03-11T08:00:00Z")
        // Before the window opens nothing goes out; at 09:00 the courtesy reminder does.
        summary = try await tick("2026-03-11T07:59:00Z")
        XCTAssertEqual(summary.examined, 0)
        summary = try await tick("2026-03-11T08:00:00Z")
        XCTAssertEqual(summary.queued.map(\.stage), ["courtesy"])
        let courtesy = try XCTUnwrap(summary.queued.first)
        XCTAssertEqual(courtesy.recipient, "+33612345678")
        XCTAssertEqual(courtesy.encoding, .gsm7)
        XCTAssertEqual(courtesy.segments, 1)
        XCTAssertTrue(
            courtesy.body.hasPrefix(
                "Plomberie Martin: Camille Durand, facture F-1 de 123,45 € due le 18/03. Merci https://pay.example.com/p/"
            ),
            courtesy.body)
        // The link in the message opens this invoice and remembers which message carried it.
        let token = String(courtesy.body.split(separator: "/").last ?? "")
        guard case .valid(let link) = SignedLink.verify(token, keyring: keyring, now: at("2026-03-11T08:00:00Z")) else {
            return XCTFail("link does not verify: \(courtesy.body)")
        }
        let carried = try await store.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT message_id FROM link WHERE id = ?", arguments: [link.linkID])
        }
        XCTAssertEqual(carried, courtesy.messageID)
        // Another tick the same minute sends nothing more.
        summary = try await tick("2026-03-11T08:01:00Z")
        XCTAssertEqual(summary.queued, [])
        // Due date, then late, then final, each once.
        summary = try await tick("2026-03-18T08:00:00Z")
        XCTAssertEqual(summary.queued.map(\.stage), ["due"])
        summary = try await tick("2026-03-25T08:00:00Z")
        XCTAssertEqual(summary.queued.map(\.stage), ["late"])
        summary = try await tick("2026-04-17T07:00:00Z")
        XCTAssertEqual(summary.queued.map(\.stage), ["final"])
        next = try await nextAction(invoice.id)
        XCTAssertNil(next, "nothing left to send")
        let stages = try await store.messages(invoiceID: invoice.id).map { $0.body.contains("dernier rappel") }
        XCTAssertEqual(stages, [false, false, false, true])
    }

    func testAMessageDueAtNightWaitsForTheMorningInTheCustomersTimeZone() async throws {
        let invoice = try await invoice("F-1", due: "2026-03-18", created: "2026-03-18T20:30:00Z")
        // 21:30 in Paris on the due date.
        let night = try await tick("2026-03-18T20:30:00Z")
        XCTAssertEqual(night.queued, [])
        XCTAssertEqual(night.deferred, 1)
        let next = try await nextAction(invoice.id)
        XCTAssertEqual(next, "2026-03-19T08:00:00Z")
        let morning = try await tick("2026-03-19T08:00:00Z")
        XCTAssertEqual(morning.queued.map(\.stage), ["due"])
    }

    func testAnInvoiceImportedLateGetsOnlyTheCurrentStage() async throws {
        try await invoice("F-1", due: "2026-03-01", created: "2026-03-12T09:00:00Z")
        let summary = try await tick("2026-03-12T09:00:00Z")
        XCTAssertEqual(summary.queued.map(\.stage), ["late"])
        let later = try await tick("2026-03-20T09:00:00Z")
        XCTAssertEqual(later.queued, [], "no backlog of earlier stages")
    }

    func testSeveralInvoicesOfOneCustomerBecomeOneMessageWithAStatementLink() async throws {
        try await store.saveBusiness(Business(BusinessProfile(name: "Plomberie Martin")))
        let first = try await invoice("F-1", due: "2026-03-02", amount: 10_000, ref: "C-1")
        let second = try await invoice("F-2", due: "2026-03-02", amount: 2_550, ref: "C-1")
        try await invoice("F-3", due: "2026-03-02", amount: 500, phone: "+33698765432", name: "Other", ref: "C-2")
        let summary = try await tick("2026-03-09T09:00:00Z")
        XCTAssertEqual(summary.queued.count, 2)
        let combined = try XCTUnwrap(summary.queued.first { $0.invoiceIDs.count == 2 })
        XCTAssertEqual(Set(combined.invoiceIDs), [first.id, second.id])
        XCTAssertTrue(combined.body.contains("2 factures (125,50 €) sont en retard"), combined.body)
        let token = String(combined.body.split(separator: "/").last ?? "")
        guard case .valid(let link) = SignedLink.verify(token, keyring: keyring, now: at("2026-03-09T09:00:00Z")) else {
            return XCTFail("statement link does not verify")
        }
        let linkCustomer = try await store.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT customer_id FROM link WHERE id = ?", arguments: [link.linkID])
        }
        XCTAssertEqual(linkCustomer, first.customerID)
        // Both invoices' logs show the one message.
        let firstLog = try await store.messages(invoiceID: first.id)
        let secondLog = try await store.messages(invoiceID: second.id)
        XCTAssertEqual(firstLog.map(\.id), [combined.messageID])
        XCTAssertEqual(secondLog.map(\.id), [combined.messageID])
        // And both invoices' histories, though the message names neither alone.
        for invoice in [first, second] {
            let queued = try await store.history(invoiceID: invoice.id).filter { $0.kind == "message.queued" }
            XCTAssertEqual(queued.map(\.messageID), [combined.messageID])
            XCTAssertTrue(queued.first?.detail?.hasPrefix("reminder late by sms to +336") == true, "\(queued)")
        }
    }

    func testTheFrequencyCapHoldsTheNextSMSForThreeDays() async throws {
        // One invoice reaches its due day two days after another's courtesy reminder went out.
        try await invoice("F-1", due: "2026-03-20", ref: "C-1")
        try await invoice("F-2", due: "2026-03-13", ref: "C-1")
        let first = try await tick("2026-03-13T09:00:00Z")  // F-1 courtesy (20-7) and F-2 due: merged
        XCTAssertEqual(first.queued.count, 1)
        let capped = try await tick("2026-03-16T08:00:00Z")  // nothing due for F-1 until the 20th anyway
        XCTAssertEqual(capped.queued, [])
        // A separate invoice becoming late within the cap waits until the cap ends.
        try await invoice("F-4", due: "2026-03-07", ref: "C-1", created: "2026-03-14T09:00:00Z")
        let held = try await tick("2026-03-14T09:00:00Z")
        XCTAssertEqual(held.queued, [])
        XCTAssertEqual(held.deferred, 1)
        let released = try await tick("2026-03-16T09:00:00Z")
        XCTAssertEqual(released.queued.map(\.stage), ["late"])
    }

    func testCustomersWithoutPhoneOrOptedOutAreSkippedAndRecorded() async throws {
        let noPhone = try await invoice("F-1", due: "2026-03-18", phone: nil)
        let optedOut = try await invoice("F-2", due: "2026-03-18", phone: "+33611111111", name: "Bob")
        // Bob answered an earlier text with STOP.
        let inbound = InboundService(
            storage: store, phrases: Repository.phrases, clock: .fixed(at("2026-03-01T12:00:00Z")))
        _ = try await inbound.receive(
            InboundText(from: "+33611111111", to: nil, body: "STOP", provider: "test", providerMessageID: nil))
        let summary = try await tick("2026-03-18T09:00:00Z")
        XCTAssertEqual(summary.queued, [])
        XCTAssertEqual(Set(summary.skipped.map(\.reason)), ["no phone number", "opted out of SMS"])
        let again = try await tick("2026-03-18T10:00:00Z")
        XCTAssertEqual(again.skipped.count, 0, "a skipped slot is not retried")
        let messages = try await store.messages(invoiceID: noPhone.id) + store.messages(invoiceID: optedOut.id)
        XCTAssertEqual(messages.count, 0)
    }

    func testPaidVoidAndPausedInvoicesGetNothing() async throws {
        let paid = try await invoice("F-1", due: "2026-03-18")
        let void = try await invoice("F-2", due: "2026-03-18", phone: "+33622222222")
        let paused = try await invoice("F-3", due: "2026-03-18", phone: "+33633333333")
        _ = try await store.recordPayment(
            invoiceID: paid.id,
            NewPayment(amount: 12_345, method: .card, reference: nil, receivedAt: at("2026-03-02T00:00:00Z")),
            now: at("2026-03-02T00:00:00Z"))
        _ = try await store.voidInvoice(id: void.id, now: at("2026-03-02T00:00:00Z"))
        // Pausing clears the next action itself; here it is left set, as a pause racing the tick or an older
        // version's row would leave it, so that the tick's own filter is what keeps the invoice quiet.
        try await store.pool.write { db in
            try db.execute(
                sql:
                    "UPDATE invoice SET reminders_paused_at = '2026-03-02 00:00:00.000', reminders_paused_reason = 'dispute' WHERE id = ?",
                arguments: [paused.id])
        }
        let summary = try await tick("2026-03-18T09:00:00Z")
        XCTAssertEqual(summary.queued, [])
        let pending = try await store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice WHERE next_action_at IS NOT NULL")
        }
        XCTAssertEqual(pending, 0)
    }

    func testDryRunShowsWhatWouldBeSentAndChangesNothing() async throws {
        try await invoice("F-1", due: "2026-03-18")
        let dry = try await tick("2026-03-18T09:00:00Z", dryRun: true)
        XCTAssertEqual(dry.queued.map(\.stage), ["due"])
        let rows = try await store.pool.read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT (SELECT COUNT(*) FROM message) + (SELECT COUNT(*) FROM reminder) + (SELECT COUNT(*) FROM link)"
            )
        }
        XCTAssertEqual(rows, 0)
        let real = try await tick("2026-03-18T09:00:00Z")
        XCTAssertEqual(real.queued.map(\.stage), ["due"])
    }

    func testDispatcherSendsRetriesAndRechecksTheBalance() async throws {
        let first = try await invoice("F-1", due: "2026-03-18")
        try await invoice("F-2", due: "2026-03-18", phone: "+33644444444", name: "Dana")
        _ = try await tick("2026-03-18T09:00:00Z")
        // F-1 is paid between queueing and sending: its message is cancelled at claim time.
        _ = try await store.recordPayment(
            invoiceID: first.id,
            NewPayment(amount: 12_345, method: .card, reference: nil, receivedAt: at("2026-03-18T09:00:30Z")),
            now: at("2026-03-18T09:00:30Z"))
        let provider = RecordingProvider()
        provider.results = [.transientFailure(provider: "test", reason: "HTTP 503")]
        let clock = TestClock(at("2026-03-18T09:01:00Z"))
        let dispatcher = Dispatcher(
            store: store, provider: provider, clock: clock.clock, logger: Logger(label: "test"), ratePerSecond: 1000)
        let firstRound = try await dispatcher.drain()
        XCTAssertEqual(firstRound, 1)
        XCTAssertEqual(provider.messages.map(\.recipient), ["+33644444444"])
        // Too early for the retry; after the backoff it goes.
        let early = try await dispatcher.drain()
        XCTAssertEqual(early, 0)
        clock.now = at("2026-03-18T09:02:00Z")
        let retried = try await dispatcher.drain()
        XCTAssertEqual(retried, 1)
        let statuses = try await store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT status FROM message ORDER BY id")
        }
        XCTAssertEqual(statuses, ["cancelled", "sent"])
        let second = try await store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM message") }
        let events = try await store.messageEvents(messageID: try XCTUnwrap(second)).map(\.status)
        XCTAssertEqual(events, ["queued", "sending", "retry", "sending", "sent"])
    }

    func testASendInterruptedByACrashBecomesUnknownAndIsNeverResent() async throws {
        try await invoice("F-1", due: "2026-03-18")
        _ = try await tick("2026-03-18T09:00:00Z")
        let claimed = try await store.claimNextMessage(now: at("2026-03-18T09:00:01Z"))
        XCTAssertNotNil(claimed)
        // The process dies here. On restart:
        let provider = RecordingProvider()
        let dispatcher = Dispatcher(
            store: store, provider: provider, clock: .fixed(at("2026-03-18T09:05:00Z")), logger: Logger(label: "test"))
        let recovered = try await dispatcher.recover()
        XCTAssertEqual(recovered, 1)
        let sent = try await dispatcher.drain()
        XCTAssertEqual(sent, 0)
        XCTAssertEqual(provider.messages.count, 0)
        let status = try await store.pool.read { db in try String.fetchOne(db, sql: "SELECT status FROM message") }
        XCTAssertEqual(status, "unknown")
    }

    func nextAction(_ id: Int64) async throws -> String? {
        try await store.pool.read { db in
            try Date.fetchOne(db, sql: "SELECT next_action_at FROM invoice WHERE id = ?", arguments: [id])
        }.map(Instant.format)
    }
}

final class DeliveryRaceTests: XCTestCase {
    func testADeliveryReportThatBeatsTheProvidersAnswerIsKept() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "relance-race-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(path: directory.appendingPathComponent("test.sqlite").path)
        let now = Instant.parse("2026-03-18T09:00:00Z")!
        let invoice = try await store.createInvoice(
            NewInvoice(
                number: "F-1", customer: CustomerInput(name: "Ana", phone: PhoneNumber("+33612345678")),
                amount: Money(minorUnits: 100, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-03-01")!,
                dueOn: CalendarDate(iso: "2026-03-18")!), now: now)
        let keyring = try LinkKeyring(parsing: LinkKeyring.generate())
        let queued = try await store.remindNow(
            invoiceID: invoice.id, now: now, links: LinkSettings(baseURL: "https://x", keyring: keyring))
        let claimed = try await store.claimNextMessage(now: now)
        XCTAssertEqual(claimed?.id, queued.messageID)
        // The gateway delivers and reports before its answer to the send request is recorded.
        try await store.recordDelivery(messageID: queued.messageID, .delivered, now: now.addingTimeInterval(1))
        try await store.recordSendResult(
            messageID: queued.messageID, .accepted(provider: "kannel", providerID: "kannel-1"), attempts: 1,
            now: now.addingTimeInterval(2))
        let statuses = try await store.messageStatuses([queued.messageID])
        XCTAssertEqual(statuses[queued.messageID], "delivered")
        let events = try await store.messageEvents(messageID: queued.messageID).map(\.status)
        XCTAssertEqual(events, ["queued", "sending", "delivered", "sent"])
    }
}
