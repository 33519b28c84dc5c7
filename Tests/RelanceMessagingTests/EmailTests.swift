import Foundation
import GRDB
import Logging
import RelanceCore
import RelanceProviders
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceMessaging
@testable import RelanceStore

/// A real SMTP server (aiosmtpd, `Tests/e2e/smtp_server.py`) on loopback for one test: STARTTLS
/// with AUTH, implicit TLS with AUTH, and a plain relay, behind a private CA in `directory`.
final class SMTPTestServer {
    let process = Process()
    let stdin = Pipe()
    let directory: URL
    let ports: [String: Int]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relance-smtp-\(UUID().uuidString)")
        let environment = ProcessInfo.processInfo.environment
        guard
            let python = (environment["PATH"] ?? "/usr/bin").split(separator: ":").map({ "\($0)/python3" })
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else { throw XCTSkip("python3 is needed") }
        let repository = Repository.root
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repository.appendingPathComponent("Tests/e2e/smtp_server.py").path, directory.path]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let ports = try? JSONDecoder().decode([String: Int].self, from: line) else {
            let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if errors.contains("ModuleNotFoundError") {
                if environment["RELANCE_REQUIRE_TOOLS"] == "1" { XCTFail("pip install aiosmtpd cryptography") }
                throw XCTSkip("pip install aiosmtpd cryptography to run the SMTP tests")
            }
            throw XCTSkip("the SMTP test server did not start: \(errors)")
        }
        self.ports = ports
    }

    var caFile: String { directory.appendingPathComponent("ca.pem").path }

    /// Every message the server accepted, in order, as its JSON record.
    func received() throws -> [[String: Any]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted { Int($0.dropLast(5))! < Int($1.dropLast(5))! }
        return try names.map {
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent($0)))
                as! [String: Any]
        }
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

final class EmailTests: XCTestCase {
    var directory: URL!
    var store: Store!
    var server: SMTPTestServer!
    let keyring = try! LinkKeyring(parsing: LinkKeyring.generate())
    var links: LinkSettings { LinkSettings(baseURL: "https://pay.example.com", keyring: keyring) }

    override func setUpWithError() throws {
        let temporary = try TemporaryStore("email")
        (directory, store) = (temporary.directory, temporary.store)
        server = try SMTPTestServer()
    }

    override func tearDownWithError() throws {
        server?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func at(_ text: String) -> Date { Instant.parse(text)! }

    func client(_ url: String, ca: Bool = true, timeout: Duration = .seconds(15)) throws -> SMTPClient {
        try SMTPClient(
            configuration: SMTPConfiguration(
                url: url, from: "relances@atelier-martin.example", caFile: ca ? server.caFile : nil, timeout: timeout))
    }

    var startTLS: String { "smtp://relance:s3cret%20pass@localhost:\(server.ports["starttls"]!)" }
    var implicitTLS: String { "smtps://relance:s3cret%20pass@localhost:\(server.ports["tls"]!)" }

    func provider(_ url: String, ca: Bool = true) throws -> SMTPEmailProvider {
        SMTPEmailProvider(client: try client(url, ca: ca)) {
            ("Atelier Martin — Réparations", "contact@atelier.example")
        }
    }

    func dispatcher(_ provider: any MessageProvider, now: String) -> Dispatcher {
        Dispatcher(
            store: store, provider: provider, channel: .email, clock: .fixed(at(now)), logger: Logger(label: "test"),
            ratePerSecond: 1000, concurrency: 1)
    }

    /// An invoice whose final notice (SMS and email by default) is due on 17 April 2026.
    @discardableResult
    func invoice(
        _ number: String, email: String?, name: String = "Élodie Fontaine", phone: String? = "+33612345678"
    ) async throws -> InvoiceSummary {
        try await store.saveBusiness(
            Business(
                BusinessProfile(
                    name: "Atelier Martin", phone: "+33123456789", email: "contact@atelier.example",
                    address: "3 rue des Lilas, 75011 Paris", legal: "SIRET 123 456 789 00012")))
        return try await store.createInvoice(
            NewInvoice(
                number: number,
                customer: CustomerInput(
                    name: name, phone: phone.flatMap { PhoneNumber($0) }, email: email, locale: "fr",
                    timeZone: "Europe/Paris"),
                amount: Money(minorUnits: 48_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
    }

    /// Skips the earlier stages, so the next tick is the final notice's.
    func skipToFinal(_ invoiceID: Int64) async throws {
        try await store.pool.write { db in
            for stage in ["courtesy", "due", "late"] {
                try db.execute(
                    sql: """
                        INSERT INTO reminder (invoice_id, stage, occurrence, channel, skipped_reason, created_at)
                        VALUES (?, ?, 1, 'sms', 'test', '2026-03-01T10:00:00Z')
                        """, arguments: [invoiceID, stage])
            }
            try db.execute(
                sql: "UPDATE invoice SET next_action_at = ? WHERE id = ?",
                arguments: [Instant.parse("2026-04-17T07:00:00Z")!, invoiceID])
        }
    }

    func status(_ messageID: Int64) async throws -> (status: String, error: String?, attempts: Int) {
        try await store.pool.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT status, error, attempts FROM message WHERE id = ?", arguments: [messageID])!
            return (row["status"], row["error"], row["attempts"])
        }
    }

    // MARK: - The final notice, end to end

    func testTheFinalNoticeGoesByTextAndByEmailThroughSTARTTLSWithItsHeadersAndBothParts() async throws {
        let invoice = try await invoice("F-2026-0101", email: "elodie@client.example")
        try await skipToFinal(invoice.id)
        let summary = try await ReminderScheduler(storage: store, links: links).tick(now: at("2026-04-17T07:00:00Z"))
        XCTAssertEqual(summary.queued.map(\.channel).sorted { $0.rawValue < $1.rawValue }, [.email, .sms])
        let queued = try XCTUnwrap(summary.queued.first { $0.channel == .email })
        XCTAssertEqual(queued.recipient, "elodie@client.example")
        XCTAssertEqual(queued.subject, "Dernier rappel : facture F-2026-0101 impayée")

        let sent = try await dispatcher(try provider(startTLS), now: "2026-04-17T07:00:05Z").drain()
        XCTAssertEqual(sent, 1, "only the email dispatcher's channel is drained")
        let recorded = try await status(queued.messageID)
        XCTAssertEqual(recorded.status, "sent")

        let mail = try XCTUnwrap(try server.received().first)
        XCTAssertEqual(mail["tls"] as? Bool, true)
        XCTAssertEqual(mail["authenticated"] as? Bool, true)
        XCTAssertEqual(mail["mail_from"] as? String, "relances@atelier-martin.example")
        XCTAssertEqual(mail["rcpt_tos"] as? [String], ["elodie@client.example"])
        // Non-ASCII subject and name arrive encoded (the message is 7-bit) and decode to the text.
        XCTAssertEqual(mail["ascii_only"] as? Bool, true)
        let rawHeaders = try XCTUnwrap(mail["raw_headers"] as? String)
        XCTAssertTrue(rawHeaders.contains("Subject: =?UTF-8?B?"), rawHeaders)
        XCTAssertEqual(mail["subject"] as? String, "Dernier rappel : facture F-2026-0101 impayée")
        XCTAssertEqual(mail["from"] as? String, "Atelier Martin — Réparations <relances@atelier-martin.example>")
        XCTAssertEqual(mail["reply_to"] as? String, "contact@atelier.example")
        XCTAssertEqual(mail["to"] as? String, "elodie@client.example")
        let unsubscribe = try XCTUnwrap(mail["list_unsubscribe"] as? String)
        XCTAssertTrue(unsubscribe.hasPrefix("<https://pay.example.com/u/"), unsubscribe)
        XCTAssertEqual(mail["list_unsubscribe_post"] as? String, "List-Unsubscribe=One-Click")
        XCTAssertEqual(mail["content_type"] as? String, "multipart/alternative")
        let token = String(unsubscribe.dropFirst("<https://pay.example.com/u/".count).dropLast())
        XCTAssertEqual(keyring.verifyUnsubscribe(token), invoice.customerID)

        // The text part: the customer's name, the amount, the invoice's own link.
        let text = try XCTUnwrap(mail["text"] as? String)
        XCTAssertTrue(text.hasPrefix("Bonjour Élodie Fontaine,"), text)
        XCTAssertTrue(text.contains("la facture F-2026-0101 de 480,00\u{A0}€, échue le 18/03, reste impayée"), text)
        let link = try XCTUnwrap(
            text.split(whereSeparator: \.isNewline).first { $0.hasPrefix("https://pay.example.com/p/") })
        guard
            case .valid(let signed) = SignedLink.verify(
                link.dropFirst(26), keyring: keyring, now: at("2026-04-17T07:00:00Z"))
        else { return XCTFail("the email's link does not open the invoice: \(link)") }
        let carried = try await store.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT message_id FROM link WHERE id = ?", arguments: [signed.linkID])
        }
        XCTAssertEqual(carried, queued.messageID, "the link remembers it came by email")
        // The HTML part: the same words, the link as a button, the business's details and unsubscribe.
        let html = try XCTUnwrap(mail["html"] as? String)
        XCTAssertTrue(html.contains("<a href=\"\(link)\""), html)
        XCTAssertTrue(html.contains("Voir et régler la facture"), html)
        XCTAssertTrue(html.contains("SIRET 123 456 789 00012"), html)
        XCTAssertTrue(html.contains("Ne plus recevoir de rappels par e-mail"), html)
        XCTAssertTrue(html.contains("Élodie Fontaine"))
        XCTAssertTrue(
            text.contains("-- \r\nAtelier Martin\r\n3 rue des Lilas, 75011 Paris\r\nSIRET 123 456 789 00012\r\n")
                || text.contains("-- \nAtelier Martin\n3 rue des Lilas, 75011 Paris\nSIRET 123 456 789 00012\n"), text)
        XCTAssertTrue(text.contains("Ne plus recevoir de rappels par e-mail : https://pay.example.com/u/"), text)

        // The SMS of the same slot is still queued for the SMS dispatcher, untouched by this one.
        let sms = try XCTUnwrap(summary.queued.first { $0.channel == .sms })
        let smsStatus = try await status(sms.messageID)
        XCTAssertEqual(smsStatus.status, "queued")
    }

    func testImplicitTLSAndALineStartingWithADotArriveIntact() async throws {
        let body =
            "Première ligne\n.une ligne qui commence par un point\n..et deux\n" + String(repeating: "é", count: 120)
        let message = EmailMessage(
            fromAddress: "relances@atelier-martin.example", fromName: "Atelier Martin", to: "paul@client.example",
            subject: "Facture F-7 : échéance dépassée depuis 12 jours, merci de régulariser rapidement", text: body,
            html: "<p>Bonjour</p>", messageID: "t1@atelier-martin.example", date: at("2026-04-17T07:00:00Z"))
        let answer = try await client(implicitTLS).send(message)
        XCTAssertTrue(answer.contains("queued as"), answer)
        let mail = try XCTUnwrap(try server.received().first)
        XCTAssertEqual(mail["server"] as? String, "tls")
        XCTAssertEqual(mail["tls"] as? Bool, true)
        XCTAssertEqual(
            mail["subject"] as? String, message.subject, "a long non-ASCII subject over several encoded words")
        XCTAssertEqual((mail["text"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n"), body)
    }

    // MARK: - Faults: each failure is sorted into "try again" or "give up"

    func testARefusedRecipientFailsForGoodAndABusyOneIsRetried() async throws {
        let refused = try await invoice("F-1", email: "refuse@client.example", name: "Refus")
        let busy = try await store.createInvoice(
            NewInvoice(
                number: "F-2",
                customer: CustomerInput(name: "Occupé", email: "later@client.example", locale: "fr"),
                amount: Money(minorUnits: 1_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
        try await skipToFinal(refused.id)
        try await skipToFinal(busy.id)
        let summary = try await ReminderScheduler(storage: store, links: links).tick(now: at("2026-04-17T07:00:00Z"))
        let emails = summary.queued.filter { $0.channel == .email }
        XCTAssertEqual(emails.count, 2, "\(summary)")
        guard emails.count == 2 else { return }
        try await dispatcher(try provider(startTLS), now: "2026-04-17T07:00:05Z").drain()
        let first = try await status(emails.first { $0.recipient.hasPrefix("refuse") }!.messageID)
        XCTAssertEqual(first.status, "failed")
        XCTAssertTrue(first.error?.contains("550") == true, first.error ?? "")
        let second = try await status(emails.first { $0.recipient.hasPrefix("later") }!.messageID)
        XCTAssertEqual(second.status, "queued", "451 is worth another try")
        XCTAssertTrue(second.error?.contains("451") == true, second.error ?? "")
        XCTAssertEqual(try server.received().count, 0)
    }

    func testTransientFaultsAreNeverMistakenForAPermanentRefusalAndNothingIsSent() async throws {
        let message = EmailMessage(
            fromAddress: "relances@atelier-martin.example", fromName: nil, to: "paul@client.example", subject: "x",
            text: "x", messageID: "t2@atelier-martin.example", date: at("2026-04-17T07:00:00Z"))
        func failure(_ client: SMTPClient) async -> SMTPError? {
            do {
                _ = try await client.send(message)
                return nil
            } catch {
                return error
            }
        }
        // A wrong password.
        var error = await failure(try client("smtp://relance:wrong@localhost:\(server.ports["starttls"]!)"))
        guard case .transient(let reason) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(reason.contains("535"), reason)
        XCTAssertFalse(reason.contains("wrong"), "the password never appears in an error: \(reason)")
        // A certificate nobody vouches for.
        error = await failure(try client(startTLS, ca: false))
        guard case .transient(let tls) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(tls.contains("TLS"), tls)
        // A server that does not offer STARTTLS: nothing is sent in clear.
        error = await failure(try client("smtp://relance:x@localhost:\(server.ports["plain"]!)"))
        guard case .transient(let clear) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(clear.contains("STARTTLS"), clear)
        // Nobody listening.
        let closed = try await freePort()
        error = await failure(try client("smtps://relance:x@localhost:\(closed)"))
        guard case .transient = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(try server.received().count, 0)
        // A plain relay is fine when asked for explicitly, without credentials.
        let answer = try await client("smtp://localhost:\(server.ports["plain"]!)?tls=none").send(message)
        XCTAssertTrue(answer.contains("queued"))
    }

    func testAServerThatNeverAnswersTimesOutAsATransientFailure() async throws {
        let listener = try Socket.listen()
        defer { listener.close() }
        let start = ContinuousClock.now
        do {
            _ = try await client("smtps://relance:x@localhost:\(listener.port)", timeout: .seconds(2)).send(
                EmailMessage(
                    fromAddress: "a@b.example", fromName: nil, to: "c@d.example", subject: "x", text: "x",
                    messageID: "t3@b.example", date: Date()))
            XCTFail("a silent server must not count as sent")
        } catch SMTPError.transient(let reason) {
            XCTAssertTrue(reason.contains("no answer") || reason.contains("TLS"), reason)
        } catch {
            XCTFail("\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(20))
    }

    func testPolicyRefusalsAndAFullMailboxAreRetriedNotCountedAgainstTheRecipient() async throws {
        for recipient in ["full@client.example", "relay@client.example"] {
            do {
                _ = try await client(startTLS).send(
                    EmailMessage(
                        fromAddress: "relances@atelier-martin.example", fromName: nil, to: recipient, subject: "x",
                        text: "x", messageID: "t5@atelier-martin.example", date: at("2026-04-17T07:00:00Z")))
                XCTFail("\(recipient) was accepted")
            } catch SMTPError.transient(let reason) {
                XCTAssertTrue(reason.contains("RCPT TO:<\(recipient)>: 55"), reason)
            } catch {
                XCTFail("\(recipient): \(error) should be worth another try")
            }
        }
    }

    func testAnAnswerLostAfterTheMessageWasHandedOverIsUnknownAndNeverSentAgain() async throws {
        let invoice = try await invoice("F-2026-0102", email: "slow@client.example")
        try await skipToFinal(invoice.id)
        let summary = try await ReminderScheduler(storage: store, links: links).tick(now: at("2026-04-17T07:00:00Z"))
        let queued = try XCTUnwrap(summary.queued.first { $0.channel == .email })
        let impatient = SMTPEmailProvider(
            client: try SMTPClient(
                configuration: SMTPConfiguration(
                    url: startTLS, from: "relances@atelier-martin.example", caFile: server.caFile,
                    timeout: .seconds(5), dataTimeout: .seconds(1)))
        ) { ("Atelier Martin", nil) }
        try await dispatcher(impatient, now: "2026-04-17T07:00:05Z").drain()
        let recorded = try await status(queued.messageID)
        XCTAssertEqual(recorded.status, "unknown", recorded.error ?? "")
        XCTAssertTrue(recorded.error?.contains("after the message was sent") == true, recorded.error ?? "")
        // Later drains leave it alone: a second copy would be worse than none.
        let again = try await dispatcher(impatient, now: "2026-04-18T07:00:05Z").drain()
        XCTAssertEqual(again, 0)
    }

    func testConfigurationRefusesCredentialsInClearAndReadsEachForm() throws {
        XCTAssertThrowsError(try SMTPConfiguration(url: "smtp://u:p@mail.example?tls=none", from: "a@b.example"))
        XCTAssertThrowsError(try SMTPConfiguration(url: "http://mail.example", from: "a@b.example"))
        XCTAssertThrowsError(try SMTPConfiguration(url: "smtp://mail.example", from: "not an address"))
        let implicit = try SMTPConfiguration(url: "smtps://me%40x.example:p%2Fw@mail.example", from: "a@b.example")
        XCTAssertEqual(implicit.port, 465)
        XCTAssertEqual(implicit.security, .implicitTLS)
        XCTAssertEqual(implicit.username, "me@x.example")
        XCTAssertEqual(implicit.password, "p/w")
        XCTAssertEqual(implicit.redacted, "smtps://me@x.example:***@mail.example:465")
        let submission = try SMTPConfiguration(url: "smtp://mail.example", from: "a@b.example")
        XCTAssertEqual(submission.port, 587)
        XCTAssertEqual(submission.security, .startTLS)
        XCTAssertEqual(try SMTPConfiguration(url: "smtp://relay?tls=none", from: "a@b.example").port, 25)
        XCTAssertEqual(submission.heloName, "b.example", "EHLO names the sender's domain")
        XCTAssertThrowsError(try SMTPConfiguration(url: "smtp://mail.example?ehlo=a%0D%0AMAIL", from: "a@b.example"))
    }

    // MARK: - Consent

    func testCustomersWithoutAnAddressOrWhoUnsubscribedGetTheTextOnly() async throws {
        let none = try await invoice("F-1", email: nil)
        try await skipToFinal(none.id)
        var summary = try await ReminderScheduler(storage: store, links: links).tick(now: at("2026-04-17T07:00:00Z"))
        XCTAssertEqual(summary.queued.map(\.channel), [.sms])
        XCTAssertEqual(summary.skipped.map(\.reason), ["no email address"])

        // Without an SMTP server set up, email slots are recorded as skipped, never faked as sent.
        let unset = try await store.createInvoice(
            NewInvoice(
                number: "F-3", customer: CustomerInput(name: "Léa", email: "lea@client.example", locale: "fr"),
                amount: Money(minorUnits: 1_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
        try await skipToFinal(unset.id)
        summary = try await ReminderScheduler(storage: store, links: links).tick(
            now: at("2026-04-17T08:00:00Z"), emailEnabled: false)
        XCTAssertEqual(summary.queued.map(\.channel), [])
        XCTAssertEqual(summary.skipped.map(\.reason), ["no phone number", "email is not set up (RELANCE_SMTP_URL)"])

        let other = try await store.createInvoice(
            NewInvoice(
                number: "F-2", customer: CustomerInput(name: "Paul", email: "paul@client.example", locale: "en"),
                amount: Money(minorUnits: 1_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
        try await skipToFinal(other.id)
        // Queued, then the customer unsubscribes before it goes: it is cancelled, never sent.
        summary = try await ReminderScheduler(storage: store, links: links).tick(now: at("2026-04-18T07:00:00Z"))
        let queued = try XCTUnwrap(summary.queued.first { $0.channel == .email })
        XCTAssertEqual(queued.subject, "Final notice: invoice F-2 is unpaid")
        let changed = try await store.optOutOfEmail(customerID: other.customerID, now: at("2026-04-18T07:00:01Z"))
        XCTAssertTrue(changed)
        let again = try await store.optOutOfEmail(customerID: other.customerID, now: at("2026-04-18T07:00:02Z"))
        XCTAssertFalse(again)
        let recorded = try await status(queued.messageID)
        XCTAssertEqual(recorded.status, "cancelled")
        let sent = try await dispatcher(try provider(startTLS), now: "2026-04-18T07:00:05Z").drain()
        XCTAssertEqual(sent, 0)
        XCTAssertEqual(try server.received().count, 0)
    }

    func freePort() async throws -> Int {
        let socket = try Socket.listen()
        let port = socket.port
        socket.close()
        return port
    }
}

/// A listening TCP socket on 127.0.0.1 that accepts nothing: a server that never answers.
struct Socket {
    let descriptor: Int32
    let port: Int

    static func listen() throws -> Socket {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, Glibc.listen(descriptor, 8) == 0 else { throw XCTSkip("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Socket(descriptor: descriptor, port: Int(UInt16(bigEndian: address.sin_port)))
    }

    func close() { _ = Glibc.close(descriptor) }
}

extension EmailTests {
    func testSendingTheFinalNoticeNowSendsItsEmailTooSinceTheSlotIsThenUsed() async throws {
        let invoice = try await invoice("F-2026-0103", email: "elodie@client.example")
        try await skipToFinal(invoice.id)
        let queued = try await store.remindNow(
            invoiceID: invoice.id, now: at("2026-04-17T07:00:00Z"), links: links, emailEnabled: true)
        XCTAssertEqual(queued.stage, "final")
        let email = try XCTUnwrap(queued.email)
        XCTAssertEqual(email.recipient, "elodie@client.example")
        XCTAssertEqual(email.subject, "Dernier rappel : facture F-2026-0103 impayée")
        let recorded = try await status(email.messageID)
        XCTAssertEqual(recorded.status, "queued")
        // Without email set up, only the text goes.
        let other = try await store.createInvoice(
            NewInvoice(
                number: "F-9",
                customer: CustomerInput(
                    name: "Paul", phone: PhoneNumber("+33698765432"), email: "paul@client.example", locale: "fr"),
                amount: Money(minorUnits: 1_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
        try await skipToFinal(other.id)
        let textOnly = try await store.remindNow(invoiceID: other.id, now: at("2026-04-17T07:00:00Z"), links: links)
        XCTAssertNil(textOnly.email)
        // Nothing is sent twice by the next tick: the slot is used on both channels.
        let summary = try await ReminderScheduler(storage: store, links: links).tick(now: at("2026-04-17T07:05:00Z"))
        XCTAssertEqual(summary.queued.count, 0)
    }
}

extension EmailTests {
    func testSendingNowFollowsTheStagesChannelsAndAnEmailOnlyCustomerGetsTheEmail() async throws {
        // No phone at all: the final notice goes by email alone.
        let invoice = try await invoice("F-2026-0104", email: "elodie@client.example", phone: nil)
        try await skipToFinal(invoice.id)
        let queued = try await store.remindNow(
            invoiceID: invoice.id, now: at("2026-04-17T07:00:00Z"), links: links, emailEnabled: true)
        XCTAssertEqual(queued.channel, .email)
        XCTAssertEqual(queued.recipient, "elodie@client.example")
        XCTAssertEqual(queued.subject, "Dernier rappel : facture F-2026-0104 impayée")
        XCTAssertNil(queued.email)
        // Without email set up, the same request is refused for what it is.
        let other = try await store.createInvoice(
            NewInvoice(
                number: "F-8", customer: CustomerInput(name: "Paul", email: "paul@client.example", locale: "fr"),
                amount: Money(minorUnits: 1_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
        try await skipToFinal(other.id)
        do {
            _ = try await store.remindNow(invoiceID: other.id, now: at("2026-04-17T07:00:00Z"), links: links)
            XCTFail("nothing can reach this customer")
        } catch RemindRefusal.noPhone {
        }
        // A stage that goes by email only never sends a text, even to a customer with a phone.
        let policy = try ReminderPolicy(stages: [
            ReminderStage(key: "due", offsetDays: 0, channels: [.sms]),
            ReminderStage(key: "final", offsetDays: 30, channels: [.email]),
        ])
        try await store.savePolicy(policy, now: at("2026-03-01T10:00:00Z"))
        let third = try await store.createInvoice(
            NewInvoice(
                number: "F-7",
                customer: CustomerInput(
                    name: "Léa", phone: PhoneNumber("+33698765432"), email: "lea@client.example", locale: "fr"),
                amount: Money(minorUnits: 1_000, currency: Currency(code: "EUR")!),
                issuedOn: CalendarDate(iso: "2026-02-01")!, dueOn: CalendarDate(iso: "2026-03-18")!),
            now: at("2026-03-01T10:00:00Z"))
        try await skipToFinal(third.id)
        do {
            _ = try await store.remindNow(invoiceID: third.id, now: at("2026-04-17T07:00:00Z"), links: links)
            XCTFail("an email-only stage without email set up sends nothing")
        } catch RemindRefusal.noEmail {
        }
        let byEmail = try await store.remindNow(
            invoiceID: third.id, now: at("2026-04-17T07:00:00Z"), links: links, emailEnabled: true)
        XCTAssertEqual(byEmail.channel, .email)
        XCTAssertEqual(byEmail.recipient, "lea@client.example")
    }
}
