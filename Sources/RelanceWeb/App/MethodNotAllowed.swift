import HTTPTypes
import Hummingbird

/// What the router answers when no route matches: 405 with `Allow` when the path exists under other
/// methods (HTTP's rule, which Hummingbird's router leaves to us: it answers 404), else 404. Under
/// `/api/` both are problem documents, as every API error is.
///
/// Added to the router after every route, so it wraps only the router's "not found"; the methods
/// come from the router's own table of routes, so the two cannot disagree.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// Each route's path split into segments (a capture, `:name` or `{name}`, matches any one), with its
    /// methods.
    let routes: [(segments: [Substring], methods: Set<String>)]

    init(routes: [Router<AppRequestContext>.RouteDescription]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes { byPath[route.path.description, default: []].insert(route.method.rawValue) }
        self.routes = byPath.map { path, methods in
            (path.split(separator: "/"), methods)
        }
    }

    /// The methods `path` is served with, or nil when no route has that path.
    func allowed(_ path: String) -> [String]? {
        guard path.utf8.count <= 2048 else { return nil }
        let parts = path.split(separator: "/")
        var methods: Set<String> = []
        for route in routes where route.segments.count == parts.count {
            let matches = zip(route.segments, parts).allSatisfy { pattern, part in
                pattern.hasPrefix(":") || (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern == "*"
                    || pattern == part
            }
            if matches { methods.formUnion(route.methods) }
        }
        return methods.isEmpty ? nil : methods.sorted()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && context.endpointPath == "NotFound" {
            let path = request.uri.path
            let api = path.hasPrefix("/api/")
            guard let methods = allowed(path) else {
                if api { return Problem.notFound("\(path.prefix(200))").response() }
                throw error
            }
            let allow = methods.joined(separator: ", ")
            if api {
                var response = Problem(
                    status: 405, title: "Method not allowed",
                    detail: "\(request.method.rawValue.prefix(20)) is not served here; use \(allow)"
                ).response()
                response.headers[.allow] = allow
                return response
            }
            return Response(
                status: .methodNotAllowed,
                headers: [.allow: allow, .contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "Method not allowed\n")))
        }
    }
}
