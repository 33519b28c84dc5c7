import Foundation
import Hummingbird
import Mustache
import RelanceCore
import RelanceServices
import RelanceStore

/// The dashboard's Mustache templates (`templates/dashboard/*.mustache`), loaded once at start-up for
/// each language; a missing or broken one stops the start. Every page extends `layout`
/// (`{{<layout}}…{{/layout}}`). `{{t.key}}` in a template is the phrase `key` of the one catalogue the
/// customer pages use too (`templates/strings.LANG.txt`), put in when the template is loaded.
struct DashboardViews: Sendable {
    let libraries: [Language: MustacheLibrary]
    let catalogue: Catalogue
    let cssHref: String

    static let names = [
        "layout", "login", "home", "invoices", "invoice", "requests", "templates", "template", "results", "settings",
        "users", "email-template", "invoice-new", "customers", "customer", "import",
    ]

    /// `catalogue` is the one the customer pages and the store use; without one, it is read from the
    /// folder above `directory` (`templates/`).
    init(directory: URL, cssHref: String, catalogue: Catalogue? = nil) throws {
        let phrases = try catalogue ?? Catalogue(directory: directory.deletingLastPathComponent())
        var libraries: [Language: MustacheLibrary] = [:]
        for language in Language.allCases {
            let table = phrases.tables[language] ?? [:]
            var library = MustacheLibrary()
            for name in DashboardViews.names {
                let source = try String(
                    contentsOf: directory.appendingPathComponent("\(name).mustache"), encoding: .utf8)
                do {
                    try library.register(try DashboardViews.translated(source, table), named: name)
                } catch {
                    throw PageTemplate.SyntaxError(
                        template: "dashboard/\(name).mustache (\(language.rawValue))", problem: "\(error)")
                }
            }
            libraries[language] = library
        }
        self.libraries = libraries
        self.catalogue = phrases
        self.cssHref = cssHref
    }

    /// A key `{{t.…}}` names that the catalogue lacks.
    struct MissingPhrase: Error, CustomStringConvertible {
        let key: String
        var description: String { "no phrase '\(key)' in the catalogue" }
    }

    /// `source` with each `{{t.key}}` replaced by the phrase, escaped for HTML.
    static func translated(_ source: String, _ catalogue: [String: String]) throws -> String {
        var out = ""
        var rest = Substring(source)
        while let open = rest.range(of: "{{t.") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw MissingPhrase(key: String(rest[open.upperBound...].prefix(40)))
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            guard let phrase = catalogue[key] else { throw MissingPhrase(key: key) }
            // Braces too: the phrase goes into the template before Mustache reads it, and must stay text.
            out += HTML.escaped(phrase).replacingOccurrences(of: "{", with: "&#123;")
                .replacingOccurrences(of: "}", with: "&#125;")
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    // Pages show business data to a signed-in person: never cached, never framed, no third party.
    static let headers: HTTPFields = .htmlPage(referrerPolicy: "same-origin")

    /// Renders `name` with `values` plus what the layout needs: the stylesheet, the business name,
    /// and for a signed-in page the user, the section to highlight and the sign-out form's token.
    /// A page with no one signed in (the sign-in form) is in `language`; any other in the person's.
    func page(
        _ name: String, _ values: [String: Any], session: DashboardContext?, language: Language = .en,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var context = values
        context["css"] = cssHref
        let language = session?.language ?? language
        context["lang"] = language.rawValue
        if let session {
            let other: Language = language == .fr ? .en : .fr
            context["user"] = [
                "email": session.session.user.email, "owner": session.session.user.role == .owner,
                "other_language": other.rawValue, "other_language_name": catalogue.words(other)("language_name"),
            ]
            context["csrf"] = session.session.csrf
            context["business"] = session.businessName
            if let section = values["section"] as? String { context["nav_" + section] = true }
        }
        let html =
            libraries[language]?.render(DashboardViews.withoutEmptyStrings(context), withTemplate: name) ?? ""
        return Response(
            status: status, headers: DashboardViews.headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension DashboardViews {
    /// Mustache counts "" as true, so `{{#notice}}` would show an empty box: empty strings are removed.
    static func withoutEmptyStrings(_ value: Any) -> Any {
        if let dictionary = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (key, item) in dictionary {
                if let text = item as? String, text.isEmpty { continue }
                out[key] = withoutEmptyStrings(item)
            }
            return out
        }
        if let array = value as? [[String: Any]] { return array.map { withoutEmptyStrings($0) } }
        return value
    }
}

/// The signed-in person behind a dashboard request, and the name to show in the header.
struct DashboardContext: Sendable {
    var session: DashboardSession
    var businessName: String
    /// The person's phrases: their language, else the business's.
    var t: Words
    var language: Language { t.language }

    /// An audit line for a change this person makes, for the store to write with the change.
    func audit(_ action: String, invoiceID: Int64? = nil, detail: String? = nil, at now: Date) -> AuditNote {
        AuditNote(actor: .user(session.user.id), action, invoiceID: invoiceID, detail: detail, at: now)
    }
}
