import Foundation
import RelanceCore

/// A page template in a small subset of Mustache — `{{name}}` (escaped), `{{{name}}}` (raw),
/// `{{#name}}…{{/name}}`, `{{^name}}…{{/name}}`, `{{! comment}}` and `{{t.key}}` for translations — compiled
/// once per language at start-up into byte runs. Customer pages are the hot path: a general Mustache
/// renderer measured at about half of the plain route's throughput here, this one costs a few µs.
public struct PageTemplate: Sendable {
    indirect enum Node: Sendable {
        case text([UInt8])
        case variable(PageSlot, escaped: Bool)
        case section(PageSlot, inverted: Bool, [Node])
    }

    let nodes: [Node]
    public let name: String

    static let empty = PageTemplate(name: "empty", nodes: [])

    init(name: String, nodes: [Node]) {
        self.name = name
        self.nodes = nodes
    }

    public struct SyntaxError: Error, CustomStringConvertible {
        public let template: String
        public let offset: Int
        public let problem: String
        public var description: String { "\(template): \(problem) at byte \(offset)" }
    }

    /// Compiles `source`, replacing `{{t.key}}` with the escaped text of `strings[key]` at once.
    public init(name: String, source: String, strings: [String: String]) throws {
        self.name = name
        let bytes = Array(PageTemplate.dropStandaloneLines(source).utf8)
        var index = 0
        var stack: [(name: String, inverted: Bool, nodes: [Node], offset: Int)] = [("", false, [], 0)]
        func slot(_ name: String, _ offset: Int) throws -> PageSlot {
            guard let slot = PageSlot(name: name) else {
                throw SyntaxError(template: name, offset: offset, problem: "unknown variable \(name)")
            }
            return slot
        }
        var text: [UInt8] = []

        func flushText() {
            if !text.isEmpty {
                stack[stack.count - 1].nodes.append(.text(text))
                text = []
            }
        }
        func fail(_ problem: String, _ offset: Int) -> SyntaxError {
            SyntaxError(template: name, offset: offset, problem: problem)
        }

        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{")
            else {
                text.append(bytes[index])
                index += 1
                continue
            }
            let start = index
            let triple = index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "{")
            let open = triple ? 3 : 2
            let close: [UInt8] = triple ? Array("}}}".utf8) : Array("}}".utf8)
            var end = index + open
            while end + close.count <= bytes.count && Array(bytes[end..<end + close.count]) != close { end += 1 }
            guard end + close.count <= bytes.count else { throw fail("unclosed tag", start) }
            let inside = String(decoding: bytes[(index + open)..<end], as: UTF8.self).trimmingCharacters(
                in: .whitespaces)
            index = end + close.count
            guard let sigil = inside.first else { throw fail("empty tag", start) }
            switch sigil {
            case "!":
                continue
            case "#", "^":
                flushText()
                let key = String(inside.dropFirst()).trimmingCharacters(in: .whitespaces)
                stack.append((key, sigil == "^", [], start))
            case "/":
                flushText()
                let key = String(inside.dropFirst()).trimmingCharacters(in: .whitespaces)
                guard stack.count > 1, let section = stack.popLast(), section.name == key else {
                    throw fail("closing {{/\(key)}} does not match an open section", start)
                }
                stack[stack.count - 1].nodes.append(
                    .section(try slot(section.name, section.offset), inverted: section.inverted, section.nodes))
            default:
                if inside.hasPrefix("t.") {
                    let key = String(inside.dropFirst(2))
                    guard let value = strings[key] else { throw fail("no translation for \(key)", start) }
                    text += triple ? Array(value.utf8) : HTML.escape(value)
                } else {
                    flushText()
                    stack[stack.count - 1].nodes.append(.variable(try slot(inside, start), escaped: !triple))
                }
            }
        }
        flushText()
        guard stack.count == 1 else {
            throw fail("section {{#\(stack[stack.count - 1].name)}} is never closed", stack[stack.count - 1].offset)
        }
        nodes = stack[0].nodes
    }

    /// A line holding only a section or comment tag leaves no blank line behind, as in Mustache.
    static func dropStandaloneLines(_ source: String) -> String {
        var lines: [Substring] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let standalone =
                trimmed.hasPrefix("{{") && trimmed.hasSuffix("}}")
                && trimmed.dropFirst(2).first.map { "#^/!".contains($0) } == true
                && trimmed.dropFirst(2).firstIndex(of: "{") == nil && trimmed.components(separatedBy: "}}").count == 2
            if standalone, !lines.isEmpty {
                lines[lines.count - 1] += trimmed
            } else if standalone {
                lines.append(Substring(trimmed))
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Renders with `values`; a name that is absent renders as nothing and counts as false.
    public func render(_ values: PageValues) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8192)
        PageTemplate.render(nodes, values, into: &out)
        return out
    }

    static func render(_ nodes: [Node], _ values: PageValues, into out: inout [UInt8]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                out.append(contentsOf: bytes)
            case .variable(let slot, let escaped):
                guard let value = values[slot] else { continue }
                if escaped { HTML.escape(value, into: &out) } else { out.append(contentsOf: value.utf8) }
            case .section(let slot, let inverted, let children):
                if values.isTrue(slot) != inverted { render(children, values, into: &out) }
            }
        }
    }
}

/// Every name a customer-page template may use. Templates are checked against this list when they
/// are compiled, and values are stored by position, so rendering never hashes a string.
public enum PageSlot: Int, CaseIterable, Sendable {
    case amount, balance, balance_plain, bank_beneficiary, bank_bic, bank_iban, business_address, business_email
    case business_name, business_phone, business_phone_display, csrf, css_href, customer_name, has_ways, heading
    case number, open, paid, partly_paid, payment_url, renew_action, secure, state_class, state_text, text, void

    var index: Int { rawValue }

    /// The slot a template names, by its case name.
    init?(name: String) {
        guard let slot = PageSlot.allCases.first(where: { String(describing: $0) == name }) else { return nil }
        self = slot
    }
}

/// The values one page is rendered with: strings, and names that are simply on.
public struct PageValues: Sendable {
    private var strings = [String?](repeating: nil, count: PageSlot.allCases.count)
    private var flags = [Bool](repeating: false, count: PageSlot.allCases.count)

    public init() {}

    public subscript(slot: PageSlot) -> String? {
        get { strings[slot.index] }
        set { strings[slot.index] = newValue }
    }

    public mutating func set(_ slot: PageSlot, _ on: Bool = true) { flags[slot.index] = on }

    func isTrue(_ slot: PageSlot) -> Bool {
        flags[slot.index] || !(strings[slot.index]?.isEmpty ?? true)
    }
}

/// Escaping for text and attribute values in HTML.
public enum HTML {
    public static func escape(_ string: String) -> [UInt8] {
        var out: [UInt8] = []
        escape(string, into: &out)
        return out
    }

    public static func escape(_ string: String, into out: inout [UInt8]) {
        // Most values hold nothing to escape: copy them whole.
        if !string.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) {
            out.append(contentsOf: string.utf8)
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
    }

    public static func escaped(_ string: String) -> String { String(decoding: escape(string), as: UTF8.self) }
}

/// The customer pages' templates for every language, and the translated phrases code needs, loaded
/// from `templates/` once; a missing file, phrase or broken tag stops the start-up.
public struct PageLibrary: Sendable {
    let templates: [Language: [String: PageTemplate]]
    let strings: [Language: [String: String]]
    /// Each phrase cut at its `%@` placeholders once, so filling one in is a few appends.
    let phraseParts: [Language: [String: [String]]]

    public static let pageNames = ["invoice", "link-problem", "renewal-sent", "neutral", "error"]

    public init(directory: URL) throws {
        var templates: [Language: [String: PageTemplate]] = [:]
        var strings: [Language: [String: String]] = [:]
        let layout = try String(contentsOf: directory.appendingPathComponent("layout.html"), encoding: .utf8)
        for language in Language.allCases {
            let catalog = try PageLibrary.loadStrings(
                directory.appendingPathComponent("strings.\(language.rawValue).txt"))
            strings[language] = catalog
            var pages: [String: PageTemplate] = [:]
            for name in PageLibrary.pageNames {
                let body = try String(contentsOf: directory.appendingPathComponent("\(name).html"), encoding: .utf8)
                let source = layout.replacingOccurrences(of: "{{{content}}}", with: body)
                pages[name] = try PageTemplate(name: "\(name).html", source: source, strings: catalog)
            }
            templates[language] = pages
        }
        let keys = Set(strings[.fr]?.keys ?? [:].keys)
        for language in Language.allCases where Set(strings[language]?.keys ?? [:].keys) != keys {
            let missing = keys.symmetricDifference(Set(strings[language]?.keys ?? [:].keys)).sorted()
            throw PageTemplate.SyntaxError(
                template: "strings.\(language.rawValue).txt", offset: 0,
                problem: "phrases differ between languages: \(missing.joined(separator: ", "))")
        }
        self.templates = templates
        self.strings = strings
        phraseParts = strings.mapValues { table in
            table.mapValues { $0.components(separatedBy: "%@") }
        }
    }

    /// `key = text` lines; `#` starts a comment line.
    static func loadStrings(_ url: URL) throws -> [String: String] {
        var table: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            table[key] = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return table
    }

    func page(_ name: String, _ language: Language) -> PageTemplate {
        // Every page exists for every language: the initializer loaded them all or failed.
        templates[language]?[name] ?? PageTemplate.empty
    }

    /// A translated phrase with `%@` replaced by `argument`, in order.
    func phrase(_ key: String, _ language: Language, _ arguments: String...) -> String {
        guard let parts = phraseParts[language]?[key] else { return key }
        var text = parts[0]
        for index in 1..<max(parts.count, 1) {
            text += (index - 1 < arguments.count ? arguments[index - 1] : "") + parts[index]
        }
        return text
    }
}
