import Foundation
import Hummingbird
import Logging
import RelanceCore
import RelanceMessaging
import RelanceServices
import RelanceStore

/// `/api/v1`: how a billing system pushes invoices and payments and gets links back.
/// Every route needs `Authorization: Bearer KEY`; errors are `application/problem+json`.
struct API: Sendable {
    let store: Store
    let settings: WebSettings
    let logger: Logger
    /// The customer-facing wording, for the texts that carry the business's answers.
    let library: PageLibrary
    let timeZones = TimeZoneCache()

    func addRoutes(to router: Router<AppRequestContext>) {
        let api = router.group("api/v1").add(middleware: APIMiddleware(store: store, clock: settings.clock))
        api.post("invoices", use: createInvoice)
        api.get("invoices", use: listInvoices)
        api.get("invoices/:id", use: getInvoice)
        api.post("invoices/:id/links", use: createLink)
        api.post("invoices/:id/payments", use: recordPayment)
        api.get("invoices/:id/payments", use: listPayments)
        api.post("invoices/:id/void", use: voidInvoice)
        addReminderRoutes(to: api)
        addRequestRoutes(to: api)
        addEmailRoutes(to: api)
        addWebhookRoutes(to: api)
        addBusinessRoutes(to: api)
    }

    // MARK: - Requests

    struct CustomerBody: Decodable {
        var name: String?
        var phone: String?
        var email: String?
        var locale: String?
        var time_zone: String?
        var external_ref: String?
    }

    struct CreateInvoiceBody: Decodable {
        var number: String?
        var customer: CustomerBody?
        var currency: String?
        var amount: Decimal?
        var issued_on: String?
        var due_on: String?
        var external_ref: String?
        var payment_url: String?
    }

    struct CreateLinkBody: Decodable {
        var expires_at: String?
    }

    struct PaymentBody: Decodable {
        var amount: Decimal?
        var method: String?
        var reference: String?
        var received_at: String?
        var allow_overpayment: Bool?
    }

    // MARK: - Handlers

    /// `POST /api/v1/invoices`
    @Sendable func createInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(CreateInvoiceBody.self, request, context)
        let invoice = try validate(body)
        let created = try await store.createInvoice(invoice, now: settings.clock.now(), audit: audit(request, context))
        let zone = try await businessZone()
        return try json(InvoiceResource(created, today: today(for: created, businessZone: zone)), status: .created)
    }

    /// `GET /api/v1/invoices?status=open|paid|void&limit=50&after=ID`
    @Sendable func listInvoices(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var status: InvoiceStatus?
        if let raw = query["status"] {
            guard let parsed = InvoiceStatus(rawValue: String(raw)) else {
                throw Problem.field("status", "must be one of open, paid, void", status: 400)
            }
            status = parsed
        }
        let limit = try API.pageLimit(request)
        var after: Int64 = 0
        if let raw = query["after"] {
            guard let parsed = Int64(String(raw)), parsed >= 0 else {
                throw Problem.field("after", "must be an invoice id (a non-negative integer)", status: 400)
            }
            after = parsed
        }
        let page = try await store.invoices(status: status, afterID: after, limit: limit + 1)
        let zone = try await businessZone()
        let items = page.prefix(limit).map { InvoiceResource($0, today: today(for: $0, businessZone: zone)) }
        let next = page.count > limit ? items.last.map { String($0.id) } : nil
        return try json(InvoiceList(data: Array(items), next_after: next), status: .ok)
    }

    /// `GET /api/v1/invoices/{id}`
    @Sendable func getInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let invoice = try await store.invoice(id: try invoiceID(context))
        let zone = try await businessZone()
        return try json(InvoiceResource(invoice, today: today(for: invoice, businessZone: zone)), status: .ok)
    }

    /// `POST /api/v1/invoices/{id}/links` — a signed link to the invoice page.
    @Sendable func createLink(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        let body = try await decode(CreateLinkBody.self, request, context, allowEmpty: true)
        var expiresAt: Date?
        if let raw = body.expires_at {
            guard let parsed = Instant.parse(raw) else {
                throw Problem.field("expires_at", "must be an ISO 8601 instant such as 2026-03-31T23:59:59Z")
            }
            expiresAt = parsed
        }
        let invoice = try await store.invoice(id: id)
        guard invoice.status != .void else { throw Problem(StoreError.invoiceVoided) }
        let link = try await store.createLink(
            invoiceID: id, expiresAt: expiresAt, purpose: .api, keyring: settings.keyring, now: settings.clock.now(),
            audit: audit(request, context))
        return try json(
            LinkResource(
                id: link.linkID, url: settings.urls.invoicePage(token: link.token), token: link.token,
                expires_at: Instant.format(link.expiresAt)), status: .created)
    }

    /// `POST /api/v1/invoices/{id}/payments` — idempotent with an `Idempotency-Key` header.
    @Sendable func recordPayment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        try requireJSON(request)
        let raw = try await request.body.collect(upTo: context.maxUploadSize)
        let body = try decode(PaymentBody.self, raw)
        let now = settings.clock.now()
        let payment = try validate(body, now: now)
        let apiKeyID = context.apiKeyID ?? 0
        let encoder = API.encoder
        let timeZones = self.timeZones
        let fallbackZone = try await businessZone()
        // Audited with the payment itself: a replayed answer records nothing again.
        let note = audit(request, context)
        var idempotency: IdempotencyKey?
        if let key = request.headers[.idempotencyKey] {
            guard !key.isEmpty, key.utf8.count <= 255 else {
                throw Problem.field("Idempotency-Key", "must be 1 to 255 characters", status: 400)
            }
            let hash = Crypto.hex(Crypto.sha256(Array(raw.readableBytesView)) + Array("/\(id)".utf8))
            idempotency = IdempotencyKey(apiKeyID: apiKeyID, key: key, requestHash: hash)
        }
        let (response, replayed) = try await PaymentService(storage: store, clock: .fixed(now)).record(
            payment, invoiceID: id, audit: note, idempotency: idempotency
        ) { record, invoice in
            let zone = timeZones.zone(invoice.customerTimeZone) ?? fallbackZone
            let resource = PaymentResult(
                payment: PaymentResource(record),
                invoice: InvoiceResource(invoice, today: CalendarDate(instant: now, timeZone: zone)))
            return StoredResponse(status: 201, body: try encoder.encode(resource))
        }
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(
            status: .init(code: response.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// `GET /api/v1/invoices/{id}/payments`
    @Sendable func listPayments(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        _ = try await store.invoice(id: id)
        let payments = try await store.payments(invoiceID: id)
        return try json(PaymentList(data: payments.map(PaymentResource.init)), status: .ok)
    }

    /// `POST /api/v1/invoices/{id}/void` — stops asking for the money; repeating it is harmless.
    @Sendable func voidInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let invoice = try await store.voidInvoice(
            id: try invoiceID(context), now: settings.clock.now(), audit: audit(request, context))
        let zone = try await businessZone()
        return try json(InvoiceResource(invoice, today: today(for: invoice, businessZone: zone)), status: .ok)
    }

    // MARK: - Validation

    func validate(_ body: CreateInvoiceBody) throws -> NewInvoice {
        var draft = InvoiceDraft()
        draft.number = body.number
        draft.customer = body.customer.map {
            var customer = CustomerDraft()
            customer.name = $0.name
            customer.phone = $0.phone
            customer.email = $0.email
            customer.locale = $0.locale
            customer.timeZone = $0.time_zone
            customer.ref = $0.external_ref
            return customer
        }
        draft.currency = body.currency
        draft.amount = API.minorUnits(
            body.amount, required: "an integer count of minor units, e.g. 12345 for 123.45 EUR",
            fail: { _, message in draft.amountProblem = message })
        draft.issuedOn = body.issued_on
        draft.dueOn = body.due_on
        draft.externalRef = body.external_ref
        draft.paymentURL = body.payment_url
        do throws(FieldProblems) {
            return try InvoiceRules.check(draft)
        } catch {
            throw Problem.validation(error.list.map { .init(field: $0.field, message: $0.message) })
        }
    }

    func validate(_ body: PaymentBody, now: Date) throws -> NewPayment {
        var errors: [Problem.FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }
        let amount = API.minorUnits(body.amount, required: "an integer count of minor units", fail: fail)
        let method = body.method.flatMap(PaymentMethod.init(typed:))
        if (body.method ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            fail("method", "is required: one of \(PaymentMethod.listing)")
        } else if method == nil {
            fail("method", "must be one of \(PaymentMethod.listing)")
        }
        let reference = PaymentReference.trimmed(body.reference)
        for problem in reference.map(PaymentReference.problems) ?? [] {
            switch problem {
            case .tooLong: fail("reference", "must be at most \(PaymentReference.maximumLength) characters")
            case .controlCharacters: fail("reference", "must not contain control characters")
            }
        }
        var receivedAt = now
        if let raw = body.received_at {
            if let parsed = Instant.parse(raw) {
                receivedAt = parsed
                if parsed > now.addingTimeInterval(300) { fail("received_at", "must not be in the future") }
            } else {
                fail("received_at", "must be an ISO 8601 instant such as 2026-03-31T14:05:00Z")
            }
        }
        guard errors.isEmpty, let amount, let method else { throw Problem.validation(errors) }
        return NewPayment(
            amount: amount, method: method, reference: reference, receivedAt: receivedAt,
            allowOverpayment: body.allow_overpayment ?? false)
    }

    /// Amounts arrive as JSON numbers; anything but a whole number in range is named precisely.
    static func minorUnits(_ value: Decimal?, required: String, fail: (String, String) -> Void) -> Int64? {
        guard let value else {
            fail("amount", "is required (\(required))")
            return nil
        }
        var rounded = Decimal()
        var copy = value
        NSDecimalRound(&rounded, &copy, 0, .plain)
        guard rounded == value else {
            fail("amount", "must be an integer count of minor units (12345 for 123.45 EUR), not \(value)")
            return nil
        }
        // Core's bounds, compared as Decimal: a JSON number may be far outside Int64.
        guard value >= Decimal(Money.acceptedMinorUnits.lowerBound) else {
            fail("amount", "must be a positive integer count of minor units")
            return nil
        }
        guard value <= Decimal(Money.acceptedMinorUnits.upperBound) else {
            fail("amount", "must be at most \(Money.maximumMinorUnits)")
            return nil
        }
        return NSDecimalNumber(decimal: value).int64Value
    }

    // MARK: - Plumbing

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// `limit` of a list: 50 unless given, from 1 to 200.
    static func pageLimit(_ request: Request) throws -> Int {
        guard let raw = request.uri.queryParameters["limit"] else { return 50 }
        guard let parsed = Int(String(raw)), (1...200).contains(parsed) else {
            throw Problem.field("limit", "must be an integer from 1 to 200", status: 400)
        }
        return parsed
    }

    func invoiceID(_ context: AppRequestContext) throws -> Int64 { try pathID(context, "invoice") }

    /// The `{id}` of the route: a positive integer, or 404 saying which `what` does not exist.
    func pathID(_ context: AppRequestContext, _ what: String) throws -> Int64 {
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else {
            throw Problem.notFound(what)
        }
        return id
    }

    func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, _ context: AppRequestContext, allowEmpty: Bool = false
    )
        async throws -> T
    {
        try requireJSON(request)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        if allowEmpty && buffer.readableBytes == 0 { return try decode(type, ByteBuffer(string: "{}")) }
        return try decode(type, buffer)
    }

    /// A body sent as something else than JSON is refused with 415 before it is read.
    func requireJSON(_ request: Request) throws {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw Problem(status: 415, title: "Unsupported media type", detail: "send the body as application/json")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            var problem = Problem(decoding: error)
            // "12.5" for an amount is the common mistake: say what the field wants.
            if problem.errors?.first?.field == "amount" {
                problem = .field("amount", "must be an integer count of minor units (12345 for 123.45 EUR)")
            }
            throw problem
        }
    }

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        try API.jsonResponse(value, status: status)
    }

    /// A JSON answer no cache keeps: every API answer, and the dashboard's figures (`/dashboard/api/summary`).
    static func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let data = try API.encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func businessZone() async throws -> TimeZone {
        timeZones.zone(try await store.business().timeZone) ?? .gmt
    }

    /// Today where the customer lives, else where the business is (read once per request by the caller).
    func today(for invoice: InvoiceSummary, businessZone: TimeZone) -> CalendarDate {
        CalendarDate(instant: settings.clock.now(), timeZone: timeZones.zone(invoice.customerTimeZone) ?? businessZone)
    }

    /// The audit line for the change a request makes, under its key (`api METHOD /route/{pattern}`):
    /// every change a billing system makes is kept, like the dashboard's, in the change's transaction.
    func audit(_ request: Request, _ context: AppRequestContext, detail: String? = nil) -> AuditNote {
        let path = context.endpointPath ?? request.uri.path
        let invoiceID = path.contains("/invoices/{id}") ? context.parameters.get("id").flatMap { Int64($0) } : nil
        return AuditNote(
            actor: context.apiKeyID.map(AuditNote.Actor.apiKey) ?? .operator, "api \(request.method.rawValue) \(path)",
            invoiceID: invoiceID, detail: detail, at: settings.clock.now())
    }
}

/// Checks the bearer key and turns every error below it into a problem document.
struct APIMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: Store
    let clock: Clock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        do {
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                let key = try await store.apiKey(
                    secret: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            else { return Problem.unauthorized.response() }
            context.apiKeyID = key.id
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response()
        } catch let error as StoreError {
            return Problem(error).response()
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            return Problem(status: 413, title: "Content too large", detail: "request bodies are limited to 1 MiB")
                .response()
        } catch let error as HTTPError {
            return Problem(status: Int(error.status.code), title: error.status.reasonPhrase, detail: error.body ?? "")
                .response()
        } catch let error as HTTPResponseError {
            return Problem(status: Int(error.status.code), title: error.status.reasonPhrase, detail: "").response()
        } catch  where Store.isUnavailable(error) {
            OperationalMetrics.databaseError(where: "api")
            context.logger.error("API request failed: database unavailable", metadata: ["error": "\(error)"])
            return Problem.unavailable.response()
        } catch {
            if Store.isDatabaseError(error) { OperationalMetrics.databaseError(where: "api") }
            context.logger.error("API request failed", metadata: ["error": "\(error)"])
            return Problem(status: 500, title: "Internal error", detail: "the request could not be completed")
                .response()
        }
    }
}
