import Foundation
import Hummingbird
import Logging
import RelanceCore
import RelanceMessaging
import RelanceStore

/// One log line per request with the route's pattern, never the path itself: paths carry link tokens.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: Int(response.status.code), start: start)
            return response
        } catch let error as HTTPResponseError {
            log(request, context, status: Int(error.status.code), start: start)
            throw error
        } catch {
            log(request, context, status: 500, start: start)
            throw error
        }
    }

    func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")",
                "status": "\(status)", "us": "\(micros)",
            ])
    }
}

/// Turns any error outside the API into a plain HTML page: the right status, no stack trace.
struct HTMLErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let render: @Sendable (_ status: HTTPResponse.Status, _ acceptLanguage: String?) -> Response

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            if request.uri.path.hasPrefix("/api/") { throw error }
            return render(error.status, request.headers[.acceptLanguage])
        } catch {
            if Store.isDatabaseError(error) { OperationalMetrics.databaseError(where: "page") }
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            guard Store.isUnavailable(error) else {
                return render(.internalServerError, request.headers[.acceptLanguage])
            }
            // Nothing was written; the same form can be sent again once the database takes writes.
            var response = render(.serviceUnavailable, request.headers[.acceptLanguage])
            response.headers[.retryAfter] = Problem.retryAfter
            return response
        }
    }
}
