import Foundation
import GRDB
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore

final class StoreTests: XCTestCase {
    var directory: URL!
    var store: Store!
    let now = Instant.parse("2026-03-03T08:59:00Z")!
    let keyring = try! LinkKeyring(keys: [LinkKey(id: 1, secret: Array(repeating: 3, count: 32))])
    let eur = Currency(code: "EUR")!

    override func setUpWithError() throws {
        let temporary = try TemporaryStore("store")
        (directory, store) = (temporary.directory, temporary.store)
    }

    override func tearDownWithError() throws {
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }

    func newInvoice(
        _ number: String = "F-1", amount: Int64 = 10_000, phone: String? = "+33612345678",
        customerRef: String? = nil
    ) -> NewInvoice {
        NewInvoice(
            number: number,
            customer: CustomerInput(
                name: "Camille Durand", phone: phone.flatMap(PhoneNumber.init(_:)), externalRef: customerRef),
            amount: Money(minorUnits: amount, currency: eur),
            issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-01")!)
    }

    func count(_ table: String) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    func testDatabaseIsWALWithForeignKeysAndEveryMigrationApplied() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let (mode, foreignKeys) = try await store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        XCTAssertEqual(mode, "wal")
        XCTAssertEqual(foreignKeys, 1)
        XCTAssertEqual(try store.pendingMigrations(), [])
        // Opening again applies nothing and loses nothing.
        _ = try await store.createInvoice(newInvoice(), now: now)
        let reopened = try Store(path: store.path)
        let again = try await reopened.invoice(number: "F-1")
        XCTAssertEqual(again.amount.minorUnits, 10_000)
    }

    func testSchemaRefusesWhatTheDomainForbids() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let invoice = try await store.createInvoice(newInvoice(), now: now)
        let bad = [
            "UPDATE invoice SET amount = 0",
            "UPDATE invoice SET amount = -5",
            "UPDATE invoice SET due_on = '2026-01-01'",  // before issued_on
            "UPDATE invoice SET customer_id = 999",
            "INSERT INTO payment (invoice_id, amount, method, received_at, recorded_at) VALUES (999, 1, 'cash', 'x', 'x')",
            "UPDATE customer SET phone = '0612345678'",
            "INSERT INTO business (id, name) VALUES (2, 'Second')",
        ]
        for sql in bad {
            do {
                try await store.pool.write { db in try db.execute(sql: sql) }
                XCTFail("schema accepted: \(sql)")
            } catch is DatabaseError {
                // refused by a constraint, as it should be
            }
        }
        let unchanged = try await store.invoice(id: invoice.id)
        XCTAssertEqual(unchanged, invoice)
    }

    func testCustomersAreMatchedByExternalRefThenPhone() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let first = try await store.createInvoice(newInvoice("F-1", customerRef: "C-9"), now: now)
        let byRef = try await store.createInvoice(newInvoice("F-2", phone: nil, customerRef: "C-9"), now: now)
        let byPhone = try await store.createInvoice(newInvoice("F-3", phone: "+33612345678"), now: now)
        let other = try await store.createInvoice(newInvoice("F-4", phone: "+33799999999"), now: now)
        XCTAssertEqual(byRef.customerID, first.customerID)
        XCTAssertEqual(byPhone.customerID, first.customerID)
        XCTAssertNotEqual(other.customerID, first.customerID)
        XCTAssertEqual(try count("customer"), 2)
    }

    func testDuplicateInvoiceNumberWritesNothing() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        _ = try await store.createInvoice(newInvoice("F-1"), now: now)
        do {
            _ = try await store.createInvoice(newInvoice("F-1", phone: "+33711111111"), now: now)
            XCTFail("duplicate accepted")
        } catch let error as StoreError {
            XCTAssertEqual(error, .duplicateInvoiceNumber("F-1"))
        }
        XCTAssertEqual(try count("invoice"), 1)
        XCTAssertEqual(try count("customer"), 1, "the second customer must not be left behind")
    }

    func testPaymentsLowerTheBalanceAndAFullPaymentMarksPaidAndCancelsQueuedMessages() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let invoice = try await store.createInvoice(newInvoice(amount: 10_000), now: now)
        try await store.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO message (customer_id, invoice_id, kind, channel, recipient, body, created_at)
                    VALUES (?, ?, 'reminder', 'sms', '+33612345678', 'pay', ?)
                    """, arguments: [invoice.customerID, invoice.id, now])
        }
        let (_, partial) = try await store.recordPayment(
            invoiceID: invoice.id, NewPayment(amount: 4_000, method: .card, reference: "ch_1", receivedAt: now),
            now: now)
        XCTAssertEqual(partial.balance.minorUnits, 6_000)
        XCTAssertEqual(partial.status, .open)

        do {
            _ = try await store.recordPayment(
                invoiceID: invoice.id, NewPayment(amount: 6_001, method: .card, reference: nil, receivedAt: now),
                now: now)
            XCTFail("overpayment accepted")
        } catch let error as StoreError {
            XCTAssertEqual(error, .overpayment(balance: 6_000))
        }
        do {
            _ = try await store.recordPayment(
                invoiceID: invoice.id, NewPayment(amount: 1, method: .card, reference: "ch_1", receivedAt: now),
                now: now)
            XCTFail("same provider reference recorded twice")
        } catch let error as StoreError {
            guard case .duplicatePaymentReference = error else { return XCTFail("\(error)") }
        }

        let (_, paid) = try await store.recordPayment(
            invoiceID: invoice.id, NewPayment(amount: 6_000, method: .transfer, reference: nil, receivedAt: now),
            now: now)
        XCTAssertEqual(paid.status, .paid)
        XCTAssertEqual(paid.balance.minorUnits, 0)
        let statuses = try await store.messages(invoiceID: invoice.id).map(\.status)
        XCTAssertEqual(statuses, [.cancelled])
        XCTAssertEqual(try count("payment"), 2)
    }

    func testVoidInvoiceRefusesPaymentsAndLinks() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let invoice = try await store.createInvoice(newInvoice(), now: now)
        let voided = try await store.voidInvoice(id: invoice.id, now: now)
        XCTAssertEqual(voided.status, .void)
        await XCTAssertThrowsErrorAsync(
            try await store.recordPayment(
                invoiceID: invoice.id, NewPayment(amount: 1, method: .cash, reference: nil, receivedAt: now),
                now: now), .invoiceVoided)
        await XCTAssertThrowsErrorAsync(
            try await store.createLink(
                invoiceID: invoice.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now),
            .invoiceVoided)
        XCTAssertEqual(try count("payment"), 0)
    }

    func testIdempotentPaymentReplaysTheSameBodyAndRefusesAnother() async throws {
        let store = self.store!, now = self.now
        let (key, _) = try await store.createAPIKey(name: "billing", now: now)
        let invoice = try await store.createInvoice(newInvoice(), now: now)
        let payment = NewPayment(amount: 100, method: .cash, reference: nil, receivedAt: now)
        let first = try await store.recordPayment(
            invoiceID: invoice.id, payment, now: now, audit: nil,
            idempotency: IdempotencyKey(apiKeyID: key.id, key: "k1", requestHash: "h1")
        ) { _, _ in StoredResponse(status: 201, body: Data("one".utf8)) }
        let again = try await store.recordPayment(
            invoiceID: invoice.id, payment, now: now, audit: nil,
            idempotency: IdempotencyKey(apiKeyID: key.id, key: "k1", requestHash: "h1")
        ) { _, _ in StoredResponse(status: 201, body: Data("two".utf8)) }
        XCTAssertFalse(first.replayed)
        XCTAssertTrue(again.replayed)
        XCTAssertEqual(again.response.body, Data("one".utf8))
        XCTAssertEqual(try count("payment"), 1)
        await XCTAssertThrowsErrorAsync(
            try await store.recordPayment(
                invoiceID: invoice.id, payment, now: now, audit: nil,
                idempotency: IdempotencyKey(apiKeyID: key.id, key: "k1", requestHash: "h2")
            ) { _, _ in StoredResponse(status: 201, body: Data()) }, .idempotencyKeyReused)
        XCTAssertEqual(try count("payment"), 1)
        // Without a key every call is its own payment.
        _ = try await store.recordPayment(invoiceID: invoice.id, payment, now: now, audit: nil, idempotency: nil) {
            _, _ in StoredResponse(status: 201, body: Data())
        }
        XCTAssertEqual(try count("payment"), 2)
    }

    func testLinksCarryTheirRowAndDefaultExpiry() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let invoice = try await store.createInvoice(newInvoice(), now: now)
        let link = try await store.createLink(
            invoiceID: invoice.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now)
        // Due 1 March + 60 days, end of day in Paris.
        XCTAssertEqual(Instant.format(link.expiresAt), "2026-04-30T22:00:00Z")
        XCTAssertEqual(
            SignedLink.verify(link.token, keyring: keyring, now: now),
            .valid(.init(linkID: link.linkID, expiresAt: link.expiresAt, keyID: 1)))
        let page = try XCTUnwrap(try store.pageData(linkID: link.linkID))
        XCTAssertEqual(page.number, "F-1")
        XCTAssertEqual(page.customerName, "Camille Durand")
        XCTAssertEqual(page.balance.minorUnits, 10_000)
        XCTAssertEqual(page.business.timeZone, "Europe/Paris")
        await XCTAssertThrowsErrorAsync(
            try await store.createLink(
                invoiceID: invoice.id, expiresAt: now.addingTimeInterval(-1), purpose: .api, keyring: keyring,
                now: now), .linkExpiryInPast)
        try await store.revokeLink(id: link.linkID, now: now)
        XCTAssertEqual(try store.pageData(linkID: link.linkID)?.revoked, true)
    }

    func testRenewalQueuesAMessageToTheNumberOnFileAndIsLimitedPerDay() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let invoice = try await store.createInvoice(newInvoice(), now: now)
        let link = try await store.createLink(
            invoiceID: invoice.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now)
        for attempt in 0..<Store.renewalsPerDay {
            let outcome = try await store.renewLink(fromLinkID: link.linkID, keyring: keyring, now: now) { context in
                "new link \(context.link.token)"
            }
            guard case .queued = outcome else { return XCTFail("attempt \(attempt): \(outcome)") }
        }
        let limited = try await store.renewLink(fromLinkID: link.linkID, keyring: keyring, now: now) { _ in "x" }
        XCTAssertEqual(limited, .rateLimited)
        let messages = try await store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.count, Store.renewalsPerDay)
        XCTAssertEqual(Set(messages.map(\.recipient)), ["+33612345678"])
        XCTAssertTrue(messages.allSatisfy { $0.status == .queued && $0.body.hasPrefix("new link ") })
        // A day later the customer may ask again.
        let later = try await store.renewLink(
            fromLinkID: link.linkID, keyring: keyring, now: now.addingTimeInterval(86_401)
        ) { _ in "x" }
        guard case .queued = later else { return XCTFail("\(later)") }
    }

    func testRenewalIsRefusedForPaidInvoicesAndCustomersWithoutPhone() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let noPhone = try await store.createInvoice(newInvoice("F-1", phone: nil), now: now)
        let link = try await store.createLink(
            invoiceID: noPhone.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now)
        let first = try await store.renewLink(fromLinkID: link.linkID, keyring: keyring, now: now) { _ in "x" }
        XCTAssertEqual(first, .notEligible)
        let paid = try await store.createInvoice(newInvoice("F-2", phone: "+33611111111"), now: now)
        let paidLink = try await store.createLink(
            invoiceID: paid.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now)
        _ = try await store.recordPayment(
            invoiceID: paid.id, NewPayment(amount: 10_000, method: .cash, reference: nil, receivedAt: now), now: now)
        let second = try await store.renewLink(fromLinkID: paidLink.linkID, keyring: keyring, now: now) { _ in "x" }
        XCTAssertEqual(second, .notEligible)
        XCTAssertEqual(try count("message"), 0)
    }

    func testAPIKeysAreStoredHashedAndRevocable() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let (key, secret) = try await store.createAPIKey(name: "billing", now: now)
        let stored = try await store.pool.read { db in try String.fetchOne(db, sql: "SELECT hash FROM api_key") }
        XCTAssertNotEqual(stored, secret)
        let leaks = try await store.pool.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM api_key WHERE hash LIKE ? OR prefix = ?",
                arguments: ["%" + secret + "%", secret]) ?? 0
        }
        XCTAssertEqual(leaks, 0)
        let found = try await store.apiKey(secret: secret)
        XCTAssertEqual(found?.id, key.id)
        let wrong = try await store.apiKey(secret: secret + "x")
        XCTAssertNil(wrong)
        try await store.revokeAPIKey(id: key.id, now: now)
        let revoked = try await store.apiKey(secret: secret)
        XCTAssertNil(revoked)
    }

    func testClickTimestampsAreStoredAsGRDBWouldStoreThem() async throws {
        let store = self.store!
        for seconds in [0.0, 1_772_528_340.123, 1_772_528_340.999, 4_102_444_799.5, 951_782_400.007] {
            let date = Date(timeIntervalSince1970: seconds)
            let grdb = try await store.pool.read { db in try String.fetchOne(db, sql: "SELECT ?", arguments: [date]) }
            XCTAssertEqual(Store.timestamp(date), grdb, "\(seconds)")
        }
    }

    func testClicksAreWrittenInBatches() async throws {
        let store = self.store!, now = self.now, keyring = self.keyring
        _ = keyring
        let invoice = try await store.createInvoice(newInvoice(), now: now)
        let link = try await store.createLink(
            invoiceID: invoice.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now)
        var clicks: [ClickEvent] = []
        for index in 0..<250 {
            clicks.append(
                ClickEvent(linkID: link.linkID, at: now, agent: index % 5 == 0 ? .preview : .person, ipHash: "aa"))
        }
        try store.recordClicks(clicks)
        let counts = try await store.clickCounts(linkID: link.linkID)
        XCTAssertEqual(counts.person, 200)
        XCTAssertEqual(counts.preview, 50)
        let summary = try await store.invoice(id: invoice.id)
        XCTAssertEqual(summary.personClicks, 200)
        let at = try await store.pool.read { db in try Date.fetchOne(db, sql: "SELECT at FROM click LIMIT 1") }
        XCTAssertEqual(at, now)
    }
}
