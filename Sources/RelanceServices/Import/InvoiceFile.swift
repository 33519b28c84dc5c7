import Foundation
import RelanceCore

#if canImport(Glibc)
    import Glibc
#endif

/// A spreadsheet of invoices on disk, imported in two readings, a piece at a time, never held whole:
/// the first checks every row (nothing is written while one is wrong), the second writes the rows in
/// batches. Memory holds a batch, and a hash of each invoice number to find repeats, whatever the
/// file's size. `relance import` and the dashboard's import both use it.
public struct InvoiceFile: Sendable {
    public let url: URL
    /// Column title → field name (`InvoiceImport.Field`), or "" to leave a column out.
    public let overrides: [String: String]
    public let today: CalendarDate

    /// Rows per write transaction.
    public static let batchSize = 10_000
    /// Files above this size are refused before reading.
    public static let maximumBytes = 256 * 1024 * 1024
    /// Problems kept to show; the rest are counted.
    public static let shownProblems = 50
    /// Rows kept as read, for a preview.
    public static let previewRows = 5

    public init(url: URL, overrides: [String: String] = [:], today: CalendarDate) {
        self.url = url
        self.overrides = overrides
        self.today = today
    }

    /// A reading or writing that cannot go on, said in one sentence.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public enum Kind: Sendable, Equatable {
            case unreadable, tooLarge, empty, badCSV, changed
        }
        public let kind: Kind
        public let description: String
        /// What the CSV reader found, when that is what stopped it.
        public var problem: CSVReader.Problem?
    }

    /// What the first reading found.
    public struct Check: Sendable {
        /// The header line's titles.
        public var header: [String] = []
        /// Which column holds each field (when the header could be read).
        public var columns: [InvoiceImport.Field: Int] = [:]
        /// What is wrong with the header or the mapping (no column for a required field…).
        public var columnProblems: [String] = []
        /// The first problems of rows.
        public var rowProblems: [RowProblem] = []
        /// The same, in English, each starting with its line.
        public var problems: [String] { rowProblems.map(\.message) }
        public var problemCount = 0
        /// Rows without a problem.
        public var valid = 0
        /// The first rows as read, for the user to see their columns.
        public var preview: [[String]] = []
        /// Records read, the header included.
        var records = 0
        var identity: [String]?

        public var isClean: Bool { columnProblems.isEmpty && problemCount == 0 && valid > 0 }
    }

    /// The size of the file, refusing one above `maximumBytes`.
    func checkedSize() throws(Failure) -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            throw Failure(kind: .unreadable, description: "cannot read \(url.lastPathComponent)")
        }
        let size = attributes[.size] as? Int ?? 0
        guard size <= InvoiceFile.maximumBytes else {
            throw Failure(
                kind: .tooLarge,
                description:
                    "\(url.lastPathComponent) is \(size / 1_048_576) MB; split it below \(InvoiceFile.maximumBytes / 1_048_576) MB"
            )
        }
        return size
    }

    /// The header line's titles, read alone (nil when the file has none).
    public func header() async throws -> [String]? {
        _ = try checkedSize()
        var header: [String]?
        try await read { records in
            header = records.first?.fields
            return header == nil
        }
        return header
    }

    /// The first reading: every row checked, repeats of an invoice number found.
    public func check() async throws -> Check {
        let size = try checkedSize()
        var result = Check()
        result.identity = InvoiceFile.identity(url)
        var seen: [UInt64: Int32] = [:]
        var headerRead = false
        try await read { records in
            if seen.isEmpty, size > 1 << 20 {
                // Room for the whole file at once, guessed from its first mebibyte: growing by doubling
                // would hold the old table and the new one together, and leave holes behind.
                seen.reserveCapacity(min(size / 8, records.count * (size >> 20) * 21 / 20))
            }
            result.records += records.count
            for record in records {
                guard headerRead else {
                    headerRead = true
                    result.header = record.fields
                    // The columns found are kept even when one is missing: the page shows them to correct.
                    (result.columns, result.columnProblems) = InvoiceImport.matched(
                        header: record.fields, overrides: overrides)
                    continue
                }
                if result.preview.count < InvoiceFile.previewRows {
                    // Enough of each cell to recognise it; a cell may hold 64 KiB.
                    result.preview.append(record.fields.map { $0.count > 200 ? String($0.prefix(200)) : $0 })
                }
                // Without a usable header the rows are only previewed, not checked.
                guard result.columnProblems.isEmpty else {
                    if result.preview.count >= InvoiceFile.previewRows { return false }
                    continue
                }
                switch InvoiceImport.invoice(record, columns: result.columns, today: today) {
                case .success(let invoice):
                    let key = InvoiceFile.hash(invoice.number)
                    if let first = seen[key] {
                        result.problemCount += 1
                        if result.rowProblems.count < InvoiceFile.shownProblems {
                            result.rowProblems.append(
                                RowProblem(
                                    line: record.line, field: .number, code: .repeated,
                                    values: [invoice.number, String(first)]))
                        }
                    } else {
                        seen[key] = Int32(clamping: record.line)
                        result.valid += 1
                    }
                case .failure(let problems):
                    result.problemCount += problems.messages.count
                    result.rowProblems += problems.rows.prefix(
                        max(0, InvoiceFile.shownProblems - result.rowProblems.count))
                }
            }
            return true
        }
        guard headerRead else {
            throw Failure(kind: .empty, description: "\(url.lastPathComponent): \(CSVReader.Problem.empty.description)")
        }
        seen = [:]
        InvoiceFile.giveBackFreedMemory()
        return result
    }

    /// How many of the file's (checked) invoice numbers the database already has: a reading that writes
    /// nothing, to say what an import would create and what it would update.
    public func knownCount(in store: any ImportStorage, check: Check) async throws -> Int {
        var known = 0
        var numbers: [String] = []
        try await rows(check) { invoices in
            numbers = invoices.map(\.invoice.number)
            known += try await store.knownInvoiceCount(numbers: numbers)
        }
        return known
    }

    /// The second reading: writes the rows a clean `check` found, in batches. One batch is written while
    /// the next is read and checked, so the database's thread and this one work side by side and only two
    /// batches are ever held. `progress` hears the rows written so far. Throws `Failure` (`changed`) when
    /// the file is no longer the one checked; what was written before that stays (a second import
    /// updates it, never duplicates).
    public func write(
        to store: any ImportStorage, check: Check, now: @escaping @Sendable () -> Date,
        progress: @escaping @Sendable (_ done: Int, _ counts: ImportCounts) -> Void = { _, _ in }
    ) async throws -> ImportCounts {
        var total = ImportCounts()
        // The first reading proved each number appears once; if no invoice exists yet, none can be found.
        let numbersAreNew = try await !store.hasInvoices()
        var done = 0
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
            progress(done, total)
        }
        do {
            try await rows(check) { batch in
                try await settle()
                writingCount = batch.count
                let instant = now()
                writing = Task { try await store.importInvoices(batch, now: instant, numbersAreNew: numbersAreNew) }
            }
            try await settle()
        } catch {
            // What was already handed to the database is written before this gives up.
            try? await settle()
            throw error
        }
        return total
    }

    /// The checked rows again, a batch at a time; throws `changed` if the file is not the one checked.
    func rows(_ check: Check, _ batch: ([(line: Int, invoice: NewInvoice)]) async throws -> Void) async throws {
        guard check.isClean else { return }
        // The second reading trusts the first: the file must be the one that was checked.
        guard InvoiceFile.identity(url) == check.identity else { throw InvoiceFile.changed(url) }
        var pending: [(line: Int, invoice: NewInvoice)] = []
        pending.reserveCapacity(InvoiceFile.batchSize)
        var header = true
        var changed = false
        var reread = 0
        try await read { records in
            reread += records.count
            for record in records {
                if header {
                    header = false
                    if record.fields != check.header {
                        changed = true
                        return false
                    }
                    continue
                }
                guard case .success(let invoice) = InvoiceImport.invoice(record, columns: check.columns, today: today)
                else {
                    changed = true
                    return false
                }
                pending.append((record.line, invoice))
                if pending.count == InvoiceFile.batchSize {
                    try await batch(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            return true
        }
        if changed || reread != check.records || InvoiceFile.identity(url) != check.identity {
            throw InvoiceFile.changed(url)
        }
        if !pending.isEmpty { try await batch(pending) }
    }

    static func changed(_ url: URL) -> Failure {
        Failure(kind: .changed, description: "\(url.lastPathComponent) changed while it was imported")
    }

    /// Reads the file a mebibyte at a time through the CSV parser and hands each piece's records to
    /// `records`, which returns false to stop. The next piece is parsed in a child task while `records`
    /// checks (or queues) this one: the two cores each take half.
    func read(_ records: ([CSVReader.Record]) async throws -> Bool) async throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw Failure(kind: .unreadable, description: "cannot read \(url.lastPathComponent)")
        }
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
                InvoiceFile.giveBackFreedMemory()
            }
            if current.parser.isEmpty {
                throw Failure(
                    kind: .empty, description: "\(url.lastPathComponent): \(CSVReader.Problem.empty.description)")
            }
        } catch let problem as CSVReader.Problem {
            throw Failure(
                kind: .badCSV, description: "\(url.lastPathComponent): \(problem.description)", problem: problem)
        }
    }

    struct ParsedPiece: Sendable {
        var parser: CSVReader.Parser
        var records: [CSVReader.Record]
        var last: Bool
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
}
