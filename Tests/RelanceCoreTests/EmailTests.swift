import Foundation
import XCTest

@testable import RelanceCore

final class EmailFormatTests: XCTestCase {
    func testAddressesThatCouldBreakAHeaderOrACommandAreRefused() {
        for good in ["a@b.example", "first.last+tag@sub.example.co.uk", "o'neil@example.com"] {
            XCTAssertTrue(EmailAddress.isValid(good), good)
        }
        for bad in [
            "", "a", "a@", "@b.example", "a@b", "a b@c.example", "a@b.example\r\nBcc: x@y.example", "<a@b.example>",
            "a@-b.example", "a..b@c.example", ".a@b.example", "é@b.example", "a@b.exam_ple",
            String(repeating: "a", count: 65) + "@b.example",
        ] {
            XCTAssertFalse(EmailAddress.isValid(bad), bad)
        }
    }

    /// The API once took an address with the loose `looksLikeEmail` and the reminder was then skipped at
    /// send time (`EmailAddress.isValid`); each address here is one it took and sending refused. Now the
    /// one rule gives one answer for an invoice's customer, the business profile and the send path.
    func testTheAPIAndTheSendPathGiveOneAnswerForAnAddress() throws {
        func draft(_ email: String) -> InvoiceDraft {
            var draft = InvoiceDraft()
            draft.number = "F-1"
            draft.customer?.name = "Camille Durand"
            draft.customer?.email = email
            draft.currency = "EUR"
            draft.amount = 12_000
            draft.issuedOn = "2026-03-01"
            draft.dueOn = "2026-03-31"
            return draft
        }
        let takenThenSkipped = [
            "jean..dupont@example.com", "léa@example.fr", "a@exämple.fr", "a<b>@example.com", "a@-b.example",
        ]
        for once in takenThenSkipped {
            XCTAssertFalse(EmailAddress.isValid(once), once)
            XCTAssertThrowsError(try InvoiceRules.check(draft(once)), once) { error in
                XCTAssertEqual((error as? FieldProblems)?.list.map(\.field), ["customer.email"], once)
                XCTAssertEqual((error as? FieldProblems)?.list.map(\.code), [.email], once)
            }
            var business = BusinessProfile.Draft()
            business.name = "Atelier Martin"
            business.email = once
            business.defaultLocale = "fr"
            business.timeZone = "Europe/Paris"
            business.linkLifetimeDays = 30
            XCTAssertThrowsError(try BusinessProfile(checking: business), once)
        }
        let good = "camille.durand+factures@example.co.uk"
        XCTAssertTrue(EmailAddress.isValid(good))
        XCTAssertEqual(try InvoiceRules.check(draft(good)).customer.email, good)
    }

    /// The byte-by-byte check says what the first, character-based one said, on addresses made of the
    /// characters that matter (dots, dashes, at signs, spaces, quotes, accents, brackets).
    func testTheFastCheckAgreesWithTheRuleAsFirstWritten() {
        func reference(_ address: String) -> Bool {
            guard address.utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
            let local = address[..<at]
            let domain = address[address.index(after: at)...]
            guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."),
                !local.contains("..")
            else { return false }
            let forbidden = Set("()<>[]\\,;:\"@ ".utf8)
            guard local.utf8.allSatisfy({ $0 > 32 && $0 < 127 && !forbidden.contains($0) }) else { return false }
            let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2 else { return false }
            return labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 < 128 && isalnum(Int32($0)) != 0) }
            }
        }
        let anything = Array("ab.-@@ \"<é9Z_+\t")
        let domainCharacters = Array("ab9Z-..")
        var random = SeededRandom(seed: 14)
        func text(_ characters: [Character], _ lengths: ClosedRange<Int>) -> String {
            let length = Int.random(in: lengths, using: &random)
            return String((0..<length).map { _ in characters[Int.random(in: 0..<characters.count, using: &random)] })
        }
        var valid = 0
        for round in 0..<50_000 {
            // Most look like an address (something @ something dotted), the rest are anything at all.
            let address =
                round % 5 == 0 ? text(anything, 1...14) : text(anything, 1...5) + "@" + text(domainCharacters, 1...9)
            XCTAssertEqual(EmailAddress.isValid(address), reference(address), address)
            if reference(address) { valid += 1 }
        }
        XCTAssertGreaterThan(valid, 100, "the sample must hold valid addresses too")
        for address in ["a@b.c", "a.b@c-d.e", "a@-b.c", "a@b-.c", "a@b..c", ".a@b.c", "a..b@c.d", "a@b.c."] {
            XCTAssertEqual(EmailAddress.isValid(address), reference(address), address)
        }
    }

    func testQuotedPrintableKeepsLinesShortAndEncodesWhatIsNotPlainASCII() {
        XCTAssertEqual(MIME.quotedPrintable("échéance = 10 €"), "=C3=A9ch=C3=A9ance =3D 10 =E2=82=AC")
        // Trailing white space is encoded, since gateways strip it.
        XCTAssertEqual(MIME.quotedPrintable("fin \nsuite\t"), "fin=20\r\nsuite=09")
        let long = String(repeating: "é", count: 60) + " " + String(repeating: "x", count: 200)
        let encoded = MIME.quotedPrintable(long)
        for line in encoded.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.count, 76, line)
        }
        XCTAssertFalse(encoded.contains("=_"), "the multipart boundary starts with =_ and must never appear")
        XCTAssertEqual(Self.decodeQuotedPrintable(encoded), long)
    }

    func testNonASCIISubjectsBecomeEncodedWordsThatNeverSplitACharacter() {
        XCTAssertEqual(MIME.header("Subject", "Invoice F-1 is due"), "Subject: Invoice F-1 is due")
        let subject = "Dernier rappel : facture F-2026-0101 impayée — merci de régulariser sous huit jours ouvrés"
        let header = MIME.header("Subject", subject)
        let words = header.dropFirst("Subject: ".count).components(separatedBy: "\r\n ")
        XCTAssertGreaterThan(words.count, 1)
        var decoded = Data()
        for line in header.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.count, 76, "RFC 2047 §2: \(line)")
        }
        for word in words {
            XCTAssertLessThanOrEqual(word.count, 75, word)
            XCTAssertTrue(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="), word)
            let payload = try! XCTUnwrap(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            XCTAssertNotNil(String(data: payload, encoding: .utf8), "each word is whole characters")
            decoded += payload
        }
        XCTAssertEqual(String(decoding: decoded, as: UTF8.self), subject)
        // A line break in a value cannot start a new header.
        XCTAssertEqual(MIME.header("Subject", "a\r\nBcc: x@y.example"), "Subject: a  Bcc: x@y.example")
        XCTAssertEqual(MIME.mailbox("Atelier \"Martin\"", "a@b.example"), "\"Atelier \\\"Martin\\\"\" <a@b.example>")
        XCTAssertTrue(MIME.mailbox("Atelier Müller", "a@b.example").hasPrefix("=?UTF-8?B?"))
        let long = MIME.mailbox(String(repeating: "Réparations ", count: 12), "relances@atelier.example")
        for line in ("From: " + long).components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.count, 76, line)
        }
    }

    func testAMessageHasBothPartsTheUnsubscribeHeadersAndOnlyASCIIOnTheWire() {
        let message = EmailMessage(
            fromAddress: "relances@atelier.example", fromName: "Atelier Martin", to: "client@example.com",
            replyTo: "contact@atelier.example", subject: "Facture F-1 : échéance", text: "Bonjour,\n\nLien :",
            html: "<p>Bonjour</p>", unsubscribeURL: "https://pay.example.com/u/1.2.abc",
            messageID: "m1@atelier.example",
            date: Date(timeIntervalSince1970: 1_795_939_200))
        let wire = message.rendered()
        XCTAssertTrue(wire.utf8.allSatisfy { $0 < 128 })
        XCTAssertTrue(wire.hasPrefix("Date: Sun, 29 Nov 2026 08:00:00 +0000\r\n"), wire)
        XCTAssertTrue(wire.contains("\r\nList-Unsubscribe: <https://pay.example.com/u/1.2.abc>\r\n"))
        XCTAssertTrue(wire.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        XCTAssertTrue(wire.contains("\r\nAuto-Submitted: auto-generated\r\n"))
        XCTAssertTrue(wire.contains("Content-Type: multipart/alternative; boundary=\"=_relance_"))
        XCTAssertTrue(wire.contains("Content-Type: text/plain; charset=utf-8"))
        XCTAssertTrue(wire.contains("Content-Type: text/html; charset=utf-8"))
        XCTAssertFalse(wire.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")
        var plain = message
        plain.unsubscribeURL = "http://127.0.0.1:8080/u/1.2.abc"
        XCTAssertTrue(plain.rendered().contains("List-Unsubscribe: <http://127.0.0.1:8080/u/1.2.abc>"))
        XCTAssertFalse(plain.rendered().contains("List-Unsubscribe-Post"), "one-click needs https (RFC 8058)")
    }

    func testTheHTMLPartEscapesTheTextAndMakesTheLinkAButton() {
        let html = EmailHTML.render(
            text: "Bonjour <Marie> & co,\n\nhttps://pay.example.com/p/abc\n\nMerci",
            link: "https://pay.example.com/p/abc",
            buttonLabel: "Voir et régler la facture", businessName: "Martin & Fils", footer: ["3 rue des Lilas", ""],
            unsubscribe: ("https://pay.example.com/u/1.2.x", "Ne plus recevoir"), language: .fr)
        XCTAssertTrue(html.contains("Bonjour &lt;Marie&gt; &amp; co,"))
        XCTAssertTrue(html.contains("<a href=\"https://pay.example.com/p/abc\" style="))
        XCTAssertTrue(html.contains(">Voir et régler la facture</a>"))
        XCTAssertTrue(html.contains("<title>Martin &amp; Fils</title>"))
        XCTAssertTrue(html.contains("href=\"https://pay.example.com/u/1.2.x\""))
        XCTAssertFalse(html.contains("<Marie>"))
        XCTAssertTrue(html.contains(">Martin &amp; Fils</p>"), "without a logo, the name heads the email")
        let withLogo = EmailHTML.render(
            text: "Bonjour", link: "https://pay.example.com/p/abc", buttonLabel: "Payer", businessName: "Martin & Fils",
            footer: [], unsubscribe: nil, language: .fr, logoURL: "https://pay.example.com/logo?v=abc123")
        XCTAssertTrue(
            withLogo.contains(#"<img src="https://pay.example.com/logo?v=abc123" alt="Martin &amp; Fils""#), withLogo)
    }

    func testUnsubscribeTokensNameOneCustomerAndCannotBeForgedOrMoved() throws {
        let keyring = try LinkKeyring(parsing: LinkKeyring.generate())
        let token = keyring.unsubscribeToken(customerID: 42)
        XCTAssertEqual(keyring.verifyUnsubscribe(token), 42)
        let parts = token.split(separator: ".")
        XCTAssertNil(keyring.verifyUnsubscribe("\(parts[0]).43.\(parts[2])"), "another customer's id")
        XCTAssertNil(keyring.verifyUnsubscribe(token + "x"))
        XCTAssertNil(keyring.verifyUnsubscribe(""))
        XCTAssertNil(keyring.verifyUnsubscribe("0.42"))
        let other = try LinkKeyring(parsing: LinkKeyring.generate())
        XCTAssertNil(other.verifyUnsubscribe(token), "another instance's key")
        // After a key rotation, tokens in old emails still work.
        let rotated = try LinkKeyring(
            parsing: "2:" + Base64URL.encode(Crypto.randomBytes(32)) + "\n" + keyringText(keyring))
        XCTAssertEqual(rotated.verifyUnsubscribe(token), 42)
    }

    func testUnsubscribeLinksOutliveEveryLinkKey() throws {
        let secret = Crypto.randomBytes(32)
        let keyring = try LinkKeyring(parsing: LinkKeyring.generate()).withUnsubscribeKey(instanceSecret: secret)
        let token = keyring.unsubscribeToken(customerID: 42)
        XCTAssertTrue(token.hasPrefix("u.42."), token)
        // Every link key replaced and the old ones dropped: the email from years ago still unsubscribes.
        let later = try LinkKeyring(parsing: "7:" + Base64URL.encode(Crypto.randomBytes(32)))
            .withUnsubscribeKey(instanceSecret: secret)
        XCTAssertEqual(later.verifyUnsubscribe(token), 42)
        // Another instance, or the token moved to another customer, is refused.
        let foreign = try LinkKeyring(parsing: LinkKeyring.generate()).withUnsubscribeKey(
            instanceSecret: Crypto.randomBytes(32))
        XCTAssertNil(foreign.verifyUnsubscribe(token))
        XCTAssertNil(later.verifyUnsubscribe(token.replacingOccurrences(of: "u.42.", with: "u.43.")))
        XCTAssertNil(try LinkKeyring(parsing: LinkKeyring.generate()).verifyUnsubscribe(token), "no unsubscribe key")
        // Tokens from before the unsubscribe key keep verifying with the link key that signed them.
        let old = try LinkKeyring(parsing: LinkKeyring.generate())
        XCTAssertEqual(
            old.withUnsubscribeKey(instanceSecret: secret).verifyUnsubscribe(old.unsubscribeToken(customerID: 9)), 9)
    }

    private func keyringText(_ keyring: LinkKeyring) -> String {
        "\(keyring.signingKey.id):" + Base64URL.encode(keyring.signingKey.secret)
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let source = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "="), index + 2 <= source.count - 1,
                let value = UInt8(String(decoding: source[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
