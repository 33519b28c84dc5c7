import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

final class CustomerPageTests: HarnessTestCase {
    func testInvoicePageShowsWhoAsksHowMuchForWhichInvoiceAndByWhen() async throws {
        let harness = self.harness!
        // setup
        let (_, link) = try await harness.invoice(dueInDays: 10)
        try await harness.app.test(.router) { client in
            // MUT
            let response = try await get(client, "/p/" + link.token)
            // validate
            XCTAssertEqual(response.status, .ok)
            let page = response.text.plainSpaces
            XCTAssertTrue(page.contains("Atelier Martin"))
            XCTAssertTrue(page.contains("Bonjour Camille Durand"))
            XCTAssertTrue(page.contains("F-2026-0042"))
            XCTAssertTrue(page.contains(#"<p class="amount" id="amount">1 234,56 €</p>"#), page)
            XCTAssertTrue(page.contains("À régler dans 10 jours, avant le 13 mars 2026"), page)
            XCTAssertTrue(page.contains(#"href="https://pay.example.com/checkout""#))
            XCTAssertTrue(page.contains("FR76 3000 6000 0112 3456 7890 189"))
            XCTAssertTrue(page.contains(#"<dd class="copy">1234,56 EUR</dd>"#))
            XCTAssertTrue(page.contains(#"href="tel:+33123456789""#))
            XCTAssertTrue(page.contains("12 rue des Lilas"))
            XCTAssertFalse(page.contains("<script"), "the page must not need JavaScript")
        }
    }

    func testSecurityHeadersOnCustomerPages() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            for path in ["/p/" + link.token, "/p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
                let response = try await get(client, path)
                let csp = try XCTUnwrap(response.headers[.contentSecurityPolicy])
                XCTAssertTrue(csp.contains("default-src 'none'"))
                XCTAssertTrue(csp.contains("style-src 'self'"))
                XCTAssertFalse(csp.contains("unsafe"))
                XCTAssertEqual(response.headers[.referrerPolicy], "no-referrer")
                XCTAssertEqual(response.headers[.cacheControl], "no-store")
                XCTAssertEqual(response.headers[.xRobotsTag], "noindex, nofollow")
                XCTAssertEqual(response.headers[.xContentTypeOptions], "nosniff")
            }
        }
    }

    func testPageAndStylesheetFitIn14KBAndTheStylesheetIsCacheable() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice(name: String(repeating: "N", count: 200))
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token)
            let href = try XCTUnwrap(page.text.firstMatch(of: /href="(\/static\/relance\.css\?v=[0-9a-f]+)"/)?.1)
            let css = try await get(client, String(href))
            XCTAssertEqual(css.status, .ok)
            XCTAssertEqual(css.headers[.contentType], "text/css; charset=utf-8")
            XCTAssertEqual(css.headers[.cacheControl], "public, max-age=31536000, immutable")
            XCTAssertLessThanOrEqual(page.body.readableBytes + css.body.readableBytes, 14 * 1024)
            XCTAssertFalse(page.text.contains("http://"), "no third-party or insecure reference")
        }
    }

    func testEnglishCustomersGetEnglishAmountsAndDates() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice(locale: "en-GB", dueInDays: 0)
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token, language: "fr-FR").text.plainSpaces
            XCTAssertTrue(page.contains(#"<html lang="en">"#))
            XCTAssertTrue(page.contains("€1,234.56"), page)
            XCTAssertTrue(page.contains("Due today, 3 March 2026"), page)
        }
    }

    func testWithoutACustomerLocaleTheBrowserLanguageDecides() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice(locale: nil, dueInDays: -5)
        try await harness.app.test(.router) { client in
            let english = try await get(client, "/p/" + link.token, language: "en-US,en;q=0.9").text.plainSpaces
            XCTAssertTrue(english.contains("Overdue by 5 days (due 26 February 2026)"), english)
            let french = try await get(client, "/p/" + link.token, language: "fr-CA").text.plainSpaces
            XCTAssertTrue(french.contains("En retard de 5 jours (échéance le 26 février 2026)"), french)
            let fallback = try await get(client, "/p/" + link.token, language: "de").text
            XCTAssertTrue(fallback.contains(#"<html lang="fr">"#), "the business default is French")
        }
    }

    func testHTMLInEveryTextFieldIsEscaped() async throws {
        let harness = self.harness!
        try await harness.store.saveBusiness(
            Business(
                BusinessProfile(
                    name: "<b>Evil</b> & Co", phone: "+33123456789", address: "<script>alert(1)</script>",
                    bankBeneficiary: "\"><img src=x onerror=alert(1)>", bankIBAN: "FR7630006000011234567890189")))
        let (_, link) = try await harness.invoice(number: "<i>F1</i>", name: "<script>alert('x')</script>")
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token).text
            XCTAssertFalse(page.contains("<script>alert"))
            XCTAssertFalse(page.contains("<img"))
            XCTAssertFalse(page.contains("<b>Evil"))
            XCTAssertFalse(page.contains("<i>F1"))
            XCTAssertTrue(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
            XCTAssertTrue(page.contains("&lt;b&gt;Evil&lt;/b&gt; &amp; Co"))
            XCTAssertTrue(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    func testAPartPaymentShowsTheBalanceAndAFullPaymentTurnsThePageToPaid() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice(amount: 10_000)
        let store = harness.store
        let now = harness.clock.now
        _ = try await store.recordPayment(
            invoiceID: invoice.id, NewPayment(amount: 2_500, method: .card, reference: nil, receivedAt: now), now: now)
        try await harness.app.test(.router) { client in
            let partial = try await get(client, "/p/" + link.token).text.plainSpaces
            XCTAssertTrue(partial.contains(#"id="amount">75,00 €<"#), partial)
            XCTAssertTrue(partial.contains("25,00 € déjà reçus sur 100,00 €"))
            _ = try await store.recordPayment(
                invoiceID: invoice.id, NewPayment(amount: 7_500, method: .card, reference: nil, receivedAt: now),
                now: now)
            let paid = try await get(client, "/p/" + link.token).text.plainSpaces
            XCTAssertTrue(paid.contains("Réglée en totalité"))
            XCTAssertTrue(paid.contains("Merci, nous avons bien reçu votre paiement"))
            XCTAssertFalse(paid.contains("pay.example.com/checkout"), "a paid invoice offers no way to pay")
            XCTAssertFalse(paid.contains("IBAN"))
            XCTAssertFalse(paid.contains("Comment régler"))
        }
    }

    func testAVoidedInvoiceSaysThereIsNothingToPay() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token).text
            XCTAssertTrue(page.contains("Cette facture a été annulée"))
            XCTAssertFalse(page.contains("IBAN"))
            XCTAssertFalse(page.contains(#"id="amount""#))
        }
    }

    func testPeopleAreCountedAsClicksAndPreviewFetchersSeeNothingPrivate() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            _ = try await get(client, "/p/" + link.token)
            _ = try await get(client, "/p/" + link.token)
            for bot in ["WhatsApp/2.23.20.0 A", "facebookexternalhit/1.1", "TelegramBot (like TwitterBot)", nil] {
                let preview = try await get(client, "/p/" + link.token, agent: bot)
                XCTAssertEqual(preview.status, .ok)
                let page = preview.text
                XCTAssertFalse(page.contains("Camille"), "preview revealed the customer's name")
                XCTAssertFalse(page.contains("F-2026-0042"), "preview revealed the invoice number")
                XCTAssertFalse(page.contains("234,56"), "preview revealed the amount")
                XCTAssertFalse(page.contains("Atelier Martin SARL"))
                XCTAssertTrue(page.contains(#"<meta property="og:title" content="Demande de paiement">"#))
            }
        }
        harness.clicks.flush()
        let counts = try await harness.store.clickCounts(linkID: link.linkID)
        XCTAssertEqual(counts.person, 2)
        XCTAssertEqual(counts.preview, 4)
        let hashes = try await harness.store.pool.read { db in try String.fetchAll(db, sql: "SELECT ip_hash FROM click")
        }
        XCTAssertTrue(hashes.allSatisfy { $0.count == 16 && !$0.contains(".") }, "addresses are stored hashed")
        let summary = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(summary.personClicks, 2)
    }

    func testForgedTamperedAndMalformedTokensGetTheSame404PageShape() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        var tampered = Array(link.token)
        tampered[12] = tampered[12] == "A" ? "B" : "A"
        let otherKeyring = try LinkKeyring(parsing: LinkKeyring.generate())
        let forged = SignedLink.token(linkID: link.linkID, expiresAt: link.expiresAt, keyring: otherKeyring)
        let candidates = [
            String(tampered), forged, String(link.token.dropLast()), link.token + "A", link.token + "=",
            "not-a-token", String(repeating: "x", count: 4000), "%F0%9F%92%A9", "..%2F..%2Fetc",
        ]
        try await harness.app.test(.router) { client in
            for candidate in candidates {
                let response = try await get(client, "/p/" + candidate)
                XCTAssertEqual(response.status, .notFound, candidate)
                XCTAssertTrue(response.text.contains("Lien non reconnu"), candidate)
                XCTAssertFalse(response.text.contains("Camille"))
                XCTAssertFalse(response.text.contains("<form"))
            }
        }
        harness.clicks.flush()
        let counts = try await harness.store.clickCounts(linkID: link.linkID)
        XCTAssertEqual(counts.person + counts.preview, 0)
    }

    func testAStatementLinkListsTheCustomersOpenInvoicesWithTheirTotal() async throws {
        let harness = self.harness!
        let store = harness.store
        // Two overdue invoices of one customer: the scheduler sends one message with a statement link.
        let (first, _) = try await harness.invoice(number: "F-1", amount: 10_000, dueInDays: -8)
        let (second, _) = try await harness.invoice(number: "F-2", amount: 2_550, dueInDays: -8)
        XCTAssertEqual(first.customerID, second.customerID)
        let links = LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring)
        let summary = try await ReminderScheduler(storage: store, links: links).tick(now: harness.clock.now)
        let message = try XCTUnwrap(summary.queued.first)
        XCTAssertEqual(message.invoiceIDs.count, 2)
        let token = try XCTUnwrap(message.body.firstMatch(of: /\/p\/([A-Za-z0-9_-]{30})/)?.1)
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/\(token)").text.plainSpaces
            XCTAssertTrue(page.contains("Vos factures à régler"), page)
            XCTAssertTrue(page.contains(#"id="amount">125,50 €<"#), page)
            XCTAssertTrue(page.contains(">F-1<") && page.contains(">F-2<"))
            XCTAssertTrue(page.contains("En retard de 8 jours"))
            XCTAssertTrue(page.contains("FR76 3000"))
            XCTAssertTrue(page.contains(#"<dd class="copy" id="reference">F-1, F-2</dd>"#))
            // Once both are paid the statement says so and offers no way to pay.
            for invoice in [first, second] {
                _ = try await store.recordPayment(
                    invoiceID: invoice.id,
                    NewPayment(
                        amount: invoice.amount.minorUnits, method: .card, reference: nil, receivedAt: harness.clock.now
                    ),
                    now: harness.clock.now)
            }
            let settled = try await get(client, "/p/\(token)").text
            XCTAssertTrue(settled.contains("il ne reste rien à régler"))
            XCTAssertFalse(settled.contains("IBAN"))
        }
    }

    func testATokenForAReusedLinkIDOpensNothing() async throws {
        // A database restored from a backup or recreated hands out link ids again; a token sent
        // before carries another expiry and must not open somebody else's invoice.
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        let stale = SignedLink.token(
            linkID: link.linkID, expiresAt: link.expiresAt.addingTimeInterval(-86_400),
            keyring: harness.settings.keyring)
        try await harness.app.test(.router) { client in
            let response = try await get(client, "/p/" + stale)
            XCTAssertEqual(response.status, .notFound)
            XCTAssertFalse(response.text.contains("Camille"))
            let favicon = try await get(client, "/favicon.ico")
            XCTAssertEqual(favicon.status, .noContent)
        }
    }

    func testAnExpiredLinkShowsNothingOfTheInvoiceAndOffersANewLink() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        harness.clock.now = link.expiresAt
        try await harness.app.test(.router) { client in
            let response = try await get(client, "/p/" + link.token)
            XCTAssertEqual(response.status, .gone)
            let page = response.text
            XCTAssertTrue(page.contains("Ce lien a expiré"))
            XCTAssertTrue(page.contains(#"<form method="post" action="/p/\#(link.token)/renew">"#))
            XCTAssertTrue(page.contains(#"name="csrf""#))
            for secret in ["Camille", "F-2026-0042", "234,56", "+33612345678", "IBAN"] {
                XCTAssertFalse(page.contains(secret), "expired page shows \(secret)")
            }
        }
    }

    func testARevokedLinkAnswers410WithoutTheOffer() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        try await harness.store.revokeLink(id: link.linkID, now: harness.clock.now)
        try await harness.app.test(.router) { client in
            let response = try await get(client, "/p/" + link.token)
            XCTAssertEqual(response.status, .gone)
            XCTAssertTrue(response.text.contains("Ce lien n’est plus valable"))
            XCTAssertFalse(response.text.contains("<form"))
            XCTAssertFalse(response.text.contains("Camille"))
        }
    }

    func testSendMeANewLinkQueuesAnSMSToTheNumberOnFile() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        harness.clock.now = link.expiresAt.addingTimeInterval(3600)
        try await harness.app.test(.router) { client in
            let expired = try await get(client, "/p/" + link.token).text
            let csrf = try XCTUnwrap(expired.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            // MUT: the form posts only the CSRF field; a phone number typed in is ignored
            let response = try await client.execute(
                uri: "/p/\(link.token)/renew", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .userAgent: Harness.iPhone],
                body: ByteBuffer(string: "csrf=\(csrf)&phone=%2B33700000000"))
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(response.text.contains("Demande reçue"))
        }
        let messages = try await harness.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.count, 1)
        let message = try XCTUnwrap(messages.first)
        XCTAssertEqual(message.recipient, "+33612345678")
        XCTAssertEqual(message.status, .queued)
        let token = try XCTUnwrap(message.body.firstMatch(of: /https:\/\/pay\.example\.com\/p\/([A-Za-z0-9_-]{30})/)?.1)
        guard case .valid = SignedLink.verify(token, keyring: harness.settings.keyring, now: harness.clock.now) else {
            return XCTFail("the new link does not open: \(message.body)")
        }
        XCTAssertTrue(message.body.hasPrefix("Atelier Martin : voici votre nouveau lien"), message.body)
        XCTAssertTrue(message.body.contains("F-2026-0042"))

        // The dispatcher hands it to the provider (here the console one) and records it sent.
        let printed = LogCapture()
        let dispatcher = Dispatcher(
            store: harness.store, provider: ConsoleSMSProvider(write: { printed.append($0) }),
            clock: harness.clock.clock,
            logger: harness.logs.logger)
        let sent = try await dispatcher.drain()
        XCTAssertEqual(sent, 1)
        XCTAssertEqual(printed.all, "[console sms] to +33612345678: \(message.body)")
        let after = try await harness.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(after.map(\.status), [.sent])
    }

    func testRenewalNeedsTheFormTokenAndASameSiteRequest() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        harness.clock.now = link.expiresAt.addingTimeInterval(60)
        try await harness.app.test(.router) { client in
            let expired = try await get(client, "/p/" + link.token).text
            let csrf = try XCTUnwrap(expired.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let missing = try await client.execute(
                uri: "/p/\(link.token)/renew", method: .post, headers: form, body: ByteBuffer(string: ""))
            XCTAssertEqual(missing.status, .forbidden)
            // One character of the MAC changed, in the middle where every bit counts.
            var altered = Array(csrf)
            let middle = altered.count - 8
            altered[middle] = altered[middle] == "x" ? "y" : "x"
            let wrong = try await client.execute(
                uri: "/p/\(link.token)/renew", method: .post, headers: form,
                body: ByteBuffer(string: "csrf=\(String(altered))"))
            XCTAssertEqual(wrong.status, .forbidden)
            var crossSite = form
            crossSite[.secFetchSite] = "cross-site"
            let cross = try await client.execute(
                uri: "/p/\(link.token)/renew", method: .post, headers: crossSite,
                body: ByteBuffer(string: "csrf=\(csrf)"))
            XCTAssertEqual(cross.status, .forbidden)
            // A day-old form no longer works.
            harness.clock.now = harness.clock.now.addingTimeInterval(26 * 3600)
            let stale = try await client.execute(
                uri: "/p/\(link.token)/renew", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(csrf)"))
            XCTAssertEqual(stale.status, .forbidden)
        }
        let messages = try await harness.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.count, 0)
    }

    func testRenewalIsRateLimited() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice()
        harness.clock.now = link.expiresAt.addingTimeInterval(60)
        try await harness.app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<6 {
                let expired = try await get(client, "/p/" + link.token).text
                let csrf = try XCTUnwrap(expired.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
                let response = try await client.execute(
                    uri: "/p/\(link.token)/renew", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "csrf=\(csrf)"))
                statuses.append(response.status)
            }
            XCTAssertEqual(
                Array(statuses.prefix(Store.renewalsPerDay)), Array(repeating: .ok, count: Store.renewalsPerDay))
            XCTAssertEqual(statuses.last, .tooManyRequests)
        }
        let messages = try await harness.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.count, Store.renewalsPerDay)
    }

    func testUnknownPathsAndHealth() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let missing = try await get(client, "/nothing-here")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertTrue(missing.text.contains("Page introuvable"))
            let health = try await get(client, "/healthz")
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(health.text, "ok\n")
        }
    }

    func testLogsNeverContainTokensOrPhoneNumbers() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            _ = try await get(client, "/p/" + link.token)
            _ = try await get(client, "/p/" + link.token.dropLast() + "x")
        }
        let logs = harness.logs.all
        XCTAssertTrue(logs.contains("/p/{token}"), "requests are logged by route: \(logs)")
        XCTAssertFalse(logs.contains(link.token))
        XCTAssertFalse(logs.contains(String(link.token.prefix(20))))
        XCTAssertFalse(logs.contains("+33612345678"))
    }
}

func get(_ client: some TestClientProtocol, _ path: String, agent: String? = Harness.iPhone, language: String? = nil)
    async throws -> TestResponse
{
    var headers: HTTPFields = [:]
    if let agent { headers[.userAgent] = agent }
    if let language { headers[.acceptLanguage] = language }
    return try await client.execute(uri: path, method: .get, headers: headers, body: nil)
}

extension CustomerPageTests {
    func testTheTransferReferenceIsAStructuredCreditorReference() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        let expected = try XCTUnwrap(CreditorReference.make("F-2026-0042"))
        XCTAssertTrue(CreditorReference.isValid(expected))
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token).text
            XCTAssertTrue(
                page.contains(#"<dd class="copy" id="reference">\#(CreditorReference.grouped(expected))</dd>"#), page)
        }
    }
}

extension CustomerPageTests {
    func testTheTransferQRCodeDecodesToTheExactEPCPayload() async throws {
        let harness = self.harness!
        let (invoice, link) = try await harness.invoice(amount: 123_456)
        _ = try await harness.store.recordPayment(
            invoiceID: invoice.id,
            NewPayment(amount: 23_456, method: .cash, reference: nil, receivedAt: harness.clock.now),
            now: harness.clock.now)
        let reference = try XCTUnwrap(CreditorReference.make("F-2026-0042"))
        try await harness.app.test(.router) { client in
            let page = try await get(client, "/p/" + link.token).text
            let svg = String(try XCTUnwrap(page.firstMatch(of: /<svg viewBox="[^"]+" class="qr".*?<\/svg>/)?.0))
            let modules = try XCTUnwrap(QRCode.modules(fromSVG: svg))
            var matrix = ""
            for row in modules { matrix += row.map { $0 ? "1" : "0" }.joined() + "\n" }
            // What a banking app reads: the balance, the beneficiary, the IBAN and the RF reference.
            XCTAssertEqual(
                try decodeQR(matrix),
                "BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Martin SARL\nFR7630006000011234567890189\nEUR1000.00\n\n\(reference)"
            )
        }
    }
}

/// What PyPI zxing-cpp reads from a module matrix ('1' dark, one line a row, quiet zone included).
func decodeQR(_ matrix: String) throws -> String? {
    try runPythonHelper("qr_decode.py", input: Data(matrix.utf8), needs: "zxing-cpp numpy")
}
