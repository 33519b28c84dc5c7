import Foundation

/// The phrases of `templates/strings.LANG.txt` in every language, read once: customer pages, the
/// dashboard and the texts the store writes itself (STOP and START confirmations, an email's footer)
/// all take their words from this one value, so a translator edits one file and nothing is worded twice.
public struct Catalogue: Sendable {
    /// Each language's phrases as written, for templates that paste them in when they are compiled.
    public let tables: [Language: [String: String]]
    private let byLanguage: [Language: Words]

    /// Keys must be the same in every language: a phrase missing in one would show its key to a customer.
    public init(tables: [Language: [String: String]]) throws {
        let keys = Set(tables[.fr]?.keys ?? [:].keys)
        for language in Language.allCases where Set(tables[language]?.keys ?? [:].keys) != keys {
            let differing = keys.symmetricDifference(Set(tables[language]?.keys ?? [:].keys)).sorted()
            throw Mismatch(file: Catalogue.fileName(language), keys: differing)
        }
        self.tables = tables
        byLanguage = Dictionary(
            uniqueKeysWithValues: tables.map { ($0.key, Words(language: $0.key, catalogue: $0.value)) })
    }

    /// `strings.LANG.txt` for every language, from `directory` (the `templates/` folder).
    public init(directory: URL) throws {
        var tables: [Language: [String: String]] = [:]
        for language in Language.allCases {
            tables[language] = try Catalogue.load(directory.appendingPathComponent(Catalogue.fileName(language)))
        }
        try self.init(tables: tables)
    }

    public static func fileName(_ language: Language) -> String { "strings.\(language.rawValue).txt" }

    /// Languages whose keys differ, with the keys, worded as the start-up has always stopped with.
    public struct Mismatch: Error, CustomStringConvertible {
        public let file: String
        public let keys: [String]
        public var description: String {
            "\(file): phrases differ between languages: \(keys.joined(separator: ", "))"
        }
    }

    /// Reads one catalogue file.
    public static func load(_ url: URL) throws -> [String: String] {
        parse(try String(contentsOf: url, encoding: .utf8))
    }

    /// `key = text` lines; `#` starts a comment line. Text is trimmed, so a phrase cannot start or end
    /// with a space (a `%@` placeholder at either end leaves room for one).
    public static func parse(_ text: String) -> [String: String] {
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            table[key] = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return table
    }

    /// One language's phrases.
    public func words(_ language: Language) -> Words {
        byLanguage[language] ?? Words(language: language, catalogue: [:])
    }

    /// A phrase with each `%@` replaced by the next argument; the key itself when there is no such phrase.
    public func phrase(_ key: String, _ language: Language, _ arguments: String...) -> String {
        words(language).phrase(key, arguments)
    }

    /// The keys of `keys` some language lacks: for callers that must not send a key as a text.
    public func missing(_ keys: [String]) -> [String] {
        keys.filter { key in Language.allCases.contains { tables[$0]?[key] == nil } }
    }
}

/// The catalogue's phrases in one language, for text the code writes (`t("key", argument…)`); each
/// `%@` in a phrase takes the next argument.
public struct Words: Sendable {
    public let language: Language
    /// Each phrase cut at its `%@` placeholders once, so filling one in is a few appends.
    let parts: [String: [String]]

    public init(language: Language, catalogue: [String: String]) {
        self.language = language
        parts = catalogue.mapValues { $0.components(separatedBy: "%@") }
    }

    /// The phrase, or its key when the catalogue lacks it (a test finds every key the code names).
    public func callAsFunction(_ key: String, _ arguments: String...) -> String { phrase(key, arguments) }

    public func phrase(_ key: String, _ arguments: [String]) -> String {
        guard let parts = parts[key] else { return key }
        var text = parts[0]
        for index in parts.indices.dropFirst() {
            text += (index - 1 < arguments.count ? arguments[index - 1] : "") + parts[index]
        }
        return text
    }

    /// Whether `count` takes the singular: one in English; zero or one in French ("0 demande").
    public func isOne(_ count: Int) -> Bool { count == 1 || (language == .fr && count == 0) }

    /// A date as this language writes it.
    public func date(_ date: CalendarDate) -> String { Format.date(date, language) }

    /// An amount as this language writes it.
    public func amount(_ money: Money) -> String { Format.amount(money, language) }
}
