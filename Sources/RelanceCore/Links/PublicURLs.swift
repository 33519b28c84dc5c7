/// Every address Relance gives a customer: the invoice page and what hangs off it (`/p/TOKEN…`), the
/// one-click email unsubscribe (`/u/TOKEN`) and the logo. Texts, emails, redirects, back links and the
/// router's registrations all come from here, so a link printed in a message cannot name a path the
/// server does not answer, and the origin is cleaned once rather than at every place that prints one.
public struct PublicURLs: Sendable, Equatable {
    /// A customer page that belongs to one token. The route the router registers and the path a link
    /// carries are built from the same two pieces, so they cannot drift apart.
    public enum Page: Sendable, CaseIterable {
        /// The invoice or statement page a text or email links to.
        case invoice
        /// "Text me a new link" on an expired page.
        case renew
        /// "Pay by card": starts a Stripe Checkout Session.
        case checkout
        /// Where Stripe sends the customer back after paying.
        case cardPaid
        /// "Propose a payment plan".
        case plan
        /// "Ask a question".
        case question
        /// One-click email unsubscribe (a token of its own, not a link token).
        case unsubscribe

        /// The pattern the router registers, such as `/p/:token/plan`.
        public var route: String { prefix + ":" + PublicURLs.tokenParameter + suffix }

        /// The site-relative path for `token`, for redirects, form actions and back links.
        public func path(_ token: String) -> String { prefix + token + suffix }

        private var prefix: String { self == .unsubscribe ? "/u/" : "/p/" }

        private var suffix: String {
            switch self {
            case .invoice, .unsubscribe: ""
            case .renew: "/renew"
            case .checkout: "/checkout"
            case .cardPaid: "/paid"
            case .plan: "/plan"
            case .question: "/question"
            }
        }
    }

    /// The route parameter the customer pages read the token from.
    public static let tokenParameter = "token"

    /// The business's logo, public because customer pages and emails show it; `?v=` carries its hash so
    /// it can be cached for a year.
    public static let logoRoute = "/logo"

    public static func logoPath(version: String) -> String { logoRoute + "?v=" + version }

    /// The public origin, e.g. `https://pay.example.com`; never ends with a slash.
    public let base: String

    /// Trailing slashes are dropped: `BASE_URL=https://pay.example.com/` is a common way to write it, and
    /// `https://pay.example.com//p/…` would be another path to some proxies and a longer text.
    public init(base: String) {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    /// What an operator typed as the public URL, refused when customers could not open links built on it.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let text: String
        public var description: String {
            "the public URL must be http:// or https:// and a host name, without query or fragment, "
                + "such as https://pay.example.com (got \"\(text)\")"
        }
    }

    /// Like `init(base:)`, for a value from the environment or the command line: an origin that is
    /// not `http(s)://host…`, or that carries a query, a fragment or spaces, would make every link in
    /// every text broken, and nothing would say so until a customer tapped one.
    public static func validated(_ text: String) throws -> PublicURLs {
        let urls = PublicURLs(base: text)
        let lowered = urls.base.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lowered.hasPrefix($0) }) else {
            throw Invalid(text: text)
        }
        let host = urls.base.dropFirst(scheme.count).prefix { $0 != "/" }
        let allowed = urls.base.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
        // A user and password in the origin would be printed in every text; `@` has no other use there.
        guard !host.isEmpty, allowed, !host.contains("@"), !urls.base.contains("?"), !urls.base.contains("#") else {
            throw Invalid(text: text)
        }
        // Scheme and host in lower case, as the rest of the code compares them (`https://` for Secure
        // cookies and one-click unsubscribe); the path keeps its case.
        return PublicURLs(base: scheme + host.lowercased() + urls.base.dropFirst(scheme.count + host.count))
    }

    /// The absolute address of `page` for `token`.
    public func url(_ page: Page, _ token: String) -> String { base + page.path(token) }

    /// The invoice page a text or email links to.
    public func invoicePage(token: String) -> String { url(.invoice, token) }

    /// Stripe's success return.
    public func cardPaid(token: String) -> String { url(.cardPaid, token) }

    /// The one-click unsubscribe an email's footer and `List-Unsubscribe` carry.
    public func unsubscribe(token: String) -> String { url(.unsubscribe, token) }

    /// The logo, absolute, for emails (a page uses `logoPath`).
    public func logo(version: String) -> String { base + PublicURLs.logoPath(version: version) }
}
