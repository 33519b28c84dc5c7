/// Reads CSV as spreadsheets write it: comma or semicolon (guessed from the header when not given),
/// fields in double quotes with `""` inside and line breaks allowed, CRLF or LF, a UTF-8 byte-order mark
/// skipped. Each record keeps the file line it starts on, for error messages.
public struct CSVReader {
    public struct Record: Equatable, Sendable {
        public var line: Int
        public var fields: [String]
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notUTF8(line: Int)
        case unterminatedQuote(line: Int)
        case empty

        public var description: String {
            switch self {
            case .notUTF8(let line): "line \(line): the file is not UTF-8 text; save it as CSV UTF-8 and try again"
            case .unterminatedQuote(let line): "line \(line): a quoted field is never closed"
            case .empty: "the file has no header line"
            }
        }
    }

    /// Every record of `bytes`, the header first.
    public static func records(_ bytes: [UInt8], separator: UInt8? = nil) throws(Problem) -> [Record] {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        let separator = separator ?? guessSeparator(bytes, from: start)
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quotedAt = 0
        var index = start
        func endField() throws(Problem) {
            guard let text = String(validating: field, as: UTF8.self) else { throw .notUTF8(line: recordLine) }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() throws(Problem) {
            try endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") && field.isEmpty {
                inQuotes = true
                quotedAt = line
            } else if byte == separator {
                try endField()
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                try endRecord()
                line += 1
                recordLine = line
            } else {
                field.append(byte)
            }
            index += 1
        }
        if inQuotes { throw .unterminatedQuote(line: quotedAt) }
        if !field.isEmpty || !fields.isEmpty { try endRecord() }
        guard !records.isEmpty else { throw .empty }
        return records
    }

    /// Semicolon when the header line has more of them than commas (French and German spreadsheets).
    static func guessSeparator(_ bytes: [UInt8], from start: Int) -> UInt8 {
        var commas = 0
        var semicolons = 0
        var index = start
        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") {
            if bytes[index] == UInt8(ascii: ",") { commas += 1 }
            if bytes[index] == UInt8(ascii: ";") { semicolons += 1 }
            index += 1
        }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }
}
