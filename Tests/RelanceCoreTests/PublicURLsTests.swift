import Foundation
import XCTest

@testable import RelanceCore

/// Every public address, byte for byte as texts, emails and pages have always printed them: an SMS's
/// length is counted on these, and a customer's saved link must keep opening.
final class PublicURLsTests: XCTestCase {
    let token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    func testAbsoluteAddressesAndSitePaths() {
        let urls = PublicURLs(base: "https://pay.example.com")
        XCTAssertEqual(urls.invoicePage(token: token), "https://pay.example.com/p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        XCTAssertEqual(urls.cardPaid(token: "t0k"), "https://pay.example.com/p/t0k/paid")
        XCTAssertEqual(urls.unsubscribe(token: "1.2.sig"), "https://pay.example.com/u/1.2.sig")
        XCTAssertEqual(urls.url(.plan, "t0k"), "https://pay.example.com/p/t0k/plan")
        XCTAssertEqual(urls.logo(version: "ab12"), "https://pay.example.com/logo?v=ab12")
        XCTAssertEqual(PublicURLs.logoPath(version: "ab12"), "/logo?v=ab12")

        let paths = PublicURLs.Page.allCases.map { $0.path("t0k") }
        XCTAssertEqual(
            paths,
            ["/p/t0k", "/p/t0k/renew", "/p/t0k/checkout", "/p/t0k/paid", "/p/t0k/plan", "/p/t0k/question", "/u/t0k"])
    }

    /// What the router registers; Hummingbird names these routes `/p/{token}…` in logs and metrics.
    func testRoutesMatchThePathsTheyServe() {
        XCTAssertEqual(
            PublicURLs.Page.allCases.map(\.route),
            [
                "/p/:token", "/p/:token/renew", "/p/:token/checkout", "/p/:token/paid", "/p/:token/plan",
                "/p/:token/question", "/u/:token",
            ])
        XCTAssertEqual(PublicURLs.logoRoute, "/logo")
        // A path is its route with the token put in, so no link names a page the server does not have.
        for page in PublicURLs.Page.allCases {
            XCTAssertEqual(page.path("t0k"), page.route.replacingOccurrences(of: ":token", with: "t0k"))
        }
    }

    func testTheOriginLosesTrailingSlashesOnce() {
        XCTAssertEqual(PublicURLs(base: "https://pay.example.com/").base, "https://pay.example.com")
        XCTAssertEqual(
            PublicURLs(base: "https://pay.example.com///").invoicePage(token: "x"), "https://pay.example.com/p/x")
        XCTAssertEqual(PublicURLs(base: "http://127.0.0.1:8080").invoicePage(token: "x"), "http://127.0.0.1:8080/p/x")
        // A prefix behind a proxy stays.
        XCTAssertEqual(
            PublicURLs(base: "https://example.com/pay/").unsubscribe(token: "x"), "https://example.com/pay/u/x")
    }

    func testAnOperatorsTypoIsRefusedAtStart() throws {
        XCTAssertEqual(try PublicURLs.validated("https://pay.example.com/").base, "https://pay.example.com")
        XCTAssertEqual(try PublicURLs.validated("http://localhost:8080").base, "http://localhost:8080")
        // Upper case is written lower, or cookies would lose Secure (`https://` is compared as such).
        XCTAssertEqual(
            try PublicURLs.validated("HTTPS://Pay.Example.com/Relance").base, "https://pay.example.com/Relance")
        for bad in [
            "", "pay.example.com", "ftp://pay.example.com", "https://", "https:///p", "https://pay.example.com?x=1",
            "https://pay.example.com/#top", "https://pay example.com", "https://pay.example.com\n",
            "https://user:secret@pay.example.com",
        ] {
            XCTAssertThrowsError(try PublicURLs.validated(bad), bad) { error in
                XCTAssertTrue("\(error)".contains("https://pay.example.com"), "\(error)")
            }
        }
    }
}

/// The catalogue's file format and its checks, on small tables (the repository's files are checked by
/// the web tests, which also find every key the code names).
final class CatalogueTests: XCTestCase {
    func testLinesAreKeyEqualsTextTrimmedWithComments() {
        let table = Catalogue.parse("# a comment\nhello = Bonjour %@ \n\n  bare line\nratio = a = b\n")
        XCTAssertEqual(table, ["hello": "Bonjour %@", "ratio": "a = b"])
    }

    func testPhrasesAreFilledInOrderAndAMissingOneShowsItsKey() throws {
        let catalogue = try Catalogue(tables: [
            .fr: ["line": "%@ : %@", "stop": "%@: c'est noté."],
            .en: ["line": "%@: %@", "stop": "%@: done."],
        ])
        XCTAssertEqual(
            catalogue.phrase("line", .fr, "Se désabonner", "https://x/u/1"), "Se désabonner : https://x/u/1")
        XCTAssertEqual(catalogue.phrase("line", .en, "Unsubscribe", "https://x/u/1"), "Unsubscribe: https://x/u/1")
        XCTAssertEqual(catalogue.words(.fr)("stop", "Atelier"), "Atelier: c'est noté.")
        XCTAssertEqual(catalogue.phrase("nope", .en), "nope")
        XCTAssertEqual(catalogue.missing(["line", "nope"]), ["nope"])
    }

    func testKeysMustBeTheSameInEveryLanguage() {
        XCTAssertThrowsError(try Catalogue(tables: [.fr: ["a": "x", "b": "y"], .en: ["a": "x"]])) { error in
            XCTAssertEqual("\(error)", "strings.en.txt: phrases differ between languages: b")
        }
    }
}
