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
    /// Sign-in attempts per client address; the account itself locks after five failures.
    let loginLimiter = RateLimiter(burst: 10, perMinute: 5)

    static let cookieName = "relance_session"

    init(store: Store, settings: WebSettings, views: DashboardViews, library: PageLibrary, logger: Logger) {
        self.store = store
        self.settings = settings
        self.views = views
        self.library = library
        self.logger = logger
        loginTokens = HourlyToken(key: settings.derivedKey("dashboard-login"), validHours: 2)
        addresses = AddressHasher(settings)
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
            Route(method: .get, path: "invoices/:id", handler: invoice),
            Route(method: .post, path: "invoices/:id/payments", handler: recordPayment),
            Route(method: .post, path: "invoices/:id/pause", handler: pause),
            Route(method: .post, path: "invoices/:id/resume", handler: resume),
            Route(method: .post, path: "invoices/:id/remind", handler: remindNow),
            Route(method: .post, path: "invoices/:id/links", handler: newLink),
            Route(method: .post, path: "invoices/:id/revoke-links", handler: revokeLinks),
            Route(method: .post, path: "invoices/:id/void", handler: void),
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
        ]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/login", use: loginForm)
        router.post("/login", use: login)
        router.post("/logout", use: logout)
        router.get("/logo", use: logo)
        let group = router.group("dashboard").add(middleware: DashboardAuthMiddleware(store: store, settings: settings))
        for route in routes() {
            group.on(RouterPath(route.path), method: route.method, use: route.handler)
        }
    }

    // MARK: - Sign in and out

    /// `GET /login`
    @Sendable func loginForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.cookies[Dashboard.cookieName]?.value,
            try await store.session(token: token, now: settings.clock.now()) != nil
        {
            return Response(status: .seeOther, headers: [.location: "/dashboard"])
        }
        return loginPage(next: request.uri.queryParameters["next"].map(String.init), message: nil, status: .ok)
    }

    func loginPage(next: String?, message: String?, email: String = "", status: HTTPResponse.Status) -> Response {
        views.page(
            "login",
            [
                "token": loginToken(now: settings.clock.now()), "next": Dashboard.safeNext(next) ?? "",
                "message": message ?? "",
                "email": email,
            ], session: nil, status: status)
    }

    /// `POST /login` — `email`, `password`, the form's token and `next`.
    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let now = settings.clock.now()
        let client = ipHash(context.clientAddress(request, trustForwardedFor: settings.trustForwardedFor))
        guard loginLimiter.allow(client, now: now) else {
            return loginPage(
                next: nil, message: "Too many attempts from here. Wait a minute and try again.",
                status: .tooManyRequests)
        }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let fields = FormFields(String(buffer: body))
        let next = fields["next"]
        guard let token = fields["token"], verifyLoginToken(token, now: now) else {
            return loginPage(next: next, message: "This form has expired. Please sign in again.", status: .forbidden)
        }
        let email = (fields["email"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let password = fields["password"] ?? ""
        guard !email.isEmpty, !password.isEmpty, email.count <= 254, password.count <= 1024 else {
            return loginPage(
                next: next, message: "Enter your email and password.", email: email, status: .unprocessableContent)
        }
        switch try await store.signIn(email: email, password: password, ipHash: client, now: now) {
        case .refused:
            logger.info("dashboard sign-in refused")
            return loginPage(next: next, message: "Email or password is wrong.", email: email, status: .unauthorized)
        case .locked(let until):
            logger.notice("dashboard account locked after failed sign-ins")
            let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
            return loginPage(
                next: next, message: "Too many failed attempts: this account is locked for \(minutes) minutes.",
                email: email, status: .tooManyRequests)
        case .signedIn(let token, let session):
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
                    secure: settings.baseURL.hasPrefix("https://"), httpOnly: true, sameSite: .lax))
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
                secure: settings.baseURL.hasPrefix("https://"), httpOnly: true, sameSite: .lax))
        return response
    }

    /// Only a dashboard path is a place to go back to after signing in, never another site.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/dashboard"), !next.hasPrefix("//"), !next.contains("\\"),
            next.utf8.count < 1000, !next.contains(where: { $0.isNewline })
        else { return nil }
        return next
    }

    /// The login form's token: not secret-bearing, but proves the form came from this site lately.
    func loginToken(now: Date) -> String { loginTokens.make(for: "login", now: now) }

    func verifyLoginToken(_ value: String, now: Date) -> Bool { loginTokens.verify(value, for: "login", now: now) }

    func ipHash(_ address: String) -> String { addresses.hash(address) }

    // MARK: - Shared steps

    /// The signed-in session; the middleware has put it there for every dashboard route.
    func session(_ context: AppRequestContext) async throws -> DashboardContext {
        guard let session = context.dashboardSession else { throw HTTPError(.unauthorized) }
        return DashboardContext(session: session, businessName: try await store.business().name)
    }

    /// A dashboard form's fields, after checking its CSRF token against the session's.
    func form(_ request: Request, _ context: AppRequestContext) async throws -> FormFields {
        guard let session = context.dashboardSession else { throw HTTPError(.unauthorized) }
        let body = try await request.body.collect(upTo: 64 * 1024)
        let fields = FormFields(String(buffer: body))
        let sent = fields["csrf"] ?? request.headers[.xCSRFToken] ?? ""
        guard Crypto.constantTimeEqual(Array(sent.utf8), Array(session.csrf.utf8)) else {
            throw HTTPError(.forbidden, message: "The form's security token is missing or wrong; reload the page.")
        }
        return fields
    }

    func today() async throws -> CalendarDate {
        let zone = timeZones.zone(try await store.business().timeZone) ?? .gmt
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
