import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// The dashboard's spreadsheet import: upload, columns (remembered), problems by line, confirmation,
/// progress and result, on the engine `relance import` uses.
final class DashboardImportTests: HarnessTestCase {
    static let good = """
        Numéro;Client;Téléphone;Montant TTC;Échéance
        F-100;Camille Durand;+33 6 12 34 56 78;120,50;2026-03-31
        F-101;Louis Martin;+33612345679;80,00;15/04/2026
        F-102;Inès Petit;;42;2026-04-30

        """

    static func upload(
        _ client: some TestClientProtocol, _ csv: String, cookie: String, csrf: String?, name: String = "ventes.csv"
    ) async throws -> TestResponse {
        try await upload(client, Array(csv.utf8), cookie: cookie, csrf: csrf, name: name)
    }

    static func upload(
        _ client: some TestClientProtocol, _ bytes: [UInt8], cookie: String, csrf: String?, name: String = "ventes.csv"
    ) async throws -> TestResponse {
        var fields: [(String, String?, [UInt8])] = []
        if let csrf { fields.append(("csrf", nil, Array(csrf.utf8))) }
        fields.append(("file", name, bytes))
        let (type, body) = DashboardTests.multipart(fields)
        return try await client.execute(
            uri: "/dashboard/import", method: .post, headers: [.cookie: cookie, .contentType: type], body: body)
    }

    static func page(_ client: some TestClientProtocol, _ path: String, cookie: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
    }

    static func invoiceCount(_ harness: Harness) async throws -> Int {
        try await harness.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice") ?? 0 }
    }

    /// Polls the upload's page until the import has finished (it is written in the background).
    static func finished(_ client: some TestClientProtocol, _ path: String, cookie: String) async throws -> String {
        for _ in 0..<200 {
            let text = try await Self.page(client, path, cookie: cookie).text
            if text.contains("id=\"result\"") { return text }
            XCTAssertTrue(text.contains("http-equiv=\"refresh\""), "a page in progress refreshes itself")
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("the import did not finish")
        return ""
    }

    func testABadLineIsShownByLineAndNothingIsWrittenThenTheFixedFileIsImported() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let form = try await Self.page(client, "/dashboard/import", cookie: cookie)
            XCTAssertTrue(form.text.contains("enctype=\"multipart/form-data\""))
            XCTAssertTrue(form.text.contains("<h1>Import invoices</h1>"))

            let bad = Self.good.replacingOccurrences(of: "80,00", with: "8O,00")
            let uploaded = try await Self.upload(client, bad, cookie: cookie, csrf: csrf)
            XCTAssertEqual(uploaded.status, .seeOther)
            let location = try XCTUnwrap(uploaded.headers[.location])
            XCTAssertTrue(location.hasPrefix("/dashboard/import/"))
            let review = try await Self.page(client, location, cookie: cookie).text
            // The columns as guessed from the titles, with the first values of each.
            XCTAssertTrue(review.contains("<option value=\"amount\" selected>Amount</option>"), review)
            XCTAssertTrue(review.contains("For example: Camille Durand · Louis Martin · Inès Petit"))
            // The bad line, by its number, and no way to import.
            XCTAssertTrue(review.contains("Problems: 1. Nothing has been imported."))
            XCTAssertTrue(review.contains("Line 3, Amount: “8O,00” is not an amount in EUR"), review)
            XCTAssertFalse(review.contains("/confirm\""))
            let refused = try await DashboardTests.post(
                client, location + "/confirm", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(refused.status, .seeOther)
            let stillReview = try await Self.page(client, location, cookie: cookie).text
            XCTAssertTrue(
                stillReview.contains("Problems: 1."), "a file with a problem is not started, even when confirmed")
            XCTAssertFalse(stillReview.contains("http-equiv=\"refresh\""))
            let count = try await Self.invoiceCount(harness)
            XCTAssertEqual(count, 0)

            // The corrected file: what it would do, then done.
            let fixed = try await Self.upload(client, Self.good, cookie: cookie, csrf: csrf)
            let path = try XCTUnwrap(fixed.headers[.location])
            let ready = try await Self.page(client, path, cookie: cookie).text
            XCTAssertTrue(ready.contains("3 invoices checked: 3 new, 0 already known"), ready)
            let confirmed = try await DashboardTests.post(client, path + "/confirm", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(confirmed.status, .seeOther)
            let result = try await Self.finished(client, path, cookie: cookie)
            XCTAssertTrue(result.contains("Done: 3 created, 0 updated, 0 unchanged."), result)
            let imported = try await harness.store.pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT i.number, i.amount, i.due_on, c.phone FROM invoice i JOIN customer c ON c.id = i.customer_id
                        ORDER BY i.number
                        """
                ).map {
                    "\($0["number"] as String) \($0["amount"] as Int64) \($0["due_on"] as String) \($0["phone"] as String? ?? "-")"
                }
            }
            XCTAssertEqual(
                imported,
                [
                    "F-100 12050 2026-03-31 +33612345678", "F-101 8000 2026-04-15 +33612345679",
                    "F-102 4200 2026-04-30 -",
                ])
            let audit = try await harness.store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT detail FROM audit WHERE action = 'invoices.imported'")
            }
            XCTAssertEqual(audit, "ventes.csv: 3 created, 0 updated, 0 unchanged, 0 refused")
            // The uploaded file is gone once imported; confirming again does nothing more.
            let left = try FileManager.default.contentsOfDirectory(
                atPath: ImportUploads.directory(for: harness.store).path)
            XCTAssertEqual(left.filter { $0.hasSuffix(".csv") }.count, 1, "only the first, never imported, is kept")
            _ = try await DashboardTests.post(client, path + "/confirm", "csrf=\(csrf)", cookie: cookie)
            let imports = try await harness.store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit WHERE action = 'invoices.imported'")
            }
            XCTAssertEqual(imports, 1, "a finished import is not run again")

            // The same file again: known invoices are counted as such, not duplicated.
            let second = try await Self.upload(client, Self.good, cookie: cookie, csrf: csrf)
            let secondPath = try XCTUnwrap(second.headers[.location])
            let known = try await Self.page(client, secondPath, cookie: cookie).text
            XCTAssertTrue(known.contains("3 invoices checked: 0 new, 3 already known"), known)
        }
    }

    func testColumnsChosenByHandAreRememberedForTheNextFile() async throws {
        let csv = """
            Pièce;Raison sociale;Total à payer;Date limite;Notes
            A-1;Garage Leroy;300;2026-05-01;appeler le matin
            A-2;Boulangerie Roux;45,90;2026-05-15;

            """
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let first = try await Self.upload(client, csv, cookie: cookie, csrf: csrf)
            let path = try XCTUnwrap(first.headers[.location])
            let review = try await Self.page(client, path, cookie: cookie).text
            XCTAssertTrue(review.contains("Some fields have no column"), review)
            XCTAssertTrue(review.contains("No column holds “Invoice number”: choose one below."), review)
            // Only the missing ones: the columns the titles name are shown as found, to keep as they are.
            XCTAssertFalse(review.contains("No column holds “Customer name”"), review)
            XCTAssertTrue(review.contains("<option value=\"customer_name\" selected>"), review)
            XCTAssertFalse(review.contains("/confirm\""))

            // Two columns for one field: refused, said plainly, nothing remembered.
            let twice = try await DashboardTests.post(
                client, path + "/columns", "csrf=\(csrf)&column.0=number&column.2=number", cookie: cookie)
            XCTAssertEqual(twice.status, .unprocessableContent)
            XCTAssertTrue(twice.text.contains("Invoice number is chosen for two columns"), twice.text)
            let unknown = try await DashboardTests.post(
                client, path + "/columns", "csrf=\(csrf)&column.0=password", cookie: cookie)
            XCTAssertEqual(unknown.status, .unprocessableContent)
            let none = try await harness.store.importColumns()
            XCTAssertEqual(none, [:])
            // Two columns with one title cannot be told apart by the next file: said, nothing remembered.
            let twinUpload = try await Self.upload(
                client, "Pièce;Date;Date;Client;Montant\nB-1;2026-01-05;2026-02-05;Leroy;10\n", cookie: cookie,
                csrf: csrf)
            let twin = try XCTUnwrap(twinUpload.headers[.location])
            let twins = try await DashboardTests.post(
                client, twin + "/columns",
                "csrf=\(csrf)&column.0=number&column.1=issued_on&column.2=due_on&column.3=customer_name&column.4=amount",
                cookie: cookie)
            XCTAssertEqual(twins.status, .unprocessableContent)
            XCTAssertTrue(twins.text.contains("Two columns are titled “Date”"), twins.text)
            let stillNone = try await harness.store.importColumns()
            XCTAssertEqual(stillNone, [:])
            let forged = try await DashboardTests.post(client, path + "/columns", "column.0=number", cookie: cookie)
            XCTAssertEqual(forged.status, .forbidden)

            let chosen = try await DashboardTests.post(
                client, path + "/columns",
                "csrf=\(csrf)&column.0=number&column.1=customer_name&column.2=amount&column.3=due_on&column.4=",
                cookie: cookie)
            XCTAssertEqual(chosen.status, .seeOther)
            let ready = try await Self.page(client, path, cookie: cookie).text
            XCTAssertTrue(ready.contains("2 invoices checked: 2 new"), ready)
            let remembered = try await harness.store.importColumns()
            XCTAssertEqual(remembered["total à payer"], "amount")
            XCTAssertEqual(remembered["notes"], "")

            // Next month's file from the same program: read the same way without asking.
            let next = csv.replacingOccurrences(of: "A-1", with: "A-3").replacingOccurrences(of: "A-2", with: "A-4")
            let nextUpload = try await Self.upload(client, next, cookie: cookie, csrf: csrf)
            let nextPath = try XCTUnwrap(nextUpload.headers[.location])
            let nextReview = try await Self.page(client, nextPath, cookie: cookie).text
            XCTAssertTrue(nextReview.contains("2 invoices checked: 2 new"), nextReview)
            XCTAssertTrue(nextReview.contains("<option value=\"amount\" selected>"))

            // Once a file has been looked at, its columns are its own: another file's choices do not change
            // what its confirmation imports.
            let other = try await Self.upload(
                client, "Pièce;Montant\nZ-1;5\n", cookie: cookie, csrf: csrf)
            let otherPath = try XCTUnwrap(other.headers[.location])
            _ = try await Self.page(client, otherPath, cookie: cookie)
            _ = try await DashboardTests.post(
                client, otherPath + "/columns", "csrf=\(csrf)&column.0=&column.1=amount", cookie: cookie)
            let unchanged = try await Self.page(client, nextPath, cookie: cookie).text
            XCTAssertTrue(unchanged.contains("2 invoices checked: 2 new"), "still read with its own columns")
            let columnAudits = try await harness.store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT detail FROM audit WHERE action = 'import.columns' ORDER BY id")
            }
            XCTAssertEqual(columnAudits.count, 2)
            XCTAssertTrue(columnAudits[0].contains("total à payer → amount"), columnAudits[0])
        }
    }

    func testUploadsAreRefusedClearlyAndAreOnlyTheirUploadersToSee() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await DashboardTests.signIn(client, harness)
            let forged = try await Self.upload(client, Self.good, cookie: cookie, csrf: nil)
            XCTAssertEqual(forged.status, .forbidden)
            let wrong = try await Self.upload(client, Self.good, cookie: cookie, csrf: "not-the-token")
            XCTAssertEqual(wrong.status, .forbidden)
            let empty = try await Self.upload(client, "", cookie: cookie, csrf: csrf)
            XCTAssertEqual(empty.status, .unprocessableContent)
            XCTAssertTrue(empty.text.contains("Choose a CSV file to upload."))
            let huge = String(repeating: "F-1;A;1;2026-01-01\n", count: ImportUploads.maximumBytes / 19 + 10)
            let tooLarge = try await Self.upload(client, huge, cookie: cookie, csrf: csrf)
            XCTAssertEqual(tooLarge.status, .contentTooLarge)
            XCTAssertTrue(tooLarge.text.contains("larger than 16 MB"))
            let nothing =
                (try? FileManager.default.contentsOfDirectory(atPath: ImportUploads.directory(for: harness.store).path))
                ?? []
            XCTAssertEqual(nothing.filter { $0.hasSuffix(".csv") }, [], "refused uploads leave no file")

            // A file that is not UTF-8 text (a spreadsheet saved in another encoding): said so, by line.
            let latin1: [UInt8] = Array("Numéro;Client\nF-1;".utf8) + [0x4C, 0xE9, 0x61, 0x0A]
            let oddUpload = try await Self.upload(client, latin1, cookie: cookie, csrf: csrf)
            let odd = try XCTUnwrap(oddUpload.headers[.location])
            let oddPage = try await Self.page(client, odd, cookie: cookie)
            XCTAssertEqual(oddPage.status, .unprocessableContent)
            XCTAssertTrue(oddPage.text.contains("Line 2 is not UTF-8 text"), oddPage.text)

            for made in ["/dashboard/import/nope", "/dashboard/import/" + String(repeating: "A", count: 22)] {
                let missing = try await Self.page(client, made, cookie: cookie)
                XCTAssertEqual(missing.status, .notFound)
                XCTAssertTrue(missing.text.contains("no longer here"))
            }
            let mineUpload = try await Self.upload(client, Self.good, cookie: cookie, csrf: csrf)
            let mine = try XCTUnwrap(mineUpload.headers[.location])
            // Someone else signed in cannot see or confirm it.
            _ = try await harness.store.addUser(
                email: "staff@example.com", password: DashboardTests.password, role: .staff, now: harness.clock.now,
                language: .en)
            let other = try await DashboardTests.signIn(client, email: "staff@example.com")
            let seen = try await Self.page(client, mine, cookie: other)
            XCTAssertEqual(seen.status, .notFound)
            let otherPage = try await Self.page(client, "/dashboard/import", cookie: other).text
            let otherCSRF = try XCTUnwrap(otherPage.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            _ = try await DashboardTests.post(client, mine + "/confirm", "csrf=\(otherCSRF)", cookie: other)
            let mineStill = try await Self.page(client, mine, cookie: cookie).text
            XCTAssertTrue(mineStill.contains("id=\"confirm\""), "someone else's confirmation started nothing")
            let count = try await Self.invoiceCount(harness)
            XCTAssertEqual(count, 0)

            // At most five files waiting per person (the odd file and this one are two): a sixth lets go of the
            // oldest, the odd file, rather than turning its uploader away.
            for _ in 0..<4 {
                let waiting = try await Self.upload(client, Self.good, cookie: cookie, csrf: csrf)
                XCTAssertEqual(waiting.status, .seeOther)
            }
            let oldest = try await Self.page(client, odd, cookie: cookie)
            XCTAssertEqual(oldest.status, .notFound)
            let stillMine = try await Self.page(client, mine, cookie: cookie)
            XCTAssertEqual(stillMine.status, .ok)

            // A day later, an upload is gone (signed in again: the session has ended too).
            harness.clock.now = harness.clock.now.addingTimeInterval(ImportUploads.lifetime + 60)
            let later = try await DashboardTests.signIn(client, email: "owner@example.com")
            let expired = try await Self.page(client, mine, cookie: later)
            XCTAssertEqual(expired.status, .notFound)
        }
    }

    func testTheImportPageIsInFrench() async throws {
        let harness = self.harness!
        _ = try await harness.store.addUser(
            email: "gerante@example.com", password: DashboardTests.password, role: .owner, now: harness.clock.now)
        try await harness.app.test(.router) { client in
            let cookie = try await DashboardTests.signIn(client, email: "gerante@example.com")
            let form = try await Self.page(client, "/dashboard/import", cookie: cookie).text
            XCTAssertTrue(form.contains("<h1>Importer des factures</h1>"), form)
            let csrf = String(try XCTUnwrap(form.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let uploaded = try await Self.upload(client, Self.good, cookie: cookie, csrf: csrf)
            let path = try XCTUnwrap(uploaded.headers[.location])
            let review = try await Self.page(client, path, cookie: cookie).text
            XCTAssertTrue(review.contains("Factures vérifiées : 3 (nouvelles : 3, déjà connues : 0"), review)
            XCTAssertTrue(review.contains(">Date d’échéance</option>"))
            let bad = Self.good.replacingOccurrences(of: "F-102", with: "F-100")
            let badUpload = try await Self.upload(client, bad, cookie: cookie, csrf: csrf)
            let badPath = try XCTUnwrap(badUpload.headers[.location])
            let problems = try await Self.page(client, badPath, cookie: cookie).text
            XCTAssertTrue(
                problems.contains("Ligne 4, Numéro de facture : le numéro F-100 figure déjà à la ligne 2"), problems)
        }
    }
}
