import Foundation
import RelanceCore

/// A page template in a small subset of Mustache — `{{name}}` (escaped), `{{{name}}}` (raw),
/// `{{#name}}…{{/name}}`, `{{^name}}…{{/name}}`, `{{! comment}}` and `{{t.key}}` for translations — compiled
/// once per language at start-up into byte runs. Customer pages are the hot path: a general Mustache
/// renderer measured at about half of the plain route's throughput here, this one costs a few µs.
public struct PageTemplate: Sendable {
    typealias Node = TemplateSyntax.Node<PageSlot>

    let nodes: [Node]
    public let name: String

    static let empty = PageTemplate(name: "empty", nodes: [])

    init(name: String, nodes: [Node]) {
        self.name = name
        self.nodes = nodes
    }

    public struct SyntaxError: Error, CustomStringConvertible {
        public let template: String
        public let problem: String
        public var description: String { "\(template): \(problem)" }
    }

    /// Compiles `source`, replacing `{{t.key}}` with the escaped text of `strings[key]` at once.
    public init(name: String, source: String, strings: [String: String]) throws {
        self.name = name
        do {
            nodes = try TemplateSyntax.parse(source) { tag -> TemplateSyntax.Resolution<PageSlot> in
                if tag.hasPrefix("t.") {
                    guard let value = strings[String(tag.dropFirst(2))] else {
                        return .unknown("no translation for \(tag)")
                    }
                    return .text(HTML.escape(value))
                }
                guard let slot = PageSlot(name: tag) else { return .unknown("unknown variable \(tag)") }
                return .name(slot)
            }
        } catch {
            throw SyntaxError(template: name, problem: error.description)
        }
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
            case .variable(let slot, let raw):
                guard let value = values[slot] else { continue }
                if raw { out.append(contentsOf: value.utf8) } else { HTML.escape(value, into: &out) }
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
    case invoice_rows
    // Plans and questions.
    case back_href, callback_options, contact_options, errors, f_basis, f_count, f_first, f_last, f_max, f_message
    case f_min, f_note, f_rows, form_action, frequency_options, invoice_options, limits_text, notice, plan_href
    case plan_pending, plan_rows, question_href, question_pending, reply_time, schedule_rows
    case schedule_total, business_legal, logo_src, creditor_reference, epc_qr, card_action, card_csrf

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

/// The customer pages' templates for every language, compiled once from `templates/` with the phrases
/// of the one catalogue; a missing file, phrase or broken tag stops the start-up.
public struct PageLibrary: Sendable {
    let templates: [Language: [String: PageTemplate]]
    /// The phrases code fills in (errors, texts to customers), the same value the templates were compiled with.
    let catalogue: Catalogue

    public static let pageNames = [
        "invoice", "statement", "link-problem", "renewal-sent", "neutral", "error", "plan", "question", "request-sent",
        "unsubscribe",
    ]

    /// `catalogue` is the store's, so pages and the texts the store writes read the same phrases;
    /// without one, it is read from `directory`.
    public init(directory: URL, catalogue: Catalogue? = nil) throws {
        let phrases = try catalogue ?? Catalogue(directory: directory)
        var templates: [Language: [String: PageTemplate]] = [:]
        let layout = try String(contentsOf: directory.appendingPathComponent("layout.html"), encoding: .utf8)
        // Shared blocks, pasted in before compiling (the template subset has no partials).
        let waysToPay = try String(contentsOf: directory.appendingPathComponent("ways-to-pay.html"), encoding: .utf8)
        let help = try String(contentsOf: directory.appendingPathComponent("help.html"), encoding: .utf8)
        for language in Language.allCases {
            let table = phrases.tables[language] ?? [:]
            var pages: [String: PageTemplate] = [:]
            for name in PageLibrary.pageNames {
                let body = try String(contentsOf: directory.appendingPathComponent("\(name).html"), encoding: .utf8)
                let source = layout.replacingOccurrences(of: "{{{content}}}", with: body)
                    .replacingOccurrences(of: "{{{ways_to_pay}}}", with: waysToPay)
                    .replacingOccurrences(of: "{{{help_block}}}", with: help)
                pages[name] = try PageTemplate(name: "\(name).html", source: source, strings: table)
            }
            templates[language] = pages
        }
        self.templates = templates
        self.catalogue = phrases
    }

    func page(_ name: String, _ language: Language) -> PageTemplate {
        // Every page exists for every language: the initializer loaded them all or failed.
        templates[language]?[name] ?? PageTemplate.empty
    }

    /// A translated phrase with `%@` replaced by `argument`, in order.
    func phrase(_ key: String, _ language: Language, _ arguments: String...) -> String {
        catalogue.words(language).phrase(key, arguments)
    }
}
