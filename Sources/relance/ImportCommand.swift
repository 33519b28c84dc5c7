import ArgumentParser
import Foundation
import RelanceCore
import RelanceStore

/// `relance import FILE.csv`: invoices from a spreadsheet, checked row by row before any is written.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Import invoices from a CSV file (comma or semicolon, UTF-8); a second import updates, never duplicates.")

    @Argument(help: "The CSV file; its first line names the columns.")
    var file: String

    @Flag(help: "Check every row and say what would change, without writing anything.")
    var dryRun = false

    @Option(
        name: .customLong("map"), help: "A column title and the field it holds, e.g. 'Montant TTC=amount'. Repeatable.")
    var mappings: [String] = []

    @OptionGroup var storage: DatabaseOptions

    /// Files above this size are refused before reading.
    static let maximumBytes = 256 * 1024 * 1024
    static let batchSize = 5_000

    func run() async throws {
        var overrides: [String: String] = [:]
        for mapping in mappings {
            let parts = mapping.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CommandFailure("--map wants COLUMN=field, not '\(mapping)'")
            }
            overrides[parts[0]] = parts[1]
        }
        let url = URL(fileURLWithPath: file)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= ImportCommand.maximumBytes else {
            throw CommandFailure(
                "\(file) is \(size / 1_048_576) MB; split it below \(ImportCommand.maximumBytes / 1_048_576) MB")
        }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
        }
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(bytes)
        } catch {
            throw CommandFailure("\(file): \(error.description)")
        }
        let columns: [InvoiceImport.Field: Int]
        switch InvoiceImport.columns(header: records[0].fields, overrides: overrides) {
        case .success(let found): columns = found
        case .failure(let problems): throw CommandFailure(problems.messages.joined(separator: "\n"))
        }

        // Every row first: nothing is written while one is wrong.
        let store = try storage.openStore()
        let zone = TimeZone(identifier: try await store.business().timeZone) ?? .gmt
        let today = CalendarDate(instant: Date(), timeZone: zone)
        var rows: [(line: Int, invoice: NewInvoice)] = []
        var errors: [String] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            switch InvoiceImport.invoice(record, columns: columns, today: today) {
            case .success(let invoice):
                if let first = seen[invoice.number] {
                    errors.append("line \(record.line): number: \(invoice.number) is already on line \(first)")
                } else {
                    seen[invoice.number] = record.line
                    rows.append((record.line, invoice))
                }
            case .failure(let problems): errors += problems.messages
            }
        }
        guard errors.isEmpty else {
            for error in errors.prefix(50) { printError(error) }
            if errors.count > 50 { printError("… and \(errors.count - 50) more") }
            throw CommandFailure("\(errors.count) problem(s) in \(file); nothing was imported")
        }
        if dryRun {
            let existing = try await store.knownInvoiceCount(numbers: rows.map(\.invoice.number))
            print(
                "\(rows.count) rows are valid: \(rows.count - existing) new invoices, \(existing) already known (updated if changed). Nothing written (--dry-run)."
            )
            return
        }

        var total = ImportCounts()
        let progress = Progress(total: rows.count)
        for start in stride(from: 0, to: rows.count, by: ImportCommand.batchSize) {
            let batch = Array(rows[start..<min(start + ImportCommand.batchSize, rows.count)])
            let counts = try await store.importInvoices(batch, now: Date())
            total.created += counts.created
            total.updated += counts.updated
            total.unchanged += counts.unchanged
            total.refused += counts.refused
            progress.show(min(start + ImportCommand.batchSize, rows.count))
        }
        progress.finish()
        for refusal in total.refused.prefix(50) { printError(refusal) }
        print(
            "\(total.created) created, \(total.updated) updated, \(total.unchanged) unchanged, \(total.refused.count) refused"
        )
        if !total.refused.isEmpty { throw ExitCode(1) }
    }

    /// A bar on a terminal, a line every 10,000 rows otherwise (logs, cron).
    final class Progress {
        let total: Int
        let terminal = isatty(2) == 1
        var lastLine = 0

        init(total: Int) { self.total = total }

        func show(_ done: Int) {
            if terminal {
                let width = 30
                let filled = total == 0 ? width : done * width / total
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
            } else if done - lastLine >= 10_000 || done == total {
                printError("imported \(done) of \(total) rows")
                lastLine = done
            }
        }

        func finish() {
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
