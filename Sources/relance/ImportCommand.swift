import ArgumentParser
import Foundation
import RelanceCore
import RelanceStore

#if canImport(Glibc)
    import Glibc
#endif

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
    static let batchSize = 10_000

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
        let store = try storage.openStore()
        let zone = TimeZoneName.zone(try await store.business().timeZone) ?? .gmt
        let today = CalendarDate(instant: Date(), timeZone: zone)

        // The file is read twice, a piece at a time, and never held whole: first every row is checked
        // (nothing is written while one is wrong), then the rows are written in batches. Memory holds a
        // batch, and a hash of each invoice number to find repeats, whatever the file's size.
        var columns: [InvoiceImport.Field: Int]?
        var columnProblems: [String] = []
        var errors: [String] = []
        var errorCount = 0
        var valid = 0
        var seen: [UInt64: Int32] = [:]
        var headerFields: [String] = []
        var rows = 0
        let identity = ImportCommand.identity(url)
        try await read(url) { records in
            if seen.isEmpty, size > 1 << 20 {
                // Room for the whole file at once, guessed from its first mebibyte: growing by doubling
                // would hold the old table and the new one together, and leave holes behind.
                seen.reserveCapacity(min(size / 8, records.count * (size >> 20) * 21 / 20))
            }
            rows += records.count
            for record in records {
                guard let found = columns else {
                    headerFields = record.fields
                    switch InvoiceImport.columns(header: record.fields, overrides: overrides) {
                    case .success(let found): columns = found
                    case .failure(let problems): columnProblems = problems.messages
                    }
                    if !columnProblems.isEmpty { return false }
                    continue
                }
                switch InvoiceImport.invoice(record, columns: found, today: today) {
                case .success(let invoice):
                    let key = ImportCommand.hash(invoice.number)
                    if let first = seen[key] {
                        errorCount += 1
                        if errors.count < 50 {
                            errors.append("line \(record.line): number: \(invoice.number) is already on line \(first)")
                        }
                    } else {
                        seen[key] = Int32(clamping: record.line)
                        valid += 1
                    }
                case .failure(let problems):
                    errorCount += problems.messages.count
                    errors += problems.messages.prefix(max(0, 50 - errors.count))
                }
            }
            return true
        }
        seen = [:]
        ImportCommand.giveBackFreedMemory()
        if !columnProblems.isEmpty { throw CommandFailure(columnProblems.joined(separator: "\n")) }
        guard let columns else { throw CommandFailure("\(file): \(CSVReader.Problem.empty.description)") }
        guard errorCount == 0 else {
            for error in errors { printError(error) }
            if errorCount > errors.count { printError("… and \(errorCount - errors.count) more") }
            throw CommandFailure("\(errorCount) problem(s) in \(file); nothing was imported")
        }

        // The second reading trusts the first: the file must be the one that was checked.
        guard ImportCommand.identity(url) == identity else {
            throw CommandFailure("\(file) changed while it was checked; nothing was imported, run the import again")
        }
        var total = ImportCounts()
        var known = 0
        // The first reading proved each number appears once; if no invoice exists yet, none can be found.
        let numbersAreNew = try await dryRun ? false : !store.hasInvoices()
        if !dryRun { try await store.checkpointLess(pages: 20_000) }
        var batch: [(line: Int, invoice: NewInvoice)] = []
        batch.reserveCapacity(ImportCommand.batchSize)
        var done = 0
        let progress = Progress(total: valid)
        // One batch is written while the next is read and checked: the database's thread and this one
        // work side by side, and only two batches are ever held.
        var writing: Task<ImportCounts, Error>?
        var writingCount = 0
        func settle() async throws {
            guard let task = writing else { return }
            let counts = try await task.value
            writing = nil
            total.created += counts.created
            total.updated += counts.updated
            total.unchanged += counts.unchanged
            total.refused += counts.refused
            done += writingCount
            progress.show(done)
        }
        func flush() async throws {
            guard !batch.isEmpty else { return }
            if dryRun {
                known += try await store.knownInvoiceCount(numbers: batch.map(\.invoice.number))
            } else {
                try await settle()
                let rows = batch
                writingCount = rows.count
                writing = Task { try await store.importInvoices(rows, now: Date(), numbersAreNew: numbersAreNew) }
            }
            batch.removeAll(keepingCapacity: true)
        }
        var header = true
        var changed = false
        var reread = 0
        do {
            try await read(url) { records in
                reread += records.count
                for record in records {
                    if header {
                        header = false
                        if record.fields != headerFields {
                            changed = true
                            return false
                        }
                        continue
                    }
                    guard case .success(let invoice) = InvoiceImport.invoice(record, columns: columns, today: today)
                    else {
                        changed = true
                        return false
                    }
                    batch.append((record.line, invoice))
                    if batch.count == ImportCommand.batchSize { try await flush() }
                }
                return true
            }
            if !changed && (reread != rows || ImportCommand.identity(url) != identity) { changed = true }
            if !changed {
                try await flush()
            }
            try await settle()
        } catch {
            // What was already handed to the database is written; say how much before giving up.
            try? await settle()
            printError("stopped after \(total.created) created and \(total.updated) updated")
            throw error
        }
        if changed {
            throw CommandFailure(
                "\(file) changed while it was imported (\(total.created) created and \(total.updated) updated before "
                    + "that); run the import again: what is already in is updated, not duplicated")
        }
        if dryRun {
            print(
                "\(valid) rows are valid: \(valid - known) new invoices, \(known) already known (updated if changed). Nothing written (--dry-run)."
            )
            return
        }
        progress.finish()
        for refusal in total.refused.prefix(50) { printError(refusal) }
        print(
            "\(total.created) created, \(total.updated) updated, \(total.unchanged) unchanged, \(total.refused.count) refused"
        )
        if !total.refused.isEmpty { throw ExitCode(1) }
    }

    /// Reads `url` a mebibyte at a time through the CSV parser and hands each piece's records to
    /// `records`, which returns false to stop. The next piece is parsed in a child task while `records`
    /// checks (or queues) this one: the two cores each take half.
    func read(_ url: URL, _ records: ([CSVReader.Record]) async throws -> Bool) async throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw CommandFailure("cannot read \(file)") }
        defer { try? handle.close() }
        @Sendable func parse(_ parser: CSVReader.Parser, _ data: Data) throws -> ParsedPiece {
            var parser = parser
            var piece: [CSVReader.Record] = []
            if data.isEmpty {
                try parser.finish { piece.append($0) }
            } else {
                try parser.feed(Array(data)) { piece.append($0) }
            }
            return ParsedPiece(parser: parser, records: piece, last: data.isEmpty)
        }
        do {
            var current = try parse(CSVReader.Parser(), try handle.read(upToCount: 1 << 20) ?? Data())
            while true {
                if current.last {
                    _ = try await records(current.records)
                    break
                }
                let data = try handle.read(upToCount: 1 << 20) ?? Data()
                let parser = current.parser
                async let next = parse(parser, data)
                guard try await records(current.records) else { return }
                current = try await next
                ImportCommand.giveBackFreedMemory()
            }
            if current.parser.isEmpty { throw CommandFailure("\(file): \(CSVReader.Problem.empty.description)") }
        } catch let problem as CSVReader.Problem {
            throw CommandFailure("\(file): \(problem.description)")
        }
    }

    /// glibc keeps what threads free in their own arenas and returns it to the system only when asked:
    /// a piece's records are made on one thread and freed on another, so without this the resident size
    /// grows with the file (1.2 million rows: 160 MB) although what is live stays under 70 MB.
    static func giveBackFreedMemory() {
        #if canImport(Glibc)
            // `malloc_trim` (malloc.h) is not in Swift's Glibc module: looked up once, by name.
            trim?(0)
        #endif
    }

    #if canImport(Glibc)
        nonisolated(unsafe) static let trim: (@convention(c) (Int) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        }()
    #endif

    struct ParsedPiece: Sendable {
        var parser: CSVReader.Parser
        var records: [CSVReader.Record]
        var last: Bool
    }

    /// The file's size and modification time: what says it is still the file that was checked.
    static func identity(_ url: URL) -> [String]? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
        return [
            "\(attributes[.size] as? Int ?? -1)",
            "\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)",
        ]
    }

    /// A 64-bit FNV-1a hash of an invoice number: what the first reading keeps to find a number used
    /// twice (two different numbers share one only once in billions of files of a million rows).
    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return value
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
