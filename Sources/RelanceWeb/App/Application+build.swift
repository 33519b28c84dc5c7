import Foundation
import Hummingbird
import Logging
import RelanceCore
import RelanceServices
import RelanceStore
import ServiceLifecycle

/// Builds the whole HTTP application: customer pages, static assets, the JSON API, health, and the
/// background services that run beside them. Tests call this too, with a temporary database.
public func buildApplication(
    store: Store, settings: WebSettings, host: String = "127.0.0.1", port: Int = 8080,
    logger: Logger = Logger(label: "relance"), extraServices: [any Service] = [], idleSeconds: Int64 = 15
) throws -> some ApplicationProtocol {
    let parts = try buildRouter(store: store, settings: settings, logger: logger)
    var app = Application(
        router: parts.router,
        // A connection that sends no complete request head for 15 s — idle between requests, or
        // trickling its headers byte by byte — is closed, so idle sockets cannot pile up.
        server: .http1(configuration: .init(idleTimeout: .seconds(idleSeconds))),
        configuration: .init(address: .hostname(host, port: port), serverName: nil),
        logger: logger)
    app.addServices(parts.clicks)
    app.addServices(extraServices)
    return app
}

/// The router and the click recorder it feeds; exposed so tests can flush clicks on demand.
public func buildRouter(store: Store, settings: WebSettings, logger: Logger) throws -> (
    router: Router<AppRequestContext>, clicks: ClickRecorder
) {
    // The store's catalogue: pages, the dashboard and the texts the store writes share one set of phrases.
    let catalogue = try store.phrases()
    let library = try PageLibrary(
        directory: settings.resourcesDirectory.appendingPathComponent("templates"), catalogue: catalogue)
    let assets = try StaticAssets(directory: settings.resourcesDirectory.appendingPathComponent("Public"))
    let clicks = ClickRecorder(store: store, logger: logger)
    let pages = CustomerPages(
        store: store, settings: settings, library: library, clicks: clicks, cssHref: assets.stylesheetHref,
        logger: logger)

    let router = Router(context: AppRequestContext.self)
    // Requests by route and status, with their durations (swift-metrics; exposed by `relance serve`).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: RequestLogMiddleware())
    router.add(
        middleware: HTMLErrorMiddleware { status, acceptLanguage in
            let business = try? store.businessNow()
            let language = Language.resolve(
                customerLocale: nil, acceptLanguage: acceptLanguage,
                fallback: Language(locale: business?.defaultLocale) ?? .fr)
            let (heading, text) =
                switch status.code {
                case 404, 405: ("notfound_heading", "notfound_text")
                case 403: ("forbidden_heading", "forbidden_text")
                case 503: ("unavailable_heading", "unavailable_text")
                default: ("error_heading", "error_text")
                }
            return pages.messagePage(
                "error", business ?? Business(BusinessProfile(name: "Relance")), language, heading: heading, text: text,
                status: status.code >= 500 && status.code != 503 ? .internalServerError : status)
        })
    router.get("/healthz") { _, _ in
        // A read proves the database file is there and readable.
        _ = try store.businessNow()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }
    // Readiness, unlike liveness: the database takes writes and no migration is waiting.
    router.get("/readyz") { _, _ in
        let pending = (try? store.pendingMigrations()) ?? ["unreadable"]
        let writable = await store.isWritable()
        let ready = pending.isEmpty && writable
        let text =
            ready
            ? "ready\n"
            : (writable ? "" : "database not writable\n")
                + (pending.isEmpty ? "" : "migrations pending: \(pending.joined(separator: ", "))\n")
        return Response(
            status: ready ? .ok : .serviceUnavailable,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    if let metricsText = settings.metricsText, let token = settings.metricsToken, !token.isEmpty {
        router.get("/metrics") { request, _ in
            let sent = request.headers[.authorization].map { Array($0.utf8) } ?? []
            guard Crypto.constantTimeEqual(sent, Array("Bearer \(token)".utf8)) else { throw HTTPError(.notFound) }
            return metricsResponse(metricsText())
        }
    }
    // Browsers ask for it on every page; an empty answer they may cache beats a 404 page.
    router.get("/favicon.ico") { _, _ in
        Response(status: .noContent, headers: [.cacheControl: "public, max-age=604800"])
    }
    router.get("/robots.txt") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "User-agent: *\nDisallow: /\n")))
    }
    assets.addRoutes(to: router)
    pages.addRoutes(to: router)
    API(store: store, settings: settings, logger: logger, library: library).addRoutes(to: router)
    Webhooks(
        store: store, settings: settings, logger: logger,
        inbound: InboundService(storage: store, phrases: catalogue, clock: settings.clock)
    ).addRoutes(to: router)
    let views = try DashboardViews(
        directory: settings.resourcesDirectory.appendingPathComponent("templates/dashboard"),
        cssHref: assets.dashboardStylesheetHref, catalogue: catalogue)
    Dashboard(store: store, settings: settings, views: views, library: library, logger: logger).addRoutes(to: router)
    // Last, so it wraps only the router's "not found", with every route known.
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return (router, clicks)
}

/// Files under `Public/`, read once at start-up and served from memory under a name that carries
/// their content hash, so browsers may cache them for a year.
struct StaticAssets: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    let assets: [String: Asset]
    /// The customer pages' stylesheet, and the dashboard's.
    let stylesheetHref: String
    let dashboardStylesheetHref: String

    init(directory: URL) throws {
        var assets: [String: Asset] = [:]
        var hrefs: [String: String] = [:]
        for name in ["relance.css", "dashboard.css"] {
            let css = try Data(contentsOf: directory.appendingPathComponent(name))
            let version = String(Crypto.hex(Crypto.sha256(Array(css))).prefix(10))
            assets[name] = Asset(bytes: ByteBuffer(bytes: css), contentType: "text/css; charset=utf-8")
            hrefs[name] = "/static/\(name)?v=" + version
        }
        // The API's description, hand-kept beside the routes (a test holds the two together).
        let openAPI = try Data(contentsOf: directory.appendingPathComponent("openapi.yaml"))
        assets["openapi.yaml"] = Asset(
            bytes: ByteBuffer(bytes: openAPI), contentType: "application/yaml; charset=utf-8")
        self.assets = assets
        stylesheetHref = hrefs["relance.css"] ?? ""
        dashboardStylesheetHref = hrefs["dashboard.css"] ?? ""
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/openapi.yaml") { _, _ in
            let asset = assets["openapi.yaml"]
            return Response(
                status: .ok,
                headers: [
                    .contentType: asset?.contentType ?? "application/yaml", .cacheControl: "no-cache",
                    .xContentTypeOptions: "nosniff",
                ],
                body: .init(byteBuffer: asset?.bytes ?? ByteBuffer()))
        }
        router.get("/static/:name") { request, context in
            guard let name = context.parameters.get("name"), name.hasSuffix(".css"), let asset = assets[name] else {
                throw HTTPError(.notFound)
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: asset.contentType, .cacheControl: "public, max-age=31536000, immutable",
                    .xContentTypeOptions: "nosniff",
                ],
                body: .init(byteBuffer: asset.bytes))
        }
    }
}

/// Metrics in Prometheus's text exposition format.
public func metricsResponse(_ bytes: [UInt8]) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A listener of its own for `/metrics` (and `/healthz`), meant for loopback: a Prometheus on the same
/// machine scrapes it without a token, and nothing of it is reachable through the public proxy.
public func buildMetricsApplication(
    host: String, port: Int, logger: Logger, metricsText: @escaping @Sendable () -> [UInt8]
) -> some ApplicationProtocol {
    let router = Router()
    router.get("/metrics") { _, _ in metricsResponse(metricsText()) }
    router.get("/healthz") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }
    return Application(
        router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
}
