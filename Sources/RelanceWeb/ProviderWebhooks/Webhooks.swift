import Foundation
import Hummingbird
import Logging
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceStore

/// Callbacks from SMS gateways: delivery reports and customers' replies. Each one is authenticated
/// before anything is recorded; a bad one answers 403 and changes nothing.
struct Webhooks: Sendable {
    let store: Store
    let settings: WebSettings
    let logger: Logger
    /// Replies and delivery reports, acted on by the service's rules.
    let inbound: InboundService

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/webhooks/kannel/dlr", use: kannelDeliveryReport)
        router.get("/webhooks/kannel/inbound", use: kannelInbound)
        router.post("/webhooks/kannel/inbound", use: kannelInbound)
        router.post("/webhooks/twilio/status", use: twilioStatus)
        router.post("/webhooks/twilio/inbound", use: twilioInbound)
        router.post("/webhooks/stripe", use: stripe)
    }

    /// The form fields of a Twilio callback, once its signature checks out; nil (and a log line) if not.
    func verifiedTwilioForm(_ request: Request, context: AppRequestContext) async throws -> [String: String]? {
        guard let token = settings.twilioAuthToken else { return nil }
        let body = try await request.body.collect(upTo: 64 * 1024)
        var pairs: [(String, String)] = []
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.flatMap(FormFields.decode) else { continue }
            pairs.append((name, parts.count > 1 ? FormFields.decode(parts[1]) ?? "" : ""))
        }
        // Twilio signs the URL it called: the public origin, the path and the query string.
        let url = settings.callbackBaseURL + request.uri.description
        guard
            TwilioSignature.isValid(
                signature: request.headers[.twilioSignature], authToken: token, url: url, parameters: pairs)
        else {
            logger.warning("refused a Twilio callback with a bad signature", metadata: ["route": "\(request.uri.path)"])
            return nil
        }
        return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    /// `POST /webhooks/twilio/status` — `MessageSid`, `MessageStatus`, `ErrorCode`.
    @Sendable func twilioStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard settings.twilioAuthToken != nil else { return Webhooks.refuse(.notFound, "not configured") }
        guard let form = try await verifiedTwilioForm(request, context: context) else {
            return Webhooks.refuse(.forbidden, "bad signature")
        }
        guard let sid = form["MessageSid"], let state = form["MessageStatus"] else {
            return Webhooks.refuse(.badRequest, "MessageSid and MessageStatus are required")
        }
        let error = form["ErrorCode"].map { " (error \($0))" } ?? ""
        let status: DeliveryStatus =
            switch state {
            case "delivered": .delivered
            case "undelivered", "failed": .failed("\(state)\(error)")
            default: .progress(state)
            }
        guard try await inbound.report(provider: "twilio", providerID: sid, status)
        else {
            return Webhooks.refuse(.notFound, "no such message")
        }
        return Webhooks.ok
    }

    /// `POST /webhooks/twilio/inbound` — a reply; answers empty TwiML so Twilio sends nothing itself.
    @Sendable func twilioInbound(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard settings.twilioAuthToken != nil else { return Webhooks.refuse(.notFound, "not configured") }
        guard let form = try await verifiedTwilioForm(request, context: context) else {
            return Webhooks.refuse(.forbidden, "bad signature")
        }
        // Twilio names every message; a request seen before (a retry, or a captured one replayed with its
        // valid signature) is answered the same and acts once.
        guard let from = form["From"].flatMap({ PhoneNumber(gateway: $0)?.e164 }), let text = form["Body"],
            let sid = form["MessageSid"], (2...64).contains(sid.utf8.count),
            sid.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else {
            return Webhooks.refuse(.badRequest, "From, Body and MessageSid are required")
        }
        let outcome = try await inbound.receive(
            InboundText(from: from, to: form["To"], body: text, provider: "twilio", providerMessageID: sid))
        logger.info(
            outcome.duplicate ? "reply received again: ignored" : "reply received",
            metadata: ["inbound": "\(outcome.inboundID)", "keyword": "\(outcome.keyword.rawValue)"])
        return Response(
            status: .ok, headers: [.contentType: "text/xml; charset=utf-8"],
            body: .init(
                byteBuffer: ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>")))
    }

    static let ok: Response = Response(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(string: "")))

    static func refuse(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
    }

    /// `GET /webhooks/kannel/dlr?message=ID&token=T&type=%d&answer=%A` — Kannel's delivery reports.
    @Sendable func kannelDeliveryReport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let raw = query["message"], let messageID = Int64(String(raw)), let token = query["token"],
            let expected = Base64URL.decode(
                KannelConfiguration.callbackToken(messageID: messageID, key: settings.callbackKey)),
            let given = Base64URL.decode(String(token)), Crypto.constantTimeEqual(given, expected)
        else {
            logger.warning("refused a Kannel delivery report with a bad token")
            return Webhooks.refuse(.forbidden, "bad token")
        }
        guard let typeText = query["type"], let type = Int(String(typeText)) else {
            return Webhooks.refuse(.badRequest, "type is required")
        }
        let answer = query["answer"].map(String.init) ?? ""
        let status: DeliveryStatus =
            switch type {
            case 1: .delivered
            case 2: .failed("not delivered: \(answer)")
            case 16: .failed("rejected by the operator: \(answer)")
            case 4: .progress("buffered by the operator")
            case 8: .progress("accepted by the operator")
            default: .progress("report type \(type): \(answer)")
            }
        guard try await inbound.report(messageID: messageID, status) else {
            return Webhooks.refuse(.notFound, "no such message")
        }
        return Webhooks.ok
    }

    /// `/webhooks/kannel/inbound?from=%p&to=%P&text=%a&secret=S` — a customer's reply, from a Kannel
    /// sms-service. Answers an empty body: confirmations go out through the outbox, where they are logged.
    @Sendable func kannelInbound(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let secret = settings.kannelInboundSecret else { return Webhooks.refuse(.notFound, "not configured") }
        var fields: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { fields[String(key)] = String(value) }
        if request.method == .post {
            let body = try await request.body.collect(upTo: 16 * 1024)
            let form = FormFields(String(buffer: body))
            for key in ["from", "to", "text", "secret"] { if let value = form[key] { fields[key] = value } }
        }
        guard let given = fields["secret"], Crypto.constantTimeEqual(Array(given.utf8), Array(secret.utf8)) else {
            logger.warning("refused an inbound SMS with a bad secret")
            return Webhooks.refuse(.forbidden, "bad secret")
        }
        guard let from = fields["from"].flatMap({ PhoneNumber(gateway: $0)?.e164 }), let text = fields["text"] else {
            return Webhooks.refuse(.badRequest, "from and text are required")
        }
        let outcome = try await inbound.receive(
            InboundText(from: from, to: fields["to"], body: text, provider: "kannel"))
        logger.info(
            "reply received",
            metadata: [
                "inbound": "\(outcome.inboundID)", "keyword": "\(outcome.keyword.rawValue)",
                "customers": "\(outcome.customerIDs.count)", "paused": "\(outcome.pausedInvoices)",
            ])
        return Webhooks.ok
    }
}
