import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// The dashboard in French and English: who reads which, the header's switch, and one catalogue that
/// has every phrase in both languages.
final class DashboardLanguageTests: HarnessTestCase {
    func testTheSignInPageSpeaksTheBrowsersLanguageThenTheBusinesss() async throws {
        try await harness.app.test(.router) { client in
            let french = try await client.execute(
                uri: "/login", method: .get, headers: [.acceptLanguage: "fr-FR,fr;q=0.9"])
            XCTAssertTrue(french.text.contains("<html lang=\"fr\">"))
            XCTAssertTrue(french.text.contains("<h1>Connexion</h1>"), french.text)
            XCTAssertTrue(french.text.contains("Mot de passe"))
            let english = try await client.execute(uri: "/login", method: .get, headers: [.acceptLanguage: "en-GB"])
            XCTAssertTrue(english.text.contains("<h1>Sign in</h1>"))
            // No language asked for: the business's (French here).
            let none = try await client.execute(uri: "/login", method: .get)
            XCTAssertTrue(none.text.contains("<h1>Connexion</h1>"))
        }
    }

    func testAPersonReadsTheBusinesssLanguageUntilTheyChooseTheirOwn() async throws {
        let harness = self.harness!
        _ = try await harness.store.addUser(
            email: "owner@example.com", password: DashboardTests.password, role: .owner, now: harness.clock.now)
        try await harness.app.test(.router) { client in
            let cookie = try await DashboardTests.signIn(client, email: "owner@example.com")
            let home = try await client.execute(uri: "/dashboard/invoices", method: .get, headers: [.cookie: cookie])
            XCTAssertTrue(home.text.contains("<html lang=\"fr\">"))
            XCTAssertTrue(home.text.contains(">Factures</a>"), home.text)
            XCTAssertTrue(home.text.contains("lang=\"en\">English</button>"), "the switch offers the other language")
            let csrf = try XCTUnwrap(home.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)

            // Without the form's token, nothing changes.
            let forged = try await DashboardTests.post(client, "/dashboard/language", "language=en", cookie: cookie)
            XCTAssertEqual(forged.status, .forbidden)
            // An unknown language is refused, and the page stays in the language in use.
            let unknown = try await DashboardTests.post(
                client, "/dashboard/language", "csrf=\(csrf)&language=de", cookie: cookie)
            XCTAssertEqual(unknown.status, .unprocessableContent)
            let still = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie])
            XCTAssertTrue(still.text.contains(">Factures</a>"))

            var headers: HTTPFields = [
                .cookie: cookie, .contentType: "application/x-www-form-urlencoded",
                .referer: "http://localhost/dashboard/invoices?status=open",
            ]
            let switched = try await client.execute(
                uri: "/dashboard/language", method: .post, headers: headers,
                body: ByteBuffer(string: "csrf=\(csrf)&language=en"))
            XCTAssertEqual(switched.status, .seeOther)
            XCTAssertEqual(switched.headers[.location], "/dashboard/invoices?status=open", "back where the switch was")
            let english = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie])
            XCTAssertTrue(english.text.contains("<html lang=\"en\">"))
            XCTAssertTrue(english.text.contains(">Invoices</a>"))
            XCTAssertTrue(english.text.contains("lang=\"fr\">Français</button>"))

            // Whatever the referrer names, the switch only ever sends the browser to a dashboard path here.
            for (referer, expected) in [
                ("https://evil.example/steal", "/dashboard"),
                ("https://evil.example/dashboard/invoices", "/dashboard/invoices"),
                ("https://evil.example//evil.example/dashboard", "/dashboard"),
                ("http://localhost/dashboard%5C%5Cevil.example", "/dashboard"),
            ] {
                headers[.referer] = referer
                let away = try await client.execute(
                    uri: "/dashboard/language", method: .post, headers: headers,
                    body: ByteBuffer(string: "csrf=\(csrf)&language=en"))
                XCTAssertEqual(away.headers[.location], expected, referer)
            }
        }
    }

    /// A plan's end is stored in English (`PlanEnd`); the invoice page says it in the reader's language.
    func testWhyAPlanEndedIsWordedInTheReadersLanguage() throws {
        let catalogue = try Catalogue.load(Harness.repository.appendingPathComponent("templates/strings.fr.txt"))
        let t = Words(language: .fr, catalogue: catalogue)
        let missed = PlanEnd.missed(instalment: 3, dueOn: CalendarDate(iso: "2026-10-30")!, days: 10)
        XCTAssertEqual(
            Dashboard.invoicePlanEndReason(missed.text, t: t).plainSpaces,
            "échéance 3 du 30 octobre 2026 impayée 10 jours après sa date")
        XCTAssertEqual(Dashboard.invoicePlanEndReason(PlanEnd.replaced.text, t: t), t("dash.invoice.plan.end.replaced"))
        XCTAssertEqual(Dashboard.invoicePlanEndReason("ended by hand", t: t), "ended by hand")
    }

    /// The history names each kind of message the store writes (`MessageKind`'s stored texts).
    func testTheHistoryNamesEachKindOfMessage() throws {
        let catalogue = try Catalogue.load(Harness.repository.appendingPathComponent("templates/strings.fr.txt"))
        let t = Words(language: .fr, catalogue: catalogue)
        func queued(_ kind: MessageKind) -> String {
            let facts = ["message_kind": kind.rawValue, "channel": "sms", "recipient": "+33612345678"]
            return Dashboard.sentence(HistoryItem(at: Date(), kind: "message.queued", facts: facts), t: t).plainSpaces
        }
        XCTAssertEqual(
            queued(.requestConfirmation),
            "Accusé de réception de la demande mis en file d’envoi par SMS au +33 6 12 … 78")
        XCTAssertTrue(queued(.linkRenewal).hasPrefix("Nouveau lien mis en file"), queued(.linkRenewal))
        XCTAssertTrue(queued(.requestAnswer).hasPrefix("Message de réponse à la demande "), queued(.requestAnswer))
    }

    /// Every phrase the code or a template names is in the catalogue, in both languages (the start-up
    /// refuses catalogues whose keys differ, and a template naming a missing phrase).
    func testEveryPhraseTheDashboardNamesIsInBothLanguages() throws {
        let templates = Harness.repository.appendingPathComponent("templates")
        var catalogues: [Language: [String: String]] = [:]
        for language in Language.allCases {
            catalogues[language] = try Catalogue.load(
                templates.appendingPathComponent("strings.\(language.rawValue).txt"))
        }
        XCTAssertEqual(Set(catalogues[.fr]!.keys), Set(catalogues[.en]!.keys))
        // The code's keys: every string literal that starts with "dash." in the web sources.
        var named: Set<String> = []
        let sources = Harness.repository.appendingPathComponent("Sources/RelanceWeb")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /"(dash\.[a-z0-9_.]+)"/) { named.insert(String(match.1)) }
        }
        let dashboard = templates.appendingPathComponent("dashboard")
        for name in DashboardViews.names {
            let text = try String(
                contentsOf: dashboard.appendingPathComponent("\(name).mustache"), encoding: .utf8)
            for match in text.matches(of: /\{\{t\.([a-z0-9_.]+)\}\}/) { named.insert(String(match.1)) }
        }
        XCTAssertGreaterThan(named.count, 20)
        // The phrases the store writes texts and emails with, too (it refuses a catalogue without them).
        named.formUnion(Store.phraseKeys)
        for language in Language.allCases {
            let missing = named.filter { catalogues[language]![$0] == nil }.sorted()
            XCTAssertEqual(missing, [], "missing in strings.\(language.rawValue).txt")
        }
        // A template naming a phrase the catalogue lacks stops the start-up, with the key named.
        XCTAssertThrowsError(try DashboardViews.translated("<p>{{t.dash.nope}}</p>", catalogues[.en]!)) { error in
            XCTAssertTrue("\(error)".contains("dash.nope"))
        }
        XCTAssertEqual(try DashboardViews.translated("<b>{{t.dash.nav.home}}</b>", catalogues[.fr]!), "<b>Accueil</b>")
        // A phrase that shows a tag stays text, never becomes one.
        XCTAssertEqual(
            try DashboardViews.translated("{{t.x}}", ["x": "no {{link}} <b>"]),
            "no &#123;&#123;link&#125;&#125; &lt;b&gt;")
        // Each phrase takes as many values in both languages, so neither drops one (a count or an amount).
        for (key, english) in catalogues[.en]! {
            let french = catalogues[.fr]![key] ?? ""
            XCTAssertEqual(
                english.components(separatedBy: "%@").count, french.components(separatedBy: "%@").count,
                "\(key): “\(english)” / “\(french)”")
        }
    }
}
