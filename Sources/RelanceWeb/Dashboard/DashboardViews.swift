import Foundation
import Hummingbird
import Mustache
import RelanceCore
import RelanceStore

/// The dashboard's Mustache templates (`templates/dashboard/*.mustache`), loaded once at start-up;
/// a missing or broken one stops the start. Every page extends `layout` (`{{<layout}}…{{/layout}}`).
struct DashboardViews: Sendable {
    let library: MustacheLibrary
    let cssHref: String

    static let names = [
        "layout", "login", "home", "invoices", "invoice", "requests", "templates", "template", "results", "settings",
        "users", "email-template", "invoice-new", "customers", "customer",
    ]

    init(directory: URL, cssHref: String) throws {
        var library = MustacheLibrary()
        for name in DashboardViews.names {
            let source = try String(
                contentsOf: directory.appendingPathComponent("\(name).mustache"), encoding: .utf8)
            do {
                try library.register(source, named: name)
            } catch {
                throw PageTemplate.SyntaxError(template: "dashboard/\(name).mustache", problem: "\(error)")
            }
        }
        self.library = library
        self.cssHref = cssHref
    }

    // Pages show business data to a signed-in person: never cached, never framed, no third party.
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        .referrerPolicy: "same-origin",
        .cacheControl: "no-store",
        .xRobotsTag: "noindex, nofollow",
        .xContentTypeOptions: "nosniff",
        .xFrameOptions: "DENY",
    ]

    /// Renders `name` with `values` plus what the layout needs: the stylesheet, the business name,
    /// and for a signed-in page the user, the section to highlight and the sign-out form's token.
    func page(
        _ name: String, _ values: [String: Any], session: DashboardContext?, status: HTTPResponse.Status = .ok
    ) -> Response {
        var context = values
        context["css"] = cssHref
        if let session {
            context["user"] = ["email": session.session.user.email, "owner": session.session.user.role == .owner]
            context["csrf"] = session.session.csrf
            context["business"] = session.businessName
            if let section = values["section"] as? String { context["nav_" + section] = true }
        }
        let html = library.render(DashboardViews.withoutEmptyStrings(context), withTemplate: name) ?? ""
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

    /// An audit line for a change this person makes, for the store to write with the change.
    func audit(_ action: String, invoiceID: Int64? = nil, detail: String? = nil, at now: Date) -> AuditNote {
        AuditNote(actor: .user(session.user.id), action, invoiceID: invoiceID, detail: detail, at: now)
    }
}
