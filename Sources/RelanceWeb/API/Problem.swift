import Foundation
import Hummingbird
import RelanceStore

/// An RFC 9457 problem document: what went wrong, and which field, in words a developer can act on.
struct Problem: Error, Encodable, Sendable {
    struct FieldError: Encodable, Sendable, Equatable {
        var field: String
        var message: String
    }

    var status: Int
    var title: String
    var detail: String
    var type: String = "about:blank"
    var errors: [FieldError]? = nil

    init(status: Int, title: String, detail: String, errors: [FieldError]? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    static func validation(_ errors: [FieldError]) -> Problem {
        let detail = errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        return Problem(status: 422, title: "Invalid request", detail: detail, errors: errors)
    }

    static func field(_ field: String, _ message: String, status: Int = 422) -> Problem {
        Problem(
            status: status, title: status == 400 ? "Malformed request" : "Invalid request",
            detail: "\(field): \(message)", errors: [FieldError(field: field, message: message)])
    }

    static func notFound(_ what: String) -> Problem {
        Problem(status: 404, title: "Not found", detail: "\(what) does not exist")
    }

    /// The database cannot take the write now (disk full, locked, failing): nothing was written.
    static let unavailable = Problem(
        status: 503, title: "Service unavailable",
        detail: "the database cannot take writes at the moment; nothing was changed; send the same request again later")

    /// Seconds a client is asked to wait after a 503.
    static let retryAfter = "30"

    static let unauthorized = Problem(
        status: 401, title: "Unauthorized", detail: "send a valid API key as 'Authorization: Bearer KEY'")

    func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data("{\"status\":\(status)}".utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"relance\"" }
        if status == 503 { headers[.retryAfter] = Problem.retryAfter }
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The problem a store failure means for an API client.
    init(_ error: StoreError) {
        switch error {
        case .notFound(let what):
            self = .notFound(what)
        case .duplicateInvoiceNumber(let number):
            self = Problem(
                status: 409, title: "Conflict", detail: "number: an invoice numbered '\(number)' already exists",
                errors: [FieldError(field: "number", message: "already exists")])
        case .duplicateExternalRef(let ref):
            self = Problem(
                status: 409, title: "Conflict",
                detail: "external_ref: an invoice with reference '\(ref)' already exists",
                errors: [FieldError(field: "external_ref", message: "already exists")])
        case .invoiceVoided:
            self = Problem(status: 409, title: "Conflict", detail: "the invoice is void")
        case .invoiceClosed:
            self = Problem(status: 409, title: "Conflict", detail: "the invoice is paid or void: it has no reminders")
        case .invoicePaid:
            self = Problem(
                status: 409, title: "Conflict",
                detail: "amount: the invoice is already paid; set allow_overpayment to record it anyway",
                errors: [FieldError(field: "amount", message: "the invoice is already paid")])
        case .overpayment(let balance):
            // The request is well formed; it conflicts with what the invoice holds now.
            self = Problem(
                status: 409, title: "Conflict",
                detail:
                    "amount: exceeds the balance of \(balance) minor units; set allow_overpayment to record it anyway",
                errors: [FieldError(field: "amount", message: "exceeds the balance of \(balance) minor units")])
        case .duplicatePaymentReference(let id):
            self = Problem(
                status: 409, title: "Conflict", detail: "reference: already recorded as payment \(id) of this invoice",
                errors: [FieldError(field: "reference", message: "already recorded as payment \(id)")])
        case .idempotencyKeyReused:
            self = Problem(
                status: 409, title: "Conflict",
                detail: "Idempotency-Key: this key was already used with a different request body")
        case .linkExpiryInPast:
            self = .field("expires_at", "must be in the future")
        case .linkExpiryTooFar:
            self = .field("expires_at", "must be within \(3 * 365) days")
        case .rateLimited:
            self = Problem(status: 429, title: "Too many requests", detail: "slow down")
        case .secretsUnavailable:
            self = Problem(
                status: 503, title: "Service unavailable", detail: "this server was started without its instance secret"
            )
        }
    }

    /// The problem a JSON decoding failure means, naming the field by its path.
    init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            return all.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            self = .field(path(context.codingPath), "must be \(Problem.describe(type))", status: 422)
        case .valueNotFound(let type, let context):
            self = .field(path(context.codingPath), "must be \(Problem.describe(type)), not null", status: 422)
        case .keyNotFound(let key, let context):
            self = .field(path(context.codingPath, key), "is required", status: 422)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self = Problem(status: 400, title: "Malformed request", detail: "the body is not valid UTF-8 JSON")
            } else {
                self = .field(
                    path(context.codingPath), "is not a valid value (\(context.debugDescription))", status: 422)
            }
        @unknown default:
            self = Problem(status: 400, title: "Malformed request", detail: "the body could not be read")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int64.Type, is Int.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "an object"
        }
    }
}
