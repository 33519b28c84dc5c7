import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RelanceCore
import RelanceStore

/// The business's dashboard under `/dashboard`, and `/login` and `/logout`. Every dashboard route is
/// in `routes()`: they are registered from that table, and the tests walk the same table.
struct Dashboard: Sendable {
    let store: Store
    let settings: WebSettings
    let views: DashboardViews
    let library: PageLibrary
    let logger: Logger
    let loginTokens: HourlyToken
    let addresses: AddressHasher
    let timeZones = TimeZoneCache()
    /// Sign-in attempts per client address (an IPv6 client's /64).
    let loginLimiter = RateLimiter(burst: 10, perMinute: 5)
    /// Failures per account, or per known browser; see `SignInThrottle`.
    let signInThrottle = SignInThrottle()
    let knownBrowsers: KnownBrowser
    /// Spreadsheets uploaded to the import page, until imported or a day old.
    let uploads = ImportUploads()

    static let cookieName = "relance_session"

    init(store: Store, settings: WebSettings, views: DashboardViews, library: PageLibrary, logger: Logger) {
        self.store = store
        self.settings = settings
        self.views = views
        self.library = library
        self.logger = logger
        loginTokens = HourlyToken(key: settings.derivedKey("dashboard-login"), validHours: 2)
        addresses = AddressHasher(settings)
        knownBrowsers = KnownBrowser(key: HMACKey(settings.derivedKey("known-browser")))
    }

    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    /// One dashboard route: every one needs a signed-in session; every POST needs its CSRF token.
    struct Route: Sendable {
        var method: HTTPRequest.Method
        /// Below `/dashboard`; "" is the home page.
        var path: String
        var handler: Handler
        var fullPath: String { path.isEmpty ? "/dashboard" : "/dashboard/" + path }
    }

    func routes() -> [Route] {
        [
            Route(method: .get, path: "", handler: home),
            Route(method: .get, path: "invoices", handler: invoices),
            Route(method: .get, path: "invoices.csv", handler: invoicesCSV),
            Route(method: .get, path: "invoices/new", handler: newInvoiceForm),
            Route(method: .post, path: "invoices/new", handler: createInvoice),
            Route(method: .get, path: "invoices/:id", handler: invoice),
            Route(method: .get, path: "import", handler: importForm),
            Route(method: .post, path: "import", handler: uploadImport),
            Route(method: .get, path: "import/:id", handler: importReview),
            Route(method: .post, path: "import/:id/columns", handler: saveImportColumns),
            Route(method: .post, path: "import/:id/confirm", handler: confirmImport),
            Route(method: .post, path: "invoices/:id/payments", handler: recordPayment),
            Route(method: .post, path: "invoices/:id/pause", handler: pause),
            Route(method: .post, path: "invoices/:id/resume", handler: resume),
            Route(method: .post, path: "invoices/:id/remind", handler: remindNow),
            Route(method: .post, path: "invoices/:id/links", handler: newLink),
            Route(method: .post, path: "invoices/:id/revoke-links", handler: revokeLinks),
            Route(method: .post, path: "invoices/:id/void", handler: void),
            Route(method: .post, path: "invoices/:id/correct", handler: correctInvoice),
            Route(method: .get, path: "customers", handler: customers),
            Route(method: .get, path: "customers/:id", handler: customerPage),
            Route(method: .post, path: "customers/:id", handler: saveCustomer),
            Route(method: .post, path: "customers/:id/opt-in", handler: optIn),
            Route(method: .get, path: "requests", handler: requests),
            Route(method: .post, path: "requests/:id/accept", handler: accept),
            Route(method: .post, path: "requests/:id/decline", handler: decline),
            Route(method: .post, path: "requests/:id/reply", handler: reply),
            Route(method: .get, path: "templates", handler: templates),
            Route(method: .get, path: "templates/:stage/:locale", handler: editTemplate),
            Route(method: .post, path: "templates/:stage/:locale", handler: saveTemplate),
            Route(method: .get, path: "email-templates/:stage/:locale", handler: editEmailTemplate),
            Route(method: .post, path: "email-templates/:stage/:locale", handler: saveEmailTemplate),
            Route(method: .post, path: "policy", handler: savePolicy),
            Route(method: .get, path: "results", handler: results),
            Route(method: .post, path: "replies/:id/read", handler: markReplyRead),
            Route(method: .get, path: "settings", handler: settingsPage),
            Route(method: .post, path: "settings", handler: saveSettings),
            Route(method: .post, path: "settings/test-sms", handler: testSMS),
            Route(method: .post, path: "settings/logo", handler: uploadLogo),
            Route(method: .post, path: "webhook-deliveries/:id/replay", handler: replayWebhook),
            Route(method: .get, path: "users", handler: usersPage),
            Route(method: .post, path: "users", handler: addUser),
            Route(method: .post, path: "users/:id/disable", handler: disableUser),
            Route(method: .get, path: "api/summary", handler: summaryJSON),
            Route(method: .post, path: "language", handler: setLanguage),
        ]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/login", use: loginForm)
        router.post("/login", use: login)
        router.post("/logout", use: logout)
        router.get(RouterPath(PublicURLs.logoRoute), use: logo)
        let group = router.group("dashboard").add(middleware: DashboardAuthMiddleware(store: store, settings: settings))
        for route in routes() {
            group.on(RouterPath(route.path), method: route.method, use: route.handler)
        }
    }

    // MARK: - Sign in and out

    /// The one answer to a sign-in that did not work, whatever the reason: unknown email, wrong
    /// password, too many attempts from this address or on this account, or too busy to check.
    static let refusedKey = "dash.login.refused"
    /// The login form's cookie: a random value its token is bound to, so a form token only works in
    /// the browser it was given to (another site cannot sign a visitor in to the attacker's account).
    static let loginCookieName = "relance_login"

    /// `GET /login`
    @Sendable func loginForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.cookies[Dashboard.cookieName]?.value,
            try await store.session(token: token, now: settings.clock.now()) != nil
        {
            return Response(status: .seeOther, headers: [.location: "/dashboard"])
        }
        return loginPage(
            request, next: request.uri.queryParameters["next"].map(String.init), message: nil,
            language: await visitorLanguage(request), status: .ok)
    }

    /// The sign-in page, with a form token bound to this browser's login cookie (set when missing).
    func loginPage(
        _ request: Request, next: String?, message: String?, email: String = "", language: Language,
        status: HTTPResponse.Status
    ) -> Response {
        let existing = loginNonce(request)
        let nonce = existing ?? Base64URL.encode(Crypto.randomBytes(16))
        var response = views.page(
            "login",
            [
                "token": loginTokens.make(for: "login:" + nonce, now: settings.clock.now()),
                "next": Dashboard.safeNext(next) ?? "", "message": message ?? "", "email": email,
            ], session: nil, language: language, status: status)
        if existing == nil {
            response.setCookie(
                Cookie(
                    name: Dashboard.loginCookieName, value: nonce, maxAge: 2 * 3600, path: "/login",
                    secure: settings.secureCookies, httpOnly: true, sameSite: .strict))
        }
        return response
    }

    func loginNonce(_ request: Request) -> String? {
        guard let value = request.cookies[Dashboard.loginCookieName]?.value, value.utf8.count == 22,
            Base64URL.decode(value) != nil
        else { return nil }
        return value
    }

    /// `POST /login` — `email`, `password`, the form's token and `next`.
    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let now = settings.clock.now()
        let address = context.clientAddress(request, trustForwardedFor: settings.trustForwardedFor)
        let body = try await request.body.collect(upTo: 16 * 1024)
        let fields = FormFields(String(buffer: body))
        let next = fields["next"]
        let language = await visitorLanguage(request)
        let t = words(language)
        guard let nonce = loginNonce(request), let token = fields["token"],
            loginTokens.verify(token, for: "login:" + nonce, now: now)
        else {
            return loginPage(
                request, next: next, message: t("dash.login.expired"), language: language, status: .forbidden)
        }
        let email = (fields["email"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let password = fields["password"] ?? ""
        guard !email.isEmpty, !password.isEmpty, email.utf8.count <= 254, password.utf8.count <= 1024 else {
            return loginPage(
                request, next: next, message: t("dash.login.empty"), email: email, language: language,
                status: .unprocessableContent)
        }
        func refused() -> Response {
            loginPage(
                request, next: next, message: t(Dashboard.refusedKey), email: email, language: language,
                status: .unauthorized)
        }
        // Failures count on the known browser when it carries one for this account, else on the account;
        // a known browser's password check also has a lane of its own, which strangers cannot fill.
        let browserCookie = request.cookies[KnownBrowser.cookieName]?.value
        let knownBrowser = knownBrowsers.id(in: browserCookie, for: email)
        let throttleKey = knownBrowser.map { "browser:" + $0 } ?? "account:" + Crypto.sha256Hex(email.lowercased())
        guard loginLimiter.allow(ClientKey.of(address), now: now), signInThrottle.begin(throttleKey, now: now)
        else {
            logger.notice("dashboard sign-in slowed down")
            return refused()
        }
        let outcome: SignInOutcome
        do {
            outcome = try await store.signIn(
                email: email, password: password, ipHash: ipHash(address), now: now,
                passwords: knownBrowser == nil ? .shared : .knownBrowsers)
        } catch {
            signInThrottle.end(throttleKey, .unchecked, now: now)
            throw error
        }
        switch outcome {
        case .busy:
            signInThrottle.end(throttleKey, .unchecked, now: now)
            logger.warning("dashboard sign-in refused: too many password checks waiting")
            return refused()
        case .refused:
            signInThrottle.end(throttleKey, .failed, now: now)
            logger.info("dashboard sign-in refused")
            return refused()
        case .signedIn(let token, let session):
            signInThrottle.end(throttleKey, .succeeded, now: now)
            // Whatever session this browser had is closed: the new one has a new id (no fixation).
            if let old = request.cookies[Dashboard.cookieName]?.value,
                let previous = try await store.session(token: old, now: now)
            {
                try await store.endSession(id: previous.id, now: now)
            }
            logger.info("dashboard sign-in", metadata: ["user": "\(session.user.id)"])
            var response = Response(status: .seeOther, headers: [.location: Dashboard.safeNext(next) ?? "/dashboard"])
            response.setCookie(
                Cookie(
                    name: Dashboard.cookieName, value: token, maxAge: Int(Store.sessionLifetime), path: "/",
                    secure: settings.secureCookies, httpOnly: true, sameSite: .lax))
            response.setCookie(
                Cookie(
                    name: KnownBrowser.cookieName,
                    value: knownBrowsers.cookie(for: email, id: KnownBrowser.anyID(in: browserCookie)),
                    maxAge: KnownBrowser.lifetime, path: "/login", secure: settings.secureCookies, httpOnly: true,
                    sameSite: .strict))
            return response
        }
    }

    /// `POST /logout`
    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let now = settings.clock.now()
        if let token = request.cookies[Dashboard.cookieName]?.value,
            let session = try await store.session(token: token, now: now)
        {
            let fields = FormFields(String(buffer: try await request.body.collect(upTo: 16 * 1024)))
            guard let csrf = fields["csrf"], Crypto.constantTimeEqual(Array(csrf.utf8), Array(session.csrf.utf8)) else {
                throw HTTPError(.forbidden)
            }
            try await store.endSession(id: session.id, now: now)
        }
        var response = Response(status: .seeOther, headers: [.location: "/login"])
        response.setCookie(
            Cookie(
                name: Dashboard.cookieName, value: "", maxAge: 0, path: "/",
                secure: settings.secureCookies, httpOnly: true, sameSite: .lax))
        return response
    }

    /// Only a dashboard path is a place to go back to after signing in, never another site.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/dashboard"), !next.hasPrefix("//"), !next.contains("\\"),
            next.utf8.count < 1000, !next.contains(where: { $0.isNewline })
        else { return nil }
        return next
    }

    func ipHash(_ address: String) -> String { addresses.hash(address) }

    // MARK: - Shared steps

    /// The signed-in session; the middleware has put it there for every dashboard route.
    func session(_ context: AppRequestContext) async throws -> DashboardContext {
        guard let session = context.dashboardSession else { throw HTTPError(.unauthorized) }
        let business = try await store.business()
        let language = session.user.language ?? Language(locale: business.defaultLocale) ?? .en
        return DashboardContext(session: session, businessName: business.name, t: words(language))
    }

    /// The `q` a search form sent, decoded as forms are (a browser sends "Client 7" as `Client+7`, and a
    /// typed "+" as `%2B`), trimmed, at most 100 characters; nil when empty.
    static func searchText(_ request: Request) -> String? {
        guard let query = request.uri.query, query.utf8.count <= 4096 else { return nil }
        let search = (FormFields(query)["q"] ?? "").trimmingCharacters(in: .whitespaces)
        return search.isEmpty ? nil : String(search.prefix(100))
    }

    /// The catalogue's phrases in `language`.
    func words(_ language: Language) -> Words {
        views.catalogue.words(language)
    }

    /// The language of a page no one is signed in to: the browser's, else the business's.
    func visitorLanguage(_ request: Request) async -> Language {
        if let preferred = Language.preferred(acceptLanguage: request.headers[.acceptLanguage]) { return preferred }
        return (try? await store.business()).flatMap { Language(locale: $0.defaultLocale) } ?? .en
    }

    /// `POST /dashboard/language` — `language`: the person reads the dashboard in it from now on, and
    /// goes back to the page they were on.
    @Sendable func setLanguage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let fields = try await form(request, context)
        guard let language = fields["language"].flatMap(Language.init(rawValue:)) else {
            throw HTTPError(.unprocessableContent, message: session.t("dash.language.unknown"))
        }
        try await store.setLanguage(language, userID: session.session.user.id)
        // Back to the page the switch was on, when the browser says which (same-origin pages send it).
        let back = request.headers[.referer].flatMap { URL(string: $0) }.flatMap { url -> String? in
            guard let path = Dashboard.safeNext(url.path) else { return nil }
            return url.query.map { path + "?" + $0 } ?? path
        }
        return redirect(back ?? "/dashboard")
    }

    /// A dashboard form's fields, after checking its CSRF token against the session's.
    func form(_ request: Request, _ context: AppRequestContext) async throws -> FormFields {
        guard let session = context.dashboardSession else { throw HTTPError(.unauthorized) }
        let body = try await request.body.collect(upTo: 64 * 1024)
        let fields = FormFields(String(buffer: body))
        let sent = fields["csrf"] ?? request.headers[.xCSRFToken] ?? ""
        guard Crypto.constantTimeEqual(Array(sent.utf8), Array(session.csrf.utf8)) else {
            throw HTTPError(.forbidden, message: try await self.session(context).t("dash.form.token"))
        }
        return fields
    }

    /// A file upload's parts (`multipart/form-data`), after checking its CSRF token; nil when the body is
    /// larger than `limit` (and its multipart framing).
    func multipartForm(_ request: Request, _ context: AppRequestContext, limit: Int) async throws
        -> [String: MultipartForm.Part]?
    {
        guard let session = context.dashboardSession else { throw HTTPError(.unauthorized) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit + 16 * 1024)
        } catch {
            return nil
        }
        guard
            let parts = MultipartForm.parse(
                Array(body.readableBytesView), contentType: request.headers[.contentType] ?? ""),
            let csrf = parts["csrf"].map({ String(decoding: $0.bytes, as: UTF8.self) }),
            Crypto.constantTimeEqual(Array(csrf.utf8), Array(session.csrf.utf8))
        else {
            throw HTTPError(.forbidden, message: try await self.session(context).t("dash.form.token"))
        }
        return parts
    }

    /// The `{id}` of the route (an invoice's, a request's): a positive integer, else the page is not found.
    func pathID(_ context: AppRequestContext) throws -> Int64 {
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else { throw HTTPError(.notFound) }
        return id
    }

    func today() async throws -> CalendarDate {
        let zone = try await businessZone()
        return CalendarDate(instant: settings.clock.now(), timeZone: zone)
    }

    func redirect(_ location: String, notice: String? = nil) -> Response {
        var target = location
        if let notice {
            target +=
                (location.contains("?") ? "&" : "?") + "notice="
                + (notice.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        return Response(status: .seeOther, headers: [.location: target])
    }
}

extension HTTPField.Name {
    static let xCSRFToken = HTTPField.Name("X-CSRF-Token")!
}

/// Lets a request through to the dashboard only with a live session: otherwise a page asks the
/// browser to sign in (303 to `/login`), and a JSON client gets 401.
struct DashboardAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: Store
    let settings: WebSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let token = request.cookies[Dashboard.cookieName]?.value,
            let session = try await store.session(token: token, now: settings.clock.now())
        {
            var context = context
            context.dashboardSession = session
            return try await next(request, context)
        }
        let path = request.uri.path
        let accept = request.headers[.accept] ?? ""
        if path.hasPrefix("/dashboard/api/") || (accept.contains("application/json") && !accept.contains("text/html")) {
            return Problem(
                status: 401, title: "Unauthorized", detail: "sign in at /login; the dashboard needs a session cookie"
            ).response()
        }
        let next = request.method == .get ? request.uri.description : "/dashboard"
        let location =
            "/login?next="
            + (Dashboard.safeNext(next)?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
