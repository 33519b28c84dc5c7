/// Reads CSV as spreadsheets write it: comma or semicolon (guessed from the header when not given),
/// fields in double quotes with `""` inside and line breaks allowed, CRLF or LF, a UTF-8 byte-order mark
/// skipped. Each record keeps the file line it starts on, for error messages.
///
/// `Parser` reads a file in pieces of any size (a large file is never held whole); `records` reads bytes
/// already in memory with the same parser.
public struct CSVReader {
    public struct Record: Equatable, Sendable {
        public var line: Int
        public var fields: [String]
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notUTF8(line: Int)
        case unterminatedQuote(line: Int)
        case tooLong(line: Int)
        case tooWide(line: Int)
        case empty

        public var description: String {
            switch self {
            case .notUTF8(let line): "line \(line): the file is not UTF-8 text; save it as CSV UTF-8 and try again"
            case .unterminatedQuote(let line): "line \(line): a quoted field is never closed"
            case .tooWide(let line): "line \(line): more than \(CSVReader.widest) columns"
            case .tooLong(let line):
                "line \(line): a field (or the header line) is longer than \(CSVReader.longest / 1024) KiB"
            case .empty: "the file has no header line"
            }
        }
    }

    /// The most bytes a field, or the header line, may hold: what a parser keeps in memory is bounded by
    /// it, not by the file.
    public static let longest = 64 * 1024
    /// The most fields a line may have.
    public static let widest = 1_000

    /// Every record of `bytes`, the header first.
    public static func records(_ bytes: [UInt8], separator: UInt8? = nil) throws(Problem) -> [Record] {
        var parser = Parser(separator: separator)
        var records: [Record] = []
        try parser.feed(bytes) { records.append($0) }
        try parser.finish { records.append($0) }
        guard !records.isEmpty else { throw .empty }
        return records
    }

    /// A byte-at-a-time state machine: nothing it decides needs the next byte, so a file can be fed in
    /// pieces cut anywhere (inside a quoted field, between CR and LF, between two quotes).
    public struct Parser: Sendable {
        var separator: UInt8?
        /// Bytes before the separator is known: the header line, which decides it.
        var head: [UInt8] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        /// A quote inside a quoted field: the next byte says whether it was `""` or the closing one.
        var quotePending = false
        /// A CR ended a record; an LF right after it belongs to it.
        var skipLF = false
        var quotedAt = 0
        var started = false
        var emitted = 0

        public init(separator: UInt8? = nil) { self.separator = separator }

        /// Whether no record at all was read (not even a header).
        public var isEmpty: Bool { emitted == 0 }

        /// Parses `bytes`, handing each complete record to `emit`.
        public mutating func feed(_ bytes: [UInt8], _ emit: (Record) -> Void) throws(Problem) {
            guard let separator else {
                // Until the header line is whole, only collect it.
                let searched = head.count
                head += bytes
                guard let newline = head[searched...].firstIndex(where: { $0 == 10 || $0 == 13 }) else {
                    if head.count > CSVReader.longest { throw .tooLong(line: 1) }
                    return
                }
                let start = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
                self.separator = CSVReader.guessSeparator(head[start..<newline])
                let held = head
                head = []
                try feed(held, emit)
                return
            }
            if !started {
                // A UTF-8 byte-order mark before the header is not part of it: the first three bytes are
                // held until they are all there, whatever the size of the pieces.
                head += bytes
                guard head.count >= 3 else { return }
                try start(separator, emit)
                return
            }
            for byte in bytes { try take(byte, separator, emit) }
        }

        /// Reads what `head` held before the first three bytes were known, without a byte-order mark.
        private mutating func start(_ separator: UInt8, _ emit: (Record) -> Void) throws(Problem) {
            started = true
            let held = head
            head = []
            for byte in held.dropFirst(held.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0) {
                try take(byte, separator, emit)
            }
        }

        /// The last record, when the file does not end with a line break.
        public mutating func finish(_ emit: (Record) -> Void) throws(Problem) {
            if separator == nil {
                let start = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
                separator = CSVReader.guessSeparator(head[min(start, head.count)...])
                guard !head.isEmpty else { return }
                let held = head
                head = []
                try feed(held, emit)
            }
            if !started, let separator { try start(separator, emit) }
            if quotePending {
                quotePending = false
                inQuotes = false
            }
            if inQuotes { throw .unterminatedQuote(line: quotedAt) }
            if !field.isEmpty || !fields.isEmpty { try endRecord(emit) }
        }

        private mutating func take(_ byte: UInt8, _ separator: UInt8, _ emit: (Record) -> Void) throws(Problem) {
            if skipLF {
                skipLF = false
                if byte == 10 { return }
            }
            if quotePending {
                quotePending = false
                if byte == 34 {
                    try append(34)
                    return
                }
                inQuotes = false
            }
            if inQuotes {
                if byte == 34 {
                    quotePending = true
                } else {
                    if byte == 10 { line += 1 }
                    try append(byte)
                }
            } else if byte == 34 && field.isEmpty {
                inQuotes = true
                quotedAt = line
            } else if byte == separator {
                try endField()
            } else if byte == 10 || byte == 13 {
                if byte == 13 { skipLF = true }
                try endRecord(emit)
                line += 1
                recordLine = line
            } else {
                try append(byte)
            }
        }

        private mutating func append(_ byte: UInt8) throws(Problem) {
            guard field.count < CSVReader.longest else { throw .tooLong(line: recordLine) }
            field.append(byte)
        }

        private mutating func endField() throws(Problem) {
            guard fields.count < CSVReader.widest else { throw .tooWide(line: recordLine) }
            guard let text = String(validating: field, as: UTF8.self) else { throw .notUTF8(line: recordLine) }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }

        private mutating func endRecord(_ emit: (Record) -> Void) throws(Problem) {
            try endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                emitted += 1
                emit(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }
    }

    /// Semicolon when the header line has more of them than commas (French and German spreadsheets).
    static func guessSeparator(_ header: ArraySlice<UInt8>) -> UInt8 {
        var commas = 0
        var semicolons = 0
        for byte in header {
            if byte == UInt8(ascii: ",") { commas += 1 }
            if byte == UInt8(ascii: ";") { semicolons += 1 }
        }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }
}
