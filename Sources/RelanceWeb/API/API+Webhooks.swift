import Foundation
import Hummingbird
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceStore

/// Outgoing webhooks: a business subscribes a URL to events and receives each one signed
/// (`Relance-Signature`, see `WebhookSignature`), retried with backoff, logged, and replayable.
extension API {
    func addWebhookRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("webhook-endpoints", use: createWebhookEndpoint)
        api.get("webhook-endpoints", use: listWebhookEndpoints)
        api.get("webhook-endpoints/:id", use: getWebhookEndpoint)
        api.delete("webhook-endpoints/:id", use: deleteWebhookEndpoint)
        api.post("webhook-endpoints/:id/rotate-secret", use: rotateWebhookSecret)
        api.get("webhook-endpoints/:id/deliveries", use: listDeliveries)
        api.post("webhook-deliveries/:id/replay", use: replayDelivery)
    }

    struct WebhookEndpointBody: Decodable {
        var url: String?
        var events: [String]?
        var description: String?
    }

    struct WebhookEndpointResource: Encodable, Sendable {
        var id: Int64
        var url: String
        var events: [String]
        @ExplicitNull var description: String?
        var created_at: String
        /// Only in the answer to the creation: keep it, it is not shown again (left out otherwise).
        var secret: String?

        init(_ endpoint: WebhookEndpoint, showSecret: Bool) {
            id = endpoint.id
            url = endpoint.url
            events = endpoint.events
            description = endpoint.description
            created_at = Instant.format(endpoint.createdAt)
            secret = showSecret ? endpoint.secret : nil
        }
    }

    struct DeliveryResource: Encodable, Sendable {
        struct AttemptResource: Encodable, Sendable {
            var at: String
            var status_code: Int?
            var error: String?
            var milliseconds: Int
        }

        var id: Int64
        var event_id: String
        var type: String
        var status: WebhookDeliveryStatus
        var attempts: Int
        @ExplicitNull var next_attempt_at: String?
        @ExplicitNull var last_error: String?
        var created_at: String
        @ExplicitNull var delivered_at: String?
        var attempt_log: [AttemptResource]

        init(_ delivery: WebhookDelivery) {
            id = delivery.id
            event_id = "evt_\(delivery.eventID)"
            type = delivery.type
            status = delivery.status
            attempts = delivery.attempts
            next_attempt_at = delivery.nextAttemptAt.map(Instant.format)
            last_error = delivery.lastError
            created_at = Instant.format(delivery.createdAt)
            delivered_at = delivery.deliveredAt.map(Instant.format)
            attempt_log = delivery.attemptLog.map {
                AttemptResource(
                    at: Instant.format($0.at), status_code: $0.statusCode, error: $0.error,
                    milliseconds: $0.milliseconds)
            }
        }
    }

    static let maximumWebhookEndpoints = 20

    /// `POST /api/v1/webhook-endpoints` — `{url, events, description}` → 201 with the signing secret.
    @Sendable func createWebhookEndpoint(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(WebhookEndpointBody.self, request, context)
        var errors: [Problem.FieldError] = []
        let url = (body.url ?? "").trimmingCharacters(in: .whitespaces)
        if let problem = webhookURLProblem(url) { errors.append(.init(field: "url", message: problem)) }
        let known = Set(WebhookEventType.allCases.map(\.rawValue))
        let events = body.events ?? []
        if events.isEmpty {
            errors.append(.init(field: "events", message: "list at least one event type, or \"*\" for all"))
        } else if let unknown = events.first(where: { $0 != "*" && !known.contains($0) }) {
            errors.append(
                .init(
                    field: "events",
                    message: "'\(unknown.prefix(60))' is not an event type; use "
                        + WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ") + " or \"*\""))
        } else if Set(events).count != events.count {
            errors.append(.init(field: "events", message: "lists an event type twice"))
        }
        let description = body.description?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let description, description.unicodeScalars.count > 200 {
            errors.append(.init(field: "description", message: "must be at most 200 characters"))
        } else if let description, PlainText.hasControlCharacters(description) {
            errors.append(.init(field: "description", message: "must not contain control characters"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        guard try await store.webhookEndpoints().count < API.maximumWebhookEndpoints else {
            throw Problem(
                status: 409, title: "Conflict",
                detail: "at most \(API.maximumWebhookEndpoints) webhook endpoints; delete one first")
        }
        let endpoint = try await store.createWebhookEndpoint(
            url: url, events: events, description: description?.isEmpty == true ? nil : description,
            now: settings.clock.now(), audit: audit(request, context))
        return try json(WebhookEndpointResource(endpoint, showSecret: true), status: .created)
    }

    /// Why a URL cannot receive webhooks, or nil: https (plain http only with
    /// `RELANCE_WEBHOOKS_ALLOW_HTTP=1`, or to this machine when private receivers are allowed); no
    /// credentials or fragment; a public host unless `RELANCE_WEBHOOKS_ALLOW_PRIVATE=1`. Each delivery
    /// checks the addresses the name has then, too (`DestinationPolicy`).
    func webhookURLProblem(_ url: String) -> String? {
        guard !url.isEmpty else { return "is required" }
        if let scheme = URL(string: url)?.scheme?.lowercased(), scheme != "https", scheme != "http" {
            return "must be https://"
        }
        guard let target = OutboundTarget(url: url) else {
            return "must be an absolute http(s) URL with a plain host, such as https://billing.example.com/relance"
        }
        guard !target.hasCredentials, !target.hasFragment else {
            return "must not carry credentials or a fragment; check the signature instead"
        }
        let name = target.name
        // `127.1`, `2130706433`, `0x7f000001`: numbers that some resolvers read as addresses.
        if target.literal == nil, let last = name.split(separator: ".").last,
            last.allSatisfy(\.isNumber) || last.hasPrefix("0x")
        {
            return "must be a host name or a plain IP address"
        }
        if !settings.webhooksAllowPrivate {
            if let kind = target.literal?.nonPublicKind {
                return
                    "must not point to a \(kind) address (set RELANCE_WEBHOOKS_ALLOW_PRIVATE=1 for an intranet receiver)"
            }
            if target.literal == nil, API.isLocalName(name) {
                return "must name a public host (set RELANCE_WEBHOOKS_ALLOW_PRIVATE=1 for an intranet receiver)"
            }
        }
        let loopback = name == "localhost" || target.literal?.nonPublicKind == "loopback"
        switch target.scheme {
        case "https": return nil
        case "http" where (loopback && settings.webhooksAllowPrivate) || settings.webhooksAllowHTTP: return nil
        default: return "must be https://"
        }
    }

    /// Names that only mean something inside a network.
    static func isLocalName(_ host: String) -> Bool {
        host == "localhost" || !host.contains(".")
            || [".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain"].contains {
                host.hasSuffix($0)
            }
    }

    /// `GET /api/v1/webhook-endpoints`
    @Sendable func listWebhookEndpoints(_ request: Request, context: AppRequestContext) async throws -> Response {
        let endpoints = try await store.webhookEndpoints()
        return try json(["data": endpoints.map { WebhookEndpointResource($0, showSecret: false) }], status: .ok)
    }

    /// `GET /api/v1/webhook-endpoints/{id}`
    @Sendable func getWebhookEndpoint(_ request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await store.webhookEndpoint(id: try pathID(context, "webhook endpoint"))
        return try json(WebhookEndpointResource(endpoint, showSecret: false), status: .ok)
    }

    /// `POST /api/v1/webhook-endpoints/{id}/rotate-secret` — a new secret, shown once; the old one
    /// signs beside it for a day.
    @Sendable func rotateWebhookSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await store.rotateWebhookSecret(
            id: try pathID(context, "webhook endpoint"), now: settings.clock.now(), audit: audit(request, context))
        return try json(WebhookEndpointResource(endpoint, showSecret: true), status: .ok)
    }

    /// `DELETE /api/v1/webhook-endpoints/{id}` — stops it; what was waiting for it is marked failed.
    @Sendable func deleteWebhookEndpoint(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await store.deleteWebhookEndpoint(
            id: try pathID(context, "webhook endpoint"), now: settings.clock.now(), audit: audit(request, context))
        return Response(status: .noContent)
    }

    /// `GET /api/v1/webhook-endpoints/{id}/deliveries?status=&limit=&before=`
    @Sendable func listDeliveries(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, "webhook endpoint")
        let query = FormFields(request.uri.query ?? "")
        var status: WebhookDeliveryStatus?
        if let raw = query["status"] {
            guard let value = WebhookDeliveryStatus(rawValue: raw) else {
                let names = WebhookDeliveryStatus.allCases.map(\.rawValue)
                throw Problem.field(
                    "status", "must be \(names.dropLast().joined(separator: ", ")) or \(names.last ?? "")", status: 400)
            }
            status = value
        }
        let limit = try API.pageLimit(request)
        var before: Int64?
        if let raw = query["before"] {
            guard let value = Int64(raw), value > 0 else {
                throw Problem.field("before", "must be a delivery id", status: 400)
            }
            before = value
        }
        let page = try await store.deliveries(endpointID: id, status: status, before: before, limit: limit + 1)
        let items = Array(page.prefix(limit))
        let next = page.count > limit ? items.last.map { String($0.id) } : nil
        let resources = items.map(DeliveryResource.init)
        return try json(DeliveryPage(data: resources, next_before: next), status: .ok)
    }

    struct DeliveryPage: Encodable, Sendable {
        var data: [DeliveryResource]
        @ExplicitNull var next_before: String?
    }

    /// `POST /api/v1/webhook-deliveries/{id}/replay` — sends it again now, with the same event id.
    @Sendable func replayDelivery(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let delivery = try await store.replayDelivery(
                id: try pathID(context, "webhook delivery"), now: settings.clock.now(), audit: audit(request, context))
            return try json(DeliveryResource(delivery), status: .accepted)
        } catch WebhookReplayError.inFlight {
            throw Problem(
                status: 409, title: "Conflict",
                detail: "the delivery is being sent right now; replay it once it is done")
        }
    }
}
