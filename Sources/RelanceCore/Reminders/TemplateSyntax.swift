import Foundation

/// The small subset of Mustache that Relance's templates use — `{{name}}`, `{{{name}}}`,
/// `{{#name}}…{{/name}}`, `{{^name}}…{{/name}}`, `{{! comment }}` — parsed into nodes whose names are
/// resolved when the template is loaded, so an unknown name or a broken tag is refused with its place.
public enum TemplateSyntax {
    public indirect enum Node<Name: Sendable>: Sendable {
        case text([UInt8])
        case variable(Name, raw: Bool)
        case section(Name, inverted: Bool, [Node<Name>])
    }

    /// Where and why a template was refused; line and column count from 1, in characters.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public let problem: String

        public var description: String { "line \(line), column \(column): \(problem)" }
    }

    /// The deepest nesting of sections a template may have.
    public static let maximumDepth = 16

    /// Parses `source`. `resolve` turns each tag's name into a `Name` or explains why it cannot; it is
    /// also the place to substitute constants (it may return `.text`).
    public static func parse<Name>(
        _ source: String, resolve: (String) -> Resolution<Name>
    ) throws(Failure) -> [Node<Name>] {
        let bytes = Array(dropStandaloneLines(source).utf8)
        var index = 0
        var stack: [(name: String, inverted: Bool, nodes: [Node<Name>], offset: Int)] = [("", false, [], 0)]
        var text: [UInt8] = []

        func failure(_ problem: String, at offset: Int) -> Failure {
            let prefix = String(decoding: bytes[0..<min(offset, bytes.count)], as: UTF8.self)
            let lines = prefix.split(separator: "\n", omittingEmptySubsequences: false)
            return Failure(line: lines.count, column: (lines.last?.count ?? 0) + 1, problem: problem)
        }
        func flush() {
            if !text.isEmpty {
                stack[stack.count - 1].nodes.append(.text(text))
                text = []
            }
        }
        func name(_ raw: String, at offset: Int) throws(Failure) -> Name {
            switch resolve(raw) {
            case .name(let name): return name
            case .text: throw failure("'\(raw)' cannot open a section", at: offset)
            case .unknown(let why): throw failure(why, at: offset)
            }
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
            let close: [UInt8] = triple ? [125, 125, 125] : [125, 125]
            var end = index + (triple ? 3 : 2)
            while end + close.count <= bytes.count && !bytes[end..<end + close.count].elementsEqual(close) {
                if bytes[end] == UInt8(ascii: "{") && end + 1 < bytes.count && bytes[end + 1] == UInt8(ascii: "{") {
                    throw failure("a tag opened here is not closed before the next one", at: start)
                }
                end += 1
            }
            guard end + close.count <= bytes.count else {
                throw failure("a tag opened here is never closed", at: start)
            }
            let inside = String(decoding: bytes[(index + (triple ? 3 : 2))..<end], as: UTF8.self)
                .trimmingCharacters(in: .whitespaces)
            index = end + close.count
            guard let sigil = inside.first else { throw failure("empty tag", at: start) }
            switch sigil {
            case "!":
                continue
            case "#", "^":
                flush()
                // Sections nest a few levels in any real template; a bound keeps rendering's recursion shallow.
                guard stack.count <= maximumDepth else {
                    throw failure("sections nest more than \(maximumDepth) deep", at: start)
                }
                stack.append((String(inside.dropFirst()).trimmingCharacters(in: .whitespaces), sigil == "^", [], start))
            case "/":
                flush()
                let key = String(inside.dropFirst()).trimmingCharacters(in: .whitespaces)
                guard stack.count > 1, let section = stack.popLast(), section.name == key else {
                    throw failure("{{/\(key)}} closes no open section", at: start)
                }
                let resolved = try name(section.name, at: section.offset)
                stack[stack.count - 1].nodes.append(.section(resolved, inverted: section.inverted, section.nodes))
            case ">", "&", "=", "{", "}":
                throw failure("'{{\(sigil)' tags are not supported", at: start)
            default:
                switch resolve(inside) {
                case .text(let constant): text += constant
                case .name(let resolved):
                    flush()
                    stack[stack.count - 1].nodes.append(.variable(resolved, raw: triple))
                case .unknown(let why): throw failure(why, at: start)
                }
            }
        }
        flush()
        if stack.count > 1, let open = stack.last {
            throw failure("{{#\(open.name)}} is never closed", at: open.offset)
        }
        return stack[0].nodes
    }

    public enum Resolution<Name> {
        case name(Name)
        /// Replace the tag with these bytes now (translations).
        case text([UInt8])
        case unknown(String)
    }

    /// A line holding only a section or comment tag leaves no blank line behind, as in Mustache.
    static func dropStandaloneLines(_ source: String) -> String {
        var lines: [Substring] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let isTag =
                trimmed.hasPrefix("{{") && trimmed.hasSuffix("}}") && !trimmed.hasPrefix("{{{")
                && trimmed.dropFirst(2).first.map { "#^/!".contains($0) } == true
                && trimmed.components(separatedBy: "{{").count == 2
            if isTag, !lines.isEmpty {
                lines[lines.count - 1] += trimmed
            } else if isTag {
                lines.append(Substring(trimmed))
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
