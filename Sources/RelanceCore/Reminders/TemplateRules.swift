import Foundation

/// What a business may save as a message template, for every surface that edits one (the dashboard's
/// editors and the API): one rule for the words, which each surface words in its own way. The segment
/// limit is measured where a template is rendered with realistic values (the web layer's
/// `TemplateCheck`), against `maximumSegments`.
public enum TemplateRules {
    /// A text's or an email's words, in Unicode scalars.
    public static let maximumCharacters = 2000
    public static let maximumSubjectCharacters = 200
    /// A reminder text may render to at most this many SMS segments with realistic values.
    public static let maximumSegments = 3

    public enum Problem: Error, Equatable, Sendable {
        case empty
        case tooLong
        /// Control characters (line breaks are allowed in a body, not in a subject).
        case controlCharacters
        /// A subject on more than one line.
        case lineBreak
        /// The template's own syntax, described in English.
        case syntax(String)

        public var isSyntax: Bool {
            if case .syntax = self { true } else { false }
        }
    }

    /// A template's words, as a text and an email both take them.
    public static func body(_ text: String) -> Result<MessageTemplate, Problem> {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .failure(.empty) }
        if text.unicodeScalars.count > maximumCharacters { return .failure(.tooLong) }
        if PlainText.hasControlCharacters(text, allowingLineBreaks: true) { return .failure(.controlCharacters) }
        return parse(text)
    }

    /// An email's subject, already trimmed: one line.
    public static func subject(_ text: String) -> Result<MessageTemplate, Problem> {
        if text.isEmpty { return .failure(.empty) }
        if text.unicodeScalars.count > maximumSubjectCharacters { return .failure(.tooLong) }
        if text.contains(where: \.isNewline) { return .failure(.lineBreak) }
        if PlainText.hasControlCharacters(text) { return .failure(.controlCharacters) }
        return parse(text)
    }

    static func parse(_ text: String) -> Result<MessageTemplate, Problem> {
        do {
            return .success(try MessageTemplate(text))
        } catch {
            return .failure(.syntax(error.description))
        }
    }
}
