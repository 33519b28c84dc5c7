import Foundation

/// The names a message template may use.
public enum MessageVariable: String, CaseIterable, Sendable, Codable {
    case customer_name, business_name, amount, invoice_number, due_date, link, business_phone
    /// For a message about several invoices: how many, and their total.
    case invoice_count, total
}

/// A reminder's text with `{{variables}}`, checked when it is saved: a broken tag or an unknown name
/// is refused with its line and column. Message text is plain: nothing is escaped.
public struct MessageTemplate: Equatable, Sendable {
    public let source: String
    let nodes: [TemplateSyntax.Node<MessageVariable>]

    public init(_ source: String) throws(TemplateSyntax.Failure) {
        self.source = source
        nodes = try TemplateSyntax.parse(source) { tag in
            if let variable = MessageVariable(rawValue: tag) { return .name(variable) }
            let known = MessageVariable.allCases.map(\.rawValue).joined(separator: ", ")
            return .unknown("unknown variable '\(tag)'; use one of \(known)")
        }
    }

    public static func == (lhs: MessageTemplate, rhs: MessageTemplate) -> Bool { lhs.source == rhs.source }

    /// Every variable the template uses.
    public var variables: Set<MessageVariable> {
        var found: Set<MessageVariable> = []
        func walk(_ nodes: [TemplateSyntax.Node<MessageVariable>]) {
            for node in nodes {
                switch node {
                case .text: break
                case .variable(let name, _): found.insert(name)
                case .section(let name, _, let children):
                    found.insert(name)
                    walk(children)
                }
            }
        }
        walk(nodes)
        return found
    }

    public func render(_ values: [MessageVariable: String]) -> String {
        var out: [UInt8] = []
        func walk(_ nodes: [TemplateSyntax.Node<MessageVariable>]) {
            for node in nodes {
                switch node {
                case .text(let bytes): out += bytes
                case .variable(let name, _): out += (values[name] ?? "").utf8
                case .section(let name, let inverted, let children):
                    if !(values[name] ?? "").isEmpty != inverted { walk(children) }
                }
            }
        }
        walk(nodes)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Format {
    /// The date as a text message carries it: `15/03` in French, `15 Mar` in English.
    public static func shortDate(_ date: CalendarDate, _ language: Language) -> String {
        let (_, month, day) = date.components
        switch language {
        case .fr: return pad(day, 2) + "/" + pad(month, 2)
        case .en: return String(day) + " " + String(monthsEN[month - 1].prefix(3))
        }
    }
}
