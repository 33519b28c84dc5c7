import Foundation
import GRDB
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceServices
@testable import RelanceStore

/// CSV as spreadsheets write it, rows checked before anything is written, and imports that update.
final class ImportTests: XCTestCase {
    static let repository = Repository.root
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relance-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testEachFieldKnowsItsPlace() {
        XCTAssertEqual(InvoiceImport.Field.allCases.map(\.position), Array(0..<InvoiceImport.Field.allCases.count))
    }

    func testTheReaderTakesCommasSemicolonsQuotesBOMsAndBothLineEndings() throws {
        let semicolons = Array(
            "\u{FEFF}Numéro;Client;Montant\r\nF-1;\"Durand; Fils\";\"1 234,56\"\r\nF-2;\"Say \"\"hi\"\"\nthere\";5\r\n"
                .utf8)
        let records = try CSVReader.records(semicolons)
        XCTAssertEqual(
            records.map(\.fields),
            [
                ["Numéro", "Client", "Montant"], ["F-1", "Durand; Fils", "1 234,56"],
                ["F-2", "Say \"hi\"\nthere", "5"],
            ])
        XCTAssertEqual(records.map(\.line), [1, 2, 3])
        let commas = try CSVReader.records(Array("a,b\n1,2\n\n3,4".utf8))
        XCTAssertEqual(commas.map(\.fields), [["a", "b"], ["1", "2"], ["3", "4"]])
        XCTAssertEqual(commas.last?.line, 4)
        XCTAssertThrowsError(try CSVReader.records(Array("a,b\n\"open,2\n".utf8))) { error in
            XCTAssertEqual(error as? CSVReader.Problem, .unterminatedQuote(line: 2))
        }
        XCTAssertThrowsError(try CSVReader.records([0x61, 0x0A, 0x62, 0xE9, 0x0A])) { error in
            XCTAssertEqual(error as? CSVReader.Problem, .notUTF8(line: 2), "Latin-1 é")
        }
        XCTAssertThrowsError(try CSVReader.records([])) { error in XCTAssertEqual(error as? CSVReader.Problem, .empty) }
    }

    /// What the parser holds is bounded by a field and a line, not by the file, and pieces cut anywhere
    /// (inside the byte-order mark, between CR and LF, between two quotes) read as the whole does.
    func testTheReaderIsBoundedAndReadsPiecesAsTheWhole() throws {
        let long = "a,b\n1,\"" + String(repeating: "x", count: CSVReader.longest + 1) + "\"\n"
        XCTAssertThrowsError(try CSVReader.records(Array(long.utf8))) { error in
            XCTAssertEqual(error as? CSVReader.Problem, .tooLong(line: 2))
        }
        let wide = "a,b\n1,2\n" + String(repeating: ",", count: CSVReader.widest) + "\n"
        XCTAssertThrowsError(try CSVReader.records(Array(wide.utf8))) { error in
            XCTAssertEqual(error as? CSVReader.Problem, .tooWide(line: 3))
        }
        XCTAssertThrowsError(try CSVReader.records(Array(String(repeating: "h", count: CSVReader.longest + 2).utf8))) {
            error in XCTAssertEqual(error as? CSVReader.Problem, .tooLong(line: 1), "a header line without an end")
        }
        let text = Array("\u{FEFF}n;c\r\nF-1;\"Say \"\"hi\"\"\r\nthere\"\r\nF-2;Zoé\r\n".utf8)
        for separator: UInt8? in [nil, 59] {
            let whole = try CSVReader.records(text, separator: separator)
            XCTAssertEqual(whole.first?.fields, ["n", "c"])
            for size in 1...4 {
                var parser = CSVReader.Parser(separator: separator)
                var pieces: [CSVReader.Record] = []
                for start in stride(from: 0, to: text.count, by: size) {
                    try parser.feed(Array(text[start..<min(text.count, start + size)])) { pieces.append($0) }
                }
                try parser.finish { pieces.append($0) }
                XCTAssertEqual(pieces, whole, "pieces of \(size) bytes, separator \(String(describing: separator))")
            }
        }
    }

    /// The import reads a spreadsheet's own ways (French dates and amounts, a lower-case currency), then
    /// checks each row with the API's rules: each refusal here is one the API makes too, named by the
    /// import's column, once per column.
    func testARowMeetsTheAPIsRulesAndEachProblemNamesItsColumn() throws {
        let longNumber = String(repeating: "9", count: InvoiceRules.Limit.number + 1)
        let longRef = String(repeating: "r", count: InvoiceRules.Limit.externalRef + 1)
        let longEmail = String(repeating: "a", count: InvoiceRules.Limit.email) + "@example.com"
        let csv = """
            Numéro;Client;Courriel;Code client;Montant;Devise;Date;Échéance;Lien de paiement
            \(longNumber);Ana;camille@;\(longRef);12;eur;01/04/2026;31/03/2026;ftp://pay.example/1
            ;Ana;;;;;;31/03/2026;
            F-3;Ana;ana@example.com;C-3;12;EUX;;31/03/2026;
            F-4;Ana;ana@example.com;C-4;12,50;eur;;31/03/2026;https://pay.example/4
            F-5;Ana;\(longEmail);C-5;12;;;;
            """
        let records = try CSVReader.records(Array(csv.utf8))
        guard case .success(let columns) = InvoiceImport.columns(header: records[0].fields, overrides: [:]) else {
            return XCTFail("columns")
        }
        let today = CalendarDate(iso: "2026-03-03")!
        var errors: [String] = []
        var accepted: [NewInvoice] = []
        for record in records.dropFirst() {
            switch InvoiceImport.invoice(record, columns: columns, today: today) {
            case .failure(let problems): errors += problems.messages
            case .success(let invoice): accepted.append(invoice)
            }
        }
        XCTAssertEqual(
            errors,
            [
                "line 2: number: at most 64 characters",
                "line 2: customer_email: 'camille@' is not an email address",
                "line 2: customer_ref: at most 100 characters",
                "line 2: issued_on: comes after the due date",
                "line 2: payment_url: not a web address",
                "line 3: number: is empty",
                "line 3: amount: is empty",
                "line 4: currency: 'EUX' is not an ISO 4217 code",
                "line 6: customer_email: at most 254 characters",
                "line 6: due_on: is empty",
            ])
        XCTAssertEqual(accepted.map(\.number), ["F-4"])
        XCTAssertEqual(accepted.first?.amount, Money(minorUnits: 1_250, currency: Currency(code: "EUR")!))
        XCTAssertEqual(accepted.first?.customer.externalRef, "C-4")
        XCTAssertEqual(accepted.first?.issuedOn, today, "no issue date: the earlier of today and the due date")
    }

    /// Every problem the rules can find in a row the import fills has a column to be worded by, so none
    /// falls back to the rules' English words or is dropped.
    func testEachProblemOfTheRulesHasAColumn() {
        var bad = InvoiceDraft()
        bad.number = String(repeating: "9", count: InvoiceRules.Limit.number + 1)
        bad.customer?.name = ""
        bad.customer?.phone = "06"
        bad.customer?.email = "camille@"
        bad.customer?.locale = "1"
        bad.customer?.ref = "\u{7}"
        bad.currency = "EUX"
        bad.amount = 0
        bad.issuedOn = "2026-02-30"
        bad.dueOn = "demain"
        bad.externalRef = String(repeating: "r", count: InvoiceRules.Limit.externalRef + 1)
        bad.paymentURL = "ftp://pay.example/1"
        var reversed = InvoiceDraft()
        reversed.number = "F-1"
        reversed.customer?.name = "Ana"
        reversed.currency = "EUR"
        reversed.amount = 100
        reversed.issuedOn = "2026-04-01"
        reversed.dueOn = "2026-03-31"
        var missing = InvoiceDraft()
        missing.amount = Money.maximumMinorUnits + 1
        var found: [String] = []
        for draft in [bad, reversed, missing] {
            do throws(FieldProblems) {
                _ = try InvoiceRules.check(draft)
                XCTFail("accepted: \(draft)")
            } catch {
                for problem in error.list {
                    found.append(problem.field)
                    XCTAssertNotNil(InvoiceImport.rowProblem(problem) { _ in "typed" }, "\(problem)")
                }
            }
        }
        // Each column's field, so a field the rules rename or add cannot go unnoticed here.
        XCTAssertEqual(
            Set(found),
            [
                "number", "customer.name", "customer.phone", "customer.email", "customer.locale",
                "customer.external_ref", "currency", "amount", "issued_on", "due_on", "external_ref", "payment_url",
            ])
    }

    func testEveryRowIsCheckedAndEachProblemNamesItsLine() throws {
        let csv = """
            Numéro;Client;Téléphone;Montant;Échéance;Date
            F-1;Camille Durand;06 12 34 56 78;1 234,56;31/03/2026;01/03/2026
            F-2;;+33612345678;12,3,4;2026-02-30;
            ;Léa Roux;hello;0;demain;2026-04-01
            """
        let records = try CSVReader.records(Array(csv.utf8))
        guard case .success(let columns) = InvoiceImport.columns(header: records[0].fields, overrides: [:]) else {
            return XCTFail("columns")
        }
        let today = CalendarDate(iso: "2026-03-03")!
        var errors: [String] = []
        for record in records.dropFirst() {
            if case .failure(let problems) = InvoiceImport.invoice(record, columns: columns, today: today) {
                errors += problems.messages
            }
        }
        XCTAssertEqual(
            errors,
            [
                "line 2: customer_phone: '06 12 34 56 78' is not an international number such as +33 6 12 34 56 78",
                "line 3: customer_name: is empty",
                "line 3: amount: '12,3,4' is not an amount of EUR",
                "line 3: due_on: '2026-02-30' is not a date (2026-03-31 or 31/03/2026)",
                "line 4: number: is empty",
                "line 4: customer_phone: 'hello' is not an international number such as +33 6 12 34 56 78",
                "line 4: amount: '0' is not an amount of EUR",
                "line 4: due_on: 'demain' is not a date (2026-03-31 or 31/03/2026)",
            ])
        // A cell with a control character is refused, as the API refuses it: here a quoted line break
        // (CRLF, which Swift sees as one Character, so the next rows start on lines 4 to 6), a NUL, an
        // escape sequence and a C1 control.
        let hostile = try CSVReader.records(
            Array(
                "Numéro;Client;Montant;Échéance\r\n\"F-9\r\nX\";Ana;12;2026-04-01\r\nF-10;A\u{0}na;12;2026-04-01\r\nF-11;\u{1B}[31mAna;12;2026-04-01\r\nF-12;A\u{85}na;12;2026-04-01"
                    .utf8))
        guard case .success(let hostileColumns) = InvoiceImport.columns(header: hostile[0].fields, overrides: [:])
        else {
            return XCTFail("columns")
        }
        let refused = hostile.dropFirst().map { record -> [String] in
            guard case .failure(let problems) = InvoiceImport.invoice(record, columns: hostileColumns, today: today)
            else { return [] }
            return problems.messages
        }
        XCTAssertEqual(
            refused.map { $0.first { $0.contains("control character") } ?? "accepted" },
            [
                "line 2: number: contains a control character (a line break, tab or invisible code)",
                "line 4: customer_name: contains a control character (a line break, tab or invisible code)",
                "line 5: customer_name: contains a control character (a line break, tab or invisible code)",
                "line 6: customer_name: contains a control character (a line break, tab or invisible code)",
            ])

        // Missing columns are said before any row is read, with the way to name them.
        guard
            case .failure(let missing) = InvoiceImport.columns(
                header: ["Ref", "Qui"], overrides: ["Qui": "customer_name", "X": "nope"])
        else { return XCTFail("columns") }
        let messages = missing.messages
        XCTAssertTrue(
            messages.contains(
                "--map X=nope: no such field (number, customer_name, customer_phone, customer_email, customer_locale, customer_ref, currency, amount, issued_on, due_on, external_ref, payment_url)"
            ))
        XCTAssertTrue(messages.contains("no column for amount; name one with --map 'COLUMN=amount'"))
        XCTAssertFalse(messages.contains { $0.contains("customer_name") && $0.hasPrefix("no column") })
    }

    func testTheCommandImportsOnceAndASecondRunUpdatesWithoutDuplicating() throws {
        let binary = ImportTests.repository.appendingPathComponent(".build/debug/relance").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("build the relance binary first (make test does)")
        }
        let database = directory.appendingPathComponent("import.sqlite").path
        let file = directory.appendingPathComponent("invoices.csv")
        func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments + ["--database", database]
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, out, err)
        }
        let rows = (1...2_500).map { index in
            "F-\(index);Client \(index);+336\(String(format: "%08d", index));\(index),50;2026-04-\(String(format: "%02d", index % 28 + 1))"
        }
        try Data(("\u{FEFF}Numéro;Client;Téléphone;Montant TTC;Échéance\r\n" + rows.joined(separator: "\r\n")).utf8)
            .write(to: file)
        var result = try run(["import", file.path, "--dry-run"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("2500 rows are valid: 2500 new invoices"), result.output)
        result = try run(["import", file.path])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("2500 created, 0 updated, 0 unchanged, 0 refused"), result.output)
        XCTAssertTrue(result.errors.contains("imported 2500 of 2500 rows"), "progress lines when not on a terminal")
        result = try run(["import", file.path])
        XCTAssertTrue(result.output.contains("0 created, 0 updated, 2500 unchanged"), result.output)

        // One amount changed and one bad row: nothing written at all, the line said.
        var changed = rows
        changed[9] = "F-10;Client 10;+33600000010;99,99;2026-04-11"
        changed[19] = "F-20;Client 20;+33600000020;vingt;2026-04-21"
        try Data(("Numéro;Client;Téléphone;Montant TTC;Échéance\n" + changed.joined(separator: "\n")).utf8).write(
            to: file)
        result = try run(["import", file.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("line 21: amount: 'vingt' is not an amount of EUR"), result.errors)
        changed[19] = rows[19]
        try Data(("Numéro;Client;Téléphone;Montant TTC;Échéance\n" + changed.joined(separator: "\n")).utf8).write(
            to: file)
        result = try run(["import", file.path])
        XCTAssertTrue(result.output.contains("0 created, 1 updated, 2499 unchanged"), result.output)

        let store = try Store(path: database)
        let counts = try store.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customer"),
                try Int64.fetchOne(db, sql: "SELECT amount FROM invoice WHERE number = 'F-10'")
            )
        }
        XCTAssertEqual(counts.0, 2_500)
        XCTAssertEqual(counts.1, 2_500)
        XCTAssertEqual(counts.2, 9_999)
    }

    /// A file of several read pieces (1 MiB each) and several write batches: quoted cells and accented
    /// names cut at any byte, a number repeated thousands of lines apart, a line count that follows
    /// quoted line breaks. Nothing of a wrong file is written; a right one arrives whole.
    func testALargeFileIsReadInPiecesAndWrittenInBatches() throws {
        let binary = ImportTests.repository.appendingPathComponent(".build/debug/relance").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("build the relance binary first (make test does)")
        }
        let database = directory.appendingPathComponent("large.sqlite").path
        let file = directory.appendingPathComponent("large.csv")
        func run() throws -> (status: Int32, output: String, errors: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["import", file.path, "--database", database]
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, out, err)
        }
        let count = 15_000
        var rows = (1...count).map { index in
            "F-\(index),\"Éloïse Ñandú \"\"Atelier\"\", n° \(index)\",+336\(String(format: "%08d", index)),"
                + "\"\(index % 900 + 100),\(String(format: "%02d", index % 100))\",2026-05-\(String(format: "%02d", index % 28 + 1))"
        }
        let header = "Invoice,Customer,Phone,Amount,Due date\n"
        func write() throws { try Data((header + rows.joined(separator: "\n") + "\n").utf8).write(to: file) }
        func invoices() throws -> Int {
            guard FileManager.default.fileExists(atPath: database) else { return 0 }
            return try Store(path: database).pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice")
            }
                ?? 0
        }

        // The last line repeats the first number; a quoted line break on line 7,000 moves every later line.
        rows[6_998] = "F-6999,\"Two\nlines\",+33600006999,\"10,00\",2026-05-01"
        rows.append("F-1,Again,+33699999999,\"10,00\",2026-05-01")
        try write()
        XCTAssertGreaterThan(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0, 1 << 20)
        var result = try run()
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("line 7000: customer_name: contains a control character"), result.errors)
        XCTAssertTrue(
            result.errors.contains("line \(count + 3): number: F-1 is already on line 2"), result.errors)
        XCTAssertEqual(try invoices(), 0, "nothing of a wrong file is written")

        rows.removeLast()
        rows[6_998] = "F-6999,\"Two lines\",+33600006999,\"10,00\",2026-05-01"
        try write()
        result = try run()
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("\(count) created, 0 updated, 0 unchanged, 0 refused"), result.output)
        let last = try Store(path: database).pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT c.name, i.amount FROM invoice i JOIN customer c ON c.id = i.customer_id
                    WHERE i.number = 'F-14999'
                    """)
        }
        XCTAssertEqual(last?["name"], "Éloïse Ñandú \"Atelier\", n° 14999")
        XCTAssertEqual(last?["amount"], Int64(14_999 % 900 + 100) * 100 + 99)
        XCTAssertEqual(try invoices(), count)
    }

    func testARowTheDatabaseRefusesCostsOnlyItself() async throws {
        let store = try Store(path: directory.appendingPathComponent("refuse.sqlite").path)
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        let due = try XCTUnwrap(CalendarDate(iso: "2026-04-01"))
        func row(_ line: Int, _ number: String, ref: String?) -> (line: Int, invoice: NewInvoice) {
            (
                line,
                NewInvoice(
                    number: number, customer: CustomerInput(name: "C \(number)"),
                    amount: Money(minorUnits: 1_000, currency: eur),
                    issuedOn: due, dueOn: due, externalRef: ref)
            )
        }
        // Two invoices claim one external reference: the second is refused, the others are written.
        let counts = try await store.importInvoices(
            [row(2, "A", ref: "X-1"), row(3, "B", ref: "X-1"), row(4, "C", ref: nil)], now: Date())
        XCTAssertEqual(counts.created, 2, "\(counts.refused)")
        XCTAssertEqual(counts.refused.count, 1)
        XCTAssertTrue(counts.refused.first?.hasPrefix("line 3: ") ?? false, "\(counts.refused)")
        let numbers = try await store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT number FROM invoice ORDER BY number")
        }
        XCTAssertEqual(numbers, ["A", "C"])
        let customers = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customer") }
        XCTAssertEqual(customers, 2, "the refused row left no customer behind")

        // On a new database, a number given twice in one batch updates the row written before it.
        let fresh = try Store(path: directory.appendingPathComponent("fresh.sqlite").path)
        var second = row(3, "D", ref: nil)
        second.invoice.amount = Money(minorUnits: 2_000, currency: eur)
        let again = try await fresh.importInvoices([row(2, "D", ref: nil), second], now: Date())
        XCTAssertEqual([again.created, again.updated, again.refused.count], [1, 1, 0])
        let amount = try await fresh.pool.read { db in try Int.fetchOne(db, sql: "SELECT amount FROM invoice") }
        XCTAssertEqual(amount, 2_000)
    }

    /// An import cannot leave an invoice owing less than was already paid: that row is refused with its
    /// line, the others are written.
    func testAnImportCannotLowerAnAmountBelowWhatWasPaid() async throws {
        let store = try Store(path: directory.appendingPathComponent("paid.sqlite").path)
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        let due = try XCTUnwrap(CalendarDate(iso: "2026-04-01"))
        func row(_ line: Int, _ number: String, _ amount: Int64) -> (line: Int, invoice: NewInvoice) {
            (
                line,
                NewInvoice(
                    number: number, customer: CustomerInput(name: "C \(number)"),
                    amount: Money(minorUnits: amount, currency: eur), issuedOn: due, dueOn: due)
            )
        }
        _ = try await store.importInvoices([row(2, "A", 10_000), row(3, "B", 10_000)], now: Date())
        let paid = try await store.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM invoice WHERE number = 'A'")
        }
        _ = try await store.recordPayment(
            invoiceID: try XCTUnwrap(paid),
            NewPayment(amount: 6_000, method: .transfer, reference: "V-1", receivedAt: Date()),
            now: Date())
        let counts = try await store.importInvoices([row(2, "A", 5_000), row(3, "B", 4_000)], now: Date())
        XCTAssertEqual(counts.updated, 1)
        XCTAssertEqual(counts.refused, ["line 2: the amount is less than what was already received for this invoice"])
        let amounts = try await store.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT amount FROM invoice ORDER BY number")
        }
        XCTAssertEqual(amounts, [10_000, 4_000])
        // The same amount again is no change, and not refused.
        let same = try await store.importInvoices([row(2, "A", 10_000)], now: Date())
        XCTAssertEqual([same.unchanged, same.refused.count], [1, 0])
    }

    /// The staged path (new customers and invoices gathered, then written set-based) must leave exactly the
    /// tables the row-by-row path leaves: random batches over few phones and references, against a
    /// database that already has some of those customers and invoices.
    func testStagedBatchesWriteWhatRowByRowWrites() async throws {
        var random = SeededRandom(seed: 20_261_202)
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        let phones = ["+33611111111", "+33622222222", "+33633333333", "+447700900123"].compactMap(PhoneNumber.init(_:))
        XCTAssertEqual(phones.count, 4)
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        func batch(_ size: Int, numbers: Range<Int>) -> [(line: Int, invoice: NewInvoice)] {
            Array(numbers.shuffled(using: &random).prefix(size)).enumerated().map { offset, number in
                let customer = CustomerInput(
                    name: ["Alice", "Bruno", "Chloé", "Driss"].randomElement(using: &random)!,
                    phone: Bool.random(using: &random) ? phones.randomElement(using: &random) : nil,
                    email: Bool.random(using: &random) ? "c\(Int.random(in: 1...3, using: &random))@example.com" : nil,
                    locale: [nil, "fr", "en"].randomElement(using: &random)!,
                    externalRef: Int.random(in: 0..<3, using: &random) == 0
                        ? "K-\(Int.random(in: 1...3, using: &random))" : nil)
                let day = CalendarDate(iso: "2026-03-\(10 + Int.random(in: 0...9, using: &random))")!
                return (
                    offset + 2,
                    NewInvoice(
                        number: "N-\(number)", customer: customer,
                        amount: Money(minorUnits: Int64(Int.random(in: 1...3, using: &random)) * 1_000, currency: eur),
                        issuedOn: day, dueOn: day)
                )
            }
        }
        func tables(_ store: Store) async throws -> [String] {
            try await store.pool.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT printf('c %d %s %s %s %s %s', id, name, phone, email, locale, external_ref)
                        FROM customer ORDER BY id
                        """)
                    + String.fetchAll(
                        db,
                        sql: """
                            SELECT printf('i %d %s %d %d %s %s %s', id, number, customer_id, amount, due_on,
                                updated_at, next_action_at) FROM invoice ORDER BY id
                            """)
            }
        }
        var staged = 0
        for round in 0..<60 {
            // The database knows every phone already, so most batches stage; some still fall back.
            var seed = batch(6, numbers: 0..<12)
            for (index, phone) in phones.enumerated() { seed[index].invoice.customer.phone = phone }
            let rows = batch(12, numbers: 0..<24)
            let first = try Store(path: directory.appendingPathComponent("staged-\(round).sqlite").path)
            let second = try Store(path: directory.appendingPathComponent("rows-\(round).sqlite").path)
            let known = seed
            for store in [first, second] {
                _ = try await store.pool.write { db in
                    try Store.importBatch(db, known, now: now, savepoints: true, numbersAreNew: false)
                }
            }
            let byRows = try await second.pool.write { db in
                try Store.importBatch(db, rows, now: now, savepoints: true, numbersAreNew: false)
            }
            let bySets: ImportCounts
            do {
                bySets = try await first.pool.write { db in
                    try Store.importBatch(db, rows, now: now, savepoints: false, numbersAreNew: false)
                }
                staged += 1
            } catch is ImportStaging.NeedsRows {
                // A staged customer's phone changed: the batch goes row by row, as importInvoices does.
                bySets = try await first.importInvoices(rows, now: now)
            }
            XCTAssertEqual(bySets, byRows, "round \(round)")
            let (left, right) = (try await tables(first), try await tables(second))
            XCTAssertEqual(left, right, "round \(round)")
        }
        XCTAssertGreaterThan(staged, 20, "most batches must take the staged path, or this compares nothing")
    }
}
