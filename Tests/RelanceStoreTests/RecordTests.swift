import Foundation
import GRDB
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore

/// The records against the schema: every table read back as it was written, every status and kind
/// against the CHECK that guards its column, and the customer page's position-by-position reader
/// against the same rows read through the records.
final class RecordTests: XCTestCase {
    static let now = Instant.parse("2026-03-03T08:59:00Z")!
    static let later = Instant.parse("2026-04-30T10:00:00Z")!
    static let eur = Currency(code: "EUR")!

    // MARK: - The customer page

    func testThePageReaderReadsWhatTheRecordsRead() async throws {
        let temporary = try TemporaryStore("records")
        defer { temporary.cleanUp() }
        let store = temporary.store
        let now = Self.now
        let keyring = try LinkKeyring(keys: [LinkKey(id: 1, secret: Array(repeating: 3, count: 32))])
        try await store.saveBusiness(
            Business(
                BusinessProfile(
                    name: "Atelier Durand", phone: "+33140000000", email: "contact@atelier.example",
                    address: "1 rue de la Paix, 75002 Paris", paymentURL: "https://pay.example/atelier",
                    bankBeneficiary: "Atelier Durand SARL", bankIBAN: "FR7630006000011234567890189",
                    bankBIC: "AGRIFRPP",
                    defaultLocale: "en", timeZone: "Europe/Brussels", linkLifetimeDays: 45,
                    legal: "SIRET 123 456 789 00012"
                )))
        try await store.saveLogo(Logo(bytes: [0x89, 0x50, 0x4E, 0x47], mediaType: "image/png"), now: now)

        // Every optional the page reads is filled: the invoice's payment link, the customer's language
        // and time zone, a payment, a revoked link, a running plan and both kinds of pending request,
        // and the invoice paid and void at once (the schema allows it; the page must say void).
        let full = try await store.createInvoice(
            NewInvoice(
                number: "F-FULL",
                customer: CustomerInput(
                    name: "Camille Durand", phone: PhoneNumber("+33612345678"), email: "camille@example.com",
                    locale: "fr-BE", timeZone: "Europe/Brussels", externalRef: "C-1"),
                amount: Money(minorUnits: 12_345, currency: Self.eur), issuedOn: CalendarDate(iso: "2026-02-01")!,
                dueOn: CalendarDate(iso: "2026-03-01")!, externalRef: "INV-1", paymentURL: "https://pay.example/F-FULL"),
            now: now)
        _ = try await store.recordPayment(
            invoiceID: full.id,
            NewPayment(amount: 2_345, method: .transfer, reference: "VIR-1", receivedAt: now), now: now)
        let fullLink = try await store.createLink(
            invoiceID: full.id, expiresAt: nil, purpose: .api, keyring: keyring, now: now)
        try await store.revokeLink(id: fullLink.linkID, now: now)
        try await store.pool.write { db in
            var plan = PlanRecord(invoiceID: full.id, status: .active, paidBefore: 0, createdAt: now)
            try plan.insert(db)
            var proposal = RequestRecord(
                invoiceID: full.id, customerID: full.customerID, kind: .plan, status: .pending,
                schedule: "2026-04-01:5000;2026-05-01:5000", fingerprint: "proposal", autoAccepted: false,
                createdAt: now)
            try proposal.insert(db)
            var question = RequestRecord(
                invoiceID: full.id, customerID: full.customerID, kind: .question, status: .pending,
                message: "Can I pay in May?", fingerprint: "question", autoAccepted: false, createdAt: now)
            try question.insert(db)
            var invoice = try XCTUnwrap(InvoiceRecord.fetchOne(db, key: full.id))
            invoice.paidAt = now
            invoice.voidedAt = now
            try invoice.update(db)
        }

        // And none of them: the page falls back to the business's payment link.
        let bare = try await store.createInvoice(
            NewInvoice(
                number: "F-BARE", customer: CustomerInput(name: "Sam"),
                amount: Money(minorUnits: 500, currency: Self.eur), issuedOn: CalendarDate(iso: "2026-02-01")!,
                dueOn: CalendarDate(iso: "2026-02-01")!),
            now: now)
        let bareLink = try await store.createLink(
            invoiceID: bare.id, expiresAt: nil, purpose: .cli, keyring: keyring, now: now)

        let filled = try await store.pool.read { db in
            try Self.nilFields(of: XCTUnwrap(BusinessRecord.fetchOne(db, key: 1)))
                + Self.nilFields(of: XCTUnwrap(LinkRecord.fetchOne(db, key: fullLink.linkID)))
                .filter { !["customerID", "renewedFrom", "messageID"].contains($0) }
                + Self.nilFields(of: XCTUnwrap(InvoiceRecord.fetchOne(db, key: full.id)))
                .filter { ["paymentURL", "paidAt", "voidedAt"].contains($0) }
                + Self.nilFields(of: XCTUnwrap(CustomerTableRecord.fetchOne(db, key: full.customerID)))
                .filter { ["locale", "timeZone"].contains($0) }
        }
        XCTAssertEqual(filled, [], "the full case leaves out an optional the page reads")

        for (linkID, label) in [(fullLink.linkID, "every optional filled"), (bareLink.linkID, "no optional")] {
            let page = try XCTUnwrap(try store.pageData(linkID: linkID), label)
            let expected = try await store.pool.read { db in try Self.pageFromRecords(db, linkID: linkID) }
            XCTAssertEqual(page.linkID, expected.linkID, label)
            XCTAssertEqual(page.expiresAt, expected.expiresAt, label)
            XCTAssertEqual(page.revoked, expected.revoked, label)
            XCTAssertEqual(page.invoiceID, expected.invoiceID, label)
            XCTAssertEqual(page.number, expected.number, label)
            XCTAssertEqual(page.amount, expected.amount, label)
            XCTAssertEqual(page.paid, expected.paid, label)
            XCTAssertEqual(page.dueOn, expected.dueOn, label)
            XCTAssertEqual(page.status, expected.status, label)
            XCTAssertEqual(page.paymentURL, expected.paymentURL, label)
            XCTAssertEqual(page.customerName, expected.customerName, label)
            XCTAssertEqual(page.customerLocale, expected.customerLocale, label)
            XCTAssertEqual(page.customerTimeZone, expected.customerTimeZone, label)
            XCTAssertEqual(page.business, expected.business, label)
            XCTAssertEqual(page.hasActivePlan, expected.hasActivePlan, label)
            XCTAssertEqual(page.pendingPlan, expected.pendingPlan, label)
            XCTAssertEqual(page.pendingQuestion, expected.pendingQuestion, label)
        }

        // The two cases are the two ends, not the same page twice.
        let fullPage = try XCTUnwrap(try store.pageData(linkID: fullLink.linkID))
        XCTAssertEqual(fullPage.status, .void)
        XCTAssertEqual(fullPage.paid, 2_345)
        XCTAssertEqual(fullPage.paymentURL, "https://pay.example/F-FULL")
        XCTAssertTrue(fullPage.revoked && fullPage.hasActivePlan && fullPage.pendingPlan && fullPage.pendingQuestion)
        XCTAssertNotNil(fullPage.business.logoHash)
        let barePage = try XCTUnwrap(try store.pageData(linkID: bareLink.linkID))
        XCTAssertEqual(barePage.status, .open)
        XCTAssertEqual(barePage.paymentURL, "https://pay.example/atelier")
        XCTAssertNil(barePage.customerLocale)
        XCTAssertFalse(barePage.revoked || barePage.hasActivePlan || barePage.pendingPlan || barePage.pendingQuestion)
    }

    func testThePageSelectReturnsExactlyThePositionsItsReaderNames() async throws {
        let temporary = try TemporaryStore("records")
        defer { temporary.cleanUp() }
        let count = try await temporary.store.pool.read { db in
            try db.makeStatement(sql: PageReader.sql).columnCount
        }
        XCTAssertEqual(count, PageReader.PageColumn.allCases.count)
        XCTAssertEqual(PageReader.PageColumn.allCases.map(\.rawValue), Array(0..<Int32(count)))
    }

    /// The page as the records read it, by the rules `PageReader` applies.
    static func pageFromRecords(_ db: Database, linkID: Int64) throws -> InvoicePageData {
        let link = try XCTUnwrap(LinkRecord.fetchOne(db, key: linkID))
        let invoiceID = try XCTUnwrap(link.invoiceID)
        let invoice = try XCTUnwrap(InvoiceRecord.fetchOne(db, key: invoiceID))
        let customer = try XCTUnwrap(CustomerTableRecord.fetchOne(db, key: invoice.customerID))
        let business = try Store.business(db)
        let paid = try PaymentRecord.filter(PaymentRecord.Columns.invoiceID == invoiceID).fetchAll(db)
            .reduce(0) { $0 + $1.amount }
        let pending = try RequestRecord.pending(invoiceID: invoiceID).fetchAll(db).map(\.kind)
        var data = InvoicePageData(
            linkID: linkID, expiresAt: link.expiresAt, revoked: link.revokedAt != nil, invoiceID: invoiceID,
            number: invoice.number, amount: Money(minorUnits: invoice.amount, currency: invoice.currency), paid: paid,
            dueOn: invoice.dueOn, status: invoice.voidedAt != nil ? .void : invoice.paidAt != nil ? .paid : .open,
            paymentURL: invoice.paymentURL ?? business.paymentURL, customerName: customer.name,
            customerLocale: customer.locale, customerTimeZone: customer.timeZone, business: business)
        data.hasActivePlan = try PlanRecord.active(invoiceID: invoiceID).fetchCount(db) > 0
        data.pendingPlan = pending.contains(.plan)
        data.pendingQuestion = pending.contains(.question)
        return data
    }

    /// The names of a value's optional properties that are nil.
    static func nilFields(of value: Any) -> [String] {
        Mirror(reflecting: value).children.compactMap { child in
            let mirror = Mirror(reflecting: child.value)
            return mirror.displayStyle == .optional && mirror.children.isEmpty ? child.label : nil
        }
    }

    // MARK: - Round trips

    func testEveryRecordReadsBackAsItWasWritten() async throws {
        let temporary = try TemporaryStore("records")
        defer { temporary.cleanUp() }
        try await temporary.store.pool.write { db in
            let rows = try Self.oneOfEach(db)
            // Every value of the statuses and kinds, including those no CHECK lists, survives its column.
            var message = rows.message
            for status in MessageStatus.allCases {
                message.status = status
                try message.update(db)
                XCTAssertEqual(try MessageRecord.fetchOne(db, key: message.storedID()), message)
            }
            for kind in MessageKind.allCases {
                message.kind = kind
                try message.update(db)
                XCTAssertEqual(try MessageRecord.fetchOne(db, key: message.storedID()), message)
            }
            var event = rows.messageEvent
            for status in MessageEventStatus.allCases {
                event.status = status
                try event.update(db)
                XCTAssertEqual(try MessageEventRecord.fetchOne(db, key: event.storedID()), event)
            }
            var line = rows.invoiceEvent
            for kind in InvoiceEventKind.allCases {
                line.kind = kind
                try line.update(db)
                XCTAssertEqual(try InvoiceEventRecord.fetchOne(db, key: line.storedID()), line)
            }
            var webhookEvent = rows.webhookEvent
            for type in WebhookEventType.allCases {
                webhookEvent.type = type
                try webhookEvent.update(db)
                XCTAssertEqual(try WebhookEventRecord.fetchOne(db, key: webhookEvent.storedID()), webhookEvent)
            }
        }
    }

    /// What `oneOfEach` wrote where a test changes it further.
    struct Rows {
        var message: MessageRecord
        var messageEvent: MessageEventRecord
        var invoiceEvent: InvoiceEventRecord
        var webhookEvent: WebhookEventRecord
    }

    /// Writes one row in every table through its record, with every optional filled where the schema
    /// allows it, and checks that each reads back equal.
    static func oneOfEach(_ db: Database) throws -> Rows {
        let now = Self.now
        let later = Self.later
        let customer = try roundTrip(
            db,
            CustomerTableRecord(
                name: "Round Trip", phone: "+33612345678", email: "round@example.com", locale: "fr",
                timeZone: "Europe/Paris", externalRef: "RT-C", smsOptedOutAt: now, emailOptedOutAt: later,
                createdAt: now))
        let customerID = try customer.storedID()
        let invoice = try roundTrip(
            db,
            InvoiceRecord(
                number: "RT-1", customerID: customerID, currency: Self.eur, amount: 10_000,
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-01")!,
                paymentURL: "https://pay.example/RT-1", externalRef: "RT-EXT", paidAt: now, voidedAt: later,
                createdAt: now, updatedAt: later, nextActionAt: later, remindersPausedAt: now,
                remindersPausedReason: "dispute", remindersRebasedOn: CalendarDate(iso: "2026-03-10")!))
        let invoiceID = try invoice.storedID()
        try roundTrip(
            db,
            PaymentRecord(
                id: 500, invoiceID: invoiceID, amount: 1_000, method: PaymentMethod.transfer.rawValue,
                reference: "VIR-RT", receivedAt: now, recordedAt: later),
            key: ["id": 500])
        let firstLink = try roundTrip(
            db,
            LinkRecord(
                invoiceID: invoiceID, purpose: .reminder, keyID: 1, createdAt: now, expiresAt: later, revokedAt: later))
        let firstLinkID = try firstLink.storedID()
        let request = try roundTrip(
            db,
            RequestRecord(
                invoiceID: invoiceID, customerID: customerID, linkID: firstLinkID, kind: .plan, status: .accepted,
                schedule: "2026-04-01:5000;2026-05-01:5000", message: "Two months?", contact: .phone,
                callback: .evening, fingerprint: "fp", ipHash: "ip", autoAccepted: true, answer: "Yes",
                answeredAt: later, createdAt: now))
        let requestID = try request.storedID()
        let message = try roundTrip(
            db,
            MessageRecord(
                customerID: customerID, invoiceID: invoiceID, linkID: firstLinkID, kind: .reminder, channel: .email,
                recipient: "round@example.com", body: "Please pay", status: .delivered, error: "slow", createdAt: now,
                sentAt: later, stage: "due", encoding: .ucs2, segments: 2, provider: "smtp", providerID: "p-1",
                attempts: 3, nextAttemptAt: later, updatedAt: later, requestID: requestID, variant: .b,
                subject: "Invoice RT-1", html: "<p>Please pay</p>", unsubscribeURL: "https://relance.example/u/1"))
        let messageID = try message.storedID()
        let secondLink = try roundTrip(
            db,
            LinkRecord(
                invoiceID: invoiceID, purpose: .renewal, keyID: 2, createdAt: now, expiresAt: later,
                renewedFrom: firstLinkID, messageID: messageID))
        try roundTrip(
            db,
            LinkRecord(customerID: customerID, purpose: .reminder, keyID: 1, createdAt: now, expiresAt: later))
        try roundTrip(db, ClickRecord(linkID: secondLink.storedID(), at: now, agent: .preview, ipHash: "hash"))
        let messageEvent = try roundTrip(
            db, MessageEventRecord(messageID: messageID, status: .retry, at: now, detail: "later"))
        try roundTrip(
            db,
            ReminderRecord(
                invoiceID: invoiceID, stage: "due", occurrence: 1, channel: .email, messageID: messageID, createdAt: now
            ))
        try roundTrip(
            db,
            ReminderRecord(
                invoiceID: invoiceID, stage: "due", occurrence: 1, channel: .sms, skippedReason: "no phone number",
                createdAt: now))
        try roundTrip(
            db,
            InboundRecord(
                customerID: customerID, fromNumber: "+33612345678", toNumber: "+33700000000", body: "STOP",
                keyword: .stop, provider: "twilio", receivedAt: now, readAt: later, providerMessageID: "SM1"))
        let plan = try roundTrip(
            db,
            PlanRecord(
                invoiceID: invoiceID, requestID: requestID, status: .broken, paidBefore: 1_000, createdAt: now,
                endedAt: later, endReason: "instalment 1 late"))
        try roundTrip(
            db,
            InstallmentRecord(
                planID: plan.storedID(), position: 1, dueOn: CalendarDate(iso: "2026-04-01")!, amount: 5_000))
        let invoiceEvent = try roundTrip(
            db,
            InvoiceEventRecord(
                invoiceID: invoiceID, at: now, kind: .planBroken, requestID: requestID, detail: "instalment 1 late"))
        let user = try roundTrip(
            db,
            UserRecord(
                email: "owner@example.com", passwordHash: "scrypt$x", role: .owner, failedSignIns: 2,
                lockedUntil: later, createdAt: now, disabledAt: later, language: .en))
        let userID = try user.storedID()
        try roundTrip(
            db,
            SessionRecord(
                tokenHash: "token", userID: userID, csrf: "csrf", createdAt: now, lastSeenAt: now, expiresAt: later,
                ipHash: "ip", endedAt: later))
        let key = try roundTrip(
            db, APIKeyRecord(name: "billing", prefix: "rlk_abcdefgh", hash: "hash", createdAt: now, revokedAt: later))
        let keyID = try key.storedID()
        try roundTrip(
            db,
            IdempotencyRecord(
                apiKeyID: keyID, key: "key-1", requestHash: "request", responseStatus: 201,
                responseBody: Data(#"{"id":1}"#.utf8), createdAt: now))
        try roundTrip(
            db,
            AuditRecord(
                at: now, userID: userID, apiKeyID: keyID, action: "invoice.voided", invoiceID: invoiceID,
                detail: "by mistake"))
        let endpoint = try roundTrip(
            db,
            WebhookEndpointRecord(
                url: "https://hooks.example/relance", events: "invoice.paid,payment.created", description: "ERP",
                secret: "enc1:new", previousSecret: "enc1:old", previousSecretUntil: later, createdAt: now,
                disabledAt: later))
        let webhookEvent = try roundTrip(
            db, WebhookEventRecord(type: .invoicePaid, payload: #"{"id":"evt_1"}"#, createdAt: now))
        let delivery = try roundTrip(
            db,
            WebhookDeliveryRecord(
                eventID: webhookEvent.storedID(), endpointID: endpoint.storedID(), status: .failed, attempts: 8,
                nextAttemptAt: later, lastError: "gave up", createdAt: now, deliveredAt: later))
        try roundTrip(
            db,
            WebhookAttemptRecord(
                deliveryID: delivery.storedID(), at: now, statusCode: 500, error: "HTTP 500", milliseconds: 120))
        try roundTrip(
            db, ImportColumnRecord(title: "Montant TTC", field: "amount", updatedAt: now), key: ["title": "Montant TTC"]
        )
        try roundTrip(
            db,
            MessageTemplateRecord(
                stage: "due", channel: .email, locale: .en, combined: true, body: "{{link}}", updatedAt: now,
                subject: "Invoice {{invoice_number}}"),
            key: ["stage": "due", "channel": Channel.email, "locale": Language.en, "combined": true])
        try roundTrip(
            db,
            TemplateVariantRecord(
                stage: "due", channel: .sms, locale: .fr, combined: false, body: "{{link}}", share: 30, updatedAt: now),
            key: ["stage": "due", "channel": Channel.sms, "locale": Language.fr, "combined": false])
        try roundTrip(
            db,
            ReminderStageRecord(
                key: "extra", position: 5, offsetDays: 60, repeatEveryDays: 14, enabled: false, channels: "sms,email"),
            key: ["key": "extra"])
        // The single-row tables exist from the first migration: written over, then read back.
        try roundTrip(
            db,
            BusinessRecord(
                id: 1, name: "Atelier", phone: "+33140000000", email: "contact@atelier.example", address: "Paris",
                paymentURL: "https://pay.example", bankBeneficiary: "Atelier SARL",
                bankIBAN: "FR7630006000011234567890189", bankBIC: "AGRIFRPP", defaultLocale: "en",
                timeZone: "Europe/Paris", linkLifetimeDays: 30, legal: "SIRET 1", logo: Data([0x89, 0x50]),
                logoType: "image/png", logoHash: "abcdef012345"),
            key: ["id": 1], update: true)
        try roundTrip(
            db,
            SendingRulesRecord(
                id: 1, windowStartHour: 8, windowEndHour: 20, weekdays: "1,2,3,4,5", holidays: "2026-12-25",
                smsMinimumIntervalHours: 48, pauseOnReply: false),
            key: ["id": 1], update: true)
        try roundTrip(
            db,
            PlanSettingsRecord(
                id: 1, maximumInstalments: 6, maximumSpanDays: 180, minimumInstalment: 2_000, autoAccept: true,
                autoAcceptMaximumInstalments: 3, autoAcceptMaximumSpanDays: 60, reminderOffsets: "-2,0,2",
                breakAfterDays: 7, replyTimeFr: "sous 48 h", replyTimeEn: "within 48 hours"),
            key: ["id": 1], update: true)
        return Rows(
            message: message, messageEvent: messageEvent, invoiceEvent: invoiceEvent, webhookEvent: webhookEvent)
    }

    /// Inserts a record with an auto-incremented id and checks it reads back equal.
    @discardableResult
    static func roundTrip<R>(_ db: Database, _ record: R, file: StaticString = #filePath, line: UInt = #line) throws
        -> R
    where R: MutablePersistableRecord & FetchableRecord & Equatable & AutoIncrementedRow {
        var inserted = record
        try inserted.insert(db)
        let id = try inserted.storedID()
        XCTAssertEqual(try R.fetchOne(db, key: id), inserted, R.databaseTableName, file: file, line: line)
        return inserted
    }

    /// Inserts (or, for a single-row table, updates) a record with a key of its own and checks it reads
    /// back equal.
    static func roundTrip<R>(
        _ db: Database, _ record: R, key: [String: (any DatabaseValueConvertible)?], update: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) throws where R: PersistableRecord & FetchableRecord & Equatable {
        if update {
            try record.update(db)
        } else {
            try record.insert(db)
        }
        XCTAssertEqual(try R.fetchOne(db, key: key), record, R.databaseTableName, file: file, line: line)
    }

    // MARK: - Enums against the schema's CHECKs

    func testEveryStoredEnumHasExactlyTheValuesItsCheckAllows() async throws {
        let temporary = try TemporaryStore("records")
        defer { temporary.cleanUp() }
        // `also` keeps the other CHECKs of the row true while the column takes each value.
        let checked: [(table: String, column: String, values: [String], also: String)] = [
            ("message", "status", MessageStatus.allCases.map(\.rawValue), ""),
            ("message", "channel", Channel.allCases.map(\.rawValue), ""),
            ("message", "encoding", SMSEncoding.allCases.map(\.rawValue), ""),
            ("message", "variant", WordingVariant.allCases.map(\.rawValue), ""),
            (
                "request", "kind", RequestKind.allCases.map(\.rawValue),
                ", schedule = CASE WHEN ?1 = 'plan' THEN '2026-04-01:100' END"
            ),
            ("request", "status", RequestStatus.allCases.map(\.rawValue), ""),
            ("request", "contact", ContactPreference.allCases.map(\.rawValue), ""),
            ("request", "callback", CallbackTime.allCases.map(\.rawValue), ""),
            (
                "plan", "status", PlanStatus.allCases.map(\.rawValue),
                ", ended_at = CASE WHEN ?1 = 'active' THEN NULL ELSE ended_at END"
            ),
            ("webhook_delivery", "status", WebhookDeliveryStatus.allCases.map(\.rawValue), ""),
            ("link", "purpose", LinkPurpose.allCases.map(\.rawValue), ""),
            ("click", "agent", UserAgentClass.allCases.map(\.rawValue), ""),
            ("inbound", "keyword", ReplyKeyword.allCases.map(\.rawValue), ""),
            ("user", "role", UserRole.allCases.map(\.rawValue), ""),
            ("user", "language", Language.allCases.map(\.rawValue), ""),
            ("reminder", "channel", Channel.allCases.map(\.rawValue), ""),
            ("message_template", "channel", Channel.allCases.map(\.rawValue), ""),
            ("message_template", "locale", Language.allCases.map(\.rawValue), ""),
            ("template_variant", "channel", Channel.allCases.map(\.rawValue), ""),
            ("template_variant", "locale", Language.allCases.map(\.rawValue), ""),
        ]
        try await temporary.store.pool.write { db in
            _ = try Self.oneOfEach(db)
            // One reminder row only, so that changing its channel meets no UNIQUE.
            try db.execute(sql: "DELETE FROM reminder WHERE message_id IS NULL")
            for (table, column, values, also) in checked {
                let schema = try XCTUnwrap(
                    String.fetchOne(
                        db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                        arguments: [table]))
                let allowed = try XCTUnwrap(Self.allowedValues(in: schema, column: column), "\(table).\(column)")
                XCTAssertEqual(Set(values), Set(allowed), "\(table).\(column)")
                XCTAssertEqual(values.count, Set(values).count, "\(table).\(column)")
                for value in values {
                    try db.inSavepoint {
                        try db.execute(sql: "UPDATE \(table) SET \(column) = ?1\(also)", arguments: [value])
                        XCTAssertGreaterThan(db.changesCount, 0, "\(table).\(column) = \(value)")
                        return .rollback
                    }
                }
                do {
                    try db.inSavepoint {
                        try db.execute(sql: "UPDATE \(table) SET \(column) = ?1\(also)", arguments: ["not-a-value"])
                        return .rollback
                    }
                    XCTFail("\(table).\(column) took a value its CHECK does not list")
                } catch let error as DatabaseError {
                    XCTAssertEqual(error.resultCode, .SQLITE_CONSTRAINT, "\(table).\(column)")
                }
            }
            // Two kinds are guarded by triggers (their tables predate the CHECKs): the same promise.
            let triggered: [(table: String, values: [String])] = [
                ("message", MessageKind.allCases.map(\.rawValue)),
                ("invoice_event", InvoiceEventKind.allCases.map(\.rawValue)),
            ]
            for (table, values) in triggered {
                for event in ["insert", "update"] {
                    let trigger = try XCTUnwrap(
                        String.fetchOne(
                            db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                            arguments: ["\(table)_kind_known_on_\(event)"]))
                    let listed = try XCTUnwrap(Self.allowedValues(in: trigger, column: "NEW.kind NOT"), trigger)
                    XCTAssertEqual(Set(listed), Set(values), "\(table) \(event)")
                }
                for value in values {
                    try db.inSavepoint {
                        try db.execute(sql: "UPDATE \(table) SET kind = ?", arguments: [value])
                        XCTAssertGreaterThan(db.changesCount, 0, "\(table).kind = \(value)")
                        return .rollback
                    }
                }
                let insert =
                    table == "message"
                    ? """
                    INSERT INTO message (customer_id, kind, channel, recipient, body, status, created_at, updated_at)
                    SELECT customer_id, 'not-a-kind', channel, recipient, body, status, created_at, updated_at
                    FROM message LIMIT 1
                    """
                    : "INSERT INTO invoice_event (invoice_id, at, kind) SELECT invoice_id, at, 'not-a-kind' FROM invoice_event LIMIT 1"
                for sql in ["UPDATE \(table) SET kind = 'not-a-kind'", insert] {
                    do {
                        try db.execute(sql: sql)
                        XCTFail("\(table).kind took a value Relance never writes: \(sql)")
                    } catch let error as DatabaseError {
                        XCTAssertEqual(error.message, "\(table).kind: not a kind Relance writes")
                    }
                }
            }
        }
    }

    /// The quoted values of `column IN ('a', 'b')` in a CREATE TABLE statement.
    static func allowedValues(in schema: String, column: String) -> [String]? {
        var rest = schema.startIndex..<schema.endIndex
        while let found = schema.range(of: "\(column) IN (", range: rest) {
            rest = found.upperBound..<schema.endIndex
            // A whole column name, not the end of a longer one.
            guard found.lowerBound == schema.startIndex || " (".contains(schema[schema.index(before: found.lowerBound)])
            else { continue }
            guard let close = schema[found.upperBound...].firstIndex(of: ")") else { return nil }
            return schema[found.upperBound..<close].split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " '"))
            }
        }
        return nil
    }
}
