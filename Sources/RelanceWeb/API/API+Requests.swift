import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// Request routes of `/api/v1`: customers' plan proposals and questions, the business's answers, the
/// invoice's plan and history, the rules for plans, and pausing reminders by hand.
extension API {
    func addRequestRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("requests", use: listRequests)
        api.get("requests/:id", use: getRequest)
        api.post("requests/:id/accept", use: acceptRequest)
        api.post("requests/:id/decline", use: declineRequest)
        api.post("requests/:id/reply", use: replyToRequest)
        api.get("invoices/:id/plan", use: getPlan)
        api.get("invoices/:id/history", use: getHistory)
        api.post("invoices/:id/pause", use: pauseReminders)
        api.post("invoices/:id/resume", use: resumeReminders)
        api.get("plan-settings", use: getPlanSettings)
        api.put("plan-settings", use: putPlanSettings)
    }

    /// The longest answer the business may send; it goes out by text message (about three segments).
    static let answerLimit = 480

    struct InstalmentBody: Codable, Sendable {
        var due_on: String?
        var amount: Int64?
    }

    struct AnswerBody: Decodable {
        var instalments: [InstalmentBody]?
        var message: String?
    }

    struct PauseBody: Decodable {
        var reason: String?
    }

    struct RequestResource: Encodable, Sendable {
        var id: Int64
        var invoice_id: Int64
        var invoice_number: String
        var customer_id: Int64
        var customer_name: String
        var kind: String
        var status: String
        var currency: String
        /// The proposed schedule (plans only), amounts in minor units.
        @ExplicitNull var instalments: [InstalmentBody]?
        @ExplicitNull var message: String?
        @ExplicitNull var contact: String?
        @ExplicitNull var callback: String?
        var auto_accepted: Bool
        @ExplicitNull var answer: String?
        @ExplicitNull var answered_at: String?
        var created_at: String

        init(_ request: CustomerRequest) {
            id = request.id
            invoice_id = request.invoiceID
            invoice_number = request.invoiceNumber
            customer_id = request.customerID
            customer_name = request.customerName
            kind = request.kind.rawValue
            status = request.status.rawValue
            currency = request.currency.code
            instalments =
                request.kind == .plan
                ? request.schedule.map { InstalmentBody(due_on: $0.dueOn.iso, amount: $0.amount) } : nil
            message = request.message
            contact = request.contact?.rawValue
            callback = request.callback?.rawValue
            auto_accepted = request.autoAccepted
            answer = request.answer
            answered_at = request.answeredAt.map(Instant.format)
            created_at = Instant.format(request.createdAt)
        }
    }

    struct RequestList: Encodable, Sendable {
        var data: [RequestResource]
        var next_before: String?
    }

    struct PlanResource: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            var id: Int64
            var position: Int
            var due_on: String
            var amount: Int64
            var paid: Int64
            /// `paid`, `due` (the next one, not yet late), `late` or `upcoming`.
            var status: String
        }

        var id: Int64
        var invoice_id: Int64
        var status: PlanStatus
        var currency: String
        var created_at: String
        var ended_at: String?
        var end_reason: String?
        var instalments: [Item]
    }

    struct HistoryList: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            var at: String
            var kind: String
            var detail: String?
            var message_id: Int64?
            var request_id: Int64?
        }
        var data: [Item]
    }

    struct PlanSettingsBody: Codable, Sendable {
        var maximum_instalments: Int?
        var maximum_span_days: Int?
        var minimum_instalment: Int64?
        var auto_accept: Bool?
        var auto_accept_maximum_instalments: Int?
        var auto_accept_maximum_span_days: Int?
        var reminder_offsets: [Int]?
        var break_after_days: Int?
        var reply_time: [String: String]?
    }

    // MARK: - Handlers

    /// `GET /api/v1/requests?status=pending&limit=50&before=ID` — newest first.
    @Sendable func listRequests(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var status: RequestStatus?
        if let raw = query["status"] {
            guard let parsed = RequestStatus(rawValue: String(raw)) else {
                throw Problem.field(
                    "status", "must be one of " + RequestStatus.allCases.map(\.rawValue).joined(separator: ", "),
                    status: 400)
            }
            status = parsed
        }
        let limit = try API.pageLimit(request)
        var before: Int64?
        if let raw = query["before"] {
            guard let parsed = Int64(String(raw)), parsed > 0 else {
                throw Problem.field("before", "must be a request id (a positive integer)", status: 400)
            }
            before = parsed
        }
        let page = try await store.requests(status: status, beforeID: before, limit: limit + 1)
        let items = page.prefix(limit).map(RequestResource.init)
        let next = page.count > limit ? items.last.map { String($0.id) } : nil
        return try json(RequestList(data: Array(items), next_before: next), status: .ok)
    }

    /// `GET /api/v1/requests/{id}`
    @Sendable func getRequest(_ request: Request, context: AppRequestContext) async throws -> Response {
        try json(RequestResource(try await store.request(id: try requestID(context))), status: .ok)
    }

    /// `POST /api/v1/requests/{id}/accept` — as proposed, or with `instalments` of the business's own.
    @Sendable func acceptRequest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(AnswerBody.self, request, context, allowEmpty: true)
        var schedule: [Instalment]?
        if let items = body.instalments {
            var errors: [Problem.FieldError] = []
            var parsed: [Instalment] = []
            for (index, item) in items.enumerated() {
                let day = item.due_on.flatMap(CalendarDate.init(iso:))
                if day == nil {
                    errors.append(.init(field: "instalments[\(index)].due_on", message: "must be a date YYYY-MM-DD"))
                }
                if item.amount == nil {
                    errors.append(
                        .init(field: "instalments[\(index)].amount", message: "is required, in minor units"))
                }
                if let day, let amount = item.amount { parsed.append(Instalment(dueOn: day, amount: amount)) }
            }
            if items.count > 120 {
                errors = [.init(field: "instalments", message: "at most 120 instalments")]
            }
            guard errors.isEmpty else { throw Problem.validation(errors) }
            schedule = parsed
        }
        return try await answer(request, context, .accept(schedule), message: try answerMessage(body, required: false))
    }

    /// `POST /api/v1/requests/{id}/decline` — the normal reminders resume.
    @Sendable func declineRequest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(AnswerBody.self, request, context, allowEmpty: true)
        return try await answer(request, context, .decline, message: try answerMessage(body, required: false))
    }

    /// `POST /api/v1/requests/{id}/reply` — answers a question; the normal reminders resume.
    @Sendable func replyToRequest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(AnswerBody.self, request, context, allowEmpty: true)
        return try await answer(request, context, .reply, message: try answerMessage(body, required: true))
    }

    func answer(_ request: Request, _ context: AppRequestContext, _ answer: RequestAnswer, message: String?)
        async throws -> Response
    {
        let id = try requestID(context)
        let stored = try await store.request(id: id)
        let invoice = try await store.invoice(id: stored.invoiceID)
        let today = today(for: invoice, businessZone: try await businessZone())
        let library = self.library
        do {
            let answered = try await settings.requests(store).answer(
                id: id, answer, message: message, today: today, audit: audit(request, context)
            ) { notice in library.requestNotice(notice) }
            logger.info(
                "customer request answered",
                metadata: [
                    "request": "\(id)", "invoice": "\(answered.invoiceID)", "status": "\(answered.status.rawValue)",
                ])
            return try json(RequestResource(answered), status: .ok)
        } catch let error as RequestAnswerError {
            throw Problem(error, currency: stored.currency)
        }
    }

    func answerMessage(_ body: AnswerBody, required: Bool) throws -> String? {
        let message = body.message?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let message, !message.isEmpty else {
            if required { throw Problem.field("message", "is required: the answer the customer will receive") }
            return nil
        }
        guard message.unicodeScalars.count <= API.answerLimit else {
            throw Problem.field("message", "at most \(API.answerLimit) characters: it is sent by text message")
        }
        guard !PlainText.hasControlCharacters(message, allowingLineBreaks: true) else {
            throw Problem.field("message", "must not contain control characters other than line breaks")
        }
        return message
    }

    /// `GET /api/v1/invoices/{id}/plan` — the active plan, else the latest one.
    @Sendable func getPlan(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        let invoice = try await store.invoice(id: id)
        guard let plan = try await store.plan(invoiceID: id) else { throw Problem.notFound("plan of this invoice") }
        let today = today(for: invoice, businessZone: try await businessZone())
        let items = plan.instalments.enumerated().map { index, instalment in
            let paid = plan.paid[index]
            let status =
                paid >= instalment.amount
                ? "paid" : index != plan.nextIndex ? "upcoming" : instalment.dueOn < today ? "late" : "due"
            return PlanResource.Item(
                id: plan.instalmentIDs[index], position: index + 1, due_on: instalment.dueOn.iso,
                amount: instalment.amount, paid: paid, status: status)
        }
        return try json(
            PlanResource(
                id: plan.id, invoice_id: id, status: plan.status, currency: invoice.amount.currency.code,
                created_at: Instant.format(plan.createdAt), ended_at: plan.endedAt.map(Instant.format),
                end_reason: plan.endReason, instalments: items), status: .ok)
    }

    /// `GET /api/v1/invoices/{id}/history` — everything that happened to the invoice, oldest first.
    @Sendable func getHistory(_ request: Request, context: AppRequestContext) async throws -> Response {
        let items = try await store.history(invoiceID: try invoiceID(context)).map {
            HistoryList.Item(
                at: Instant.format($0.at), kind: $0.kind, detail: $0.detail, message_id: $0.messageID,
                request_id: $0.requestID)
        }
        return try json(HistoryList(data: items), status: .ok)
    }

    /// `POST /api/v1/invoices/{id}/pause` — stops the invoice's reminders until resumed.
    @Sendable func pauseReminders(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        let body = try await decode(PauseBody.self, request, context, allowEmpty: true)
        let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard reason.unicodeScalars.count <= 200 else { throw Problem.field("reason", "at most 200 characters") }
        guard !PlainText.hasControlCharacters(reason) else {
            throw Problem.field("reason", "must not contain control characters")
        }
        let invoice = try await store.pauseReminders(
            invoiceID: id, reason: reason.isEmpty ? "paused by the business" : reason, now: settings.clock.now(),
            audit: audit(request, context))
        return try json(
            InvoiceResource(invoice, today: today(for: invoice, businessZone: try await businessZone())), status: .ok)
    }

    /// `POST /api/v1/invoices/{id}/resume` — reminders carry on from the stage that applies now.
    @Sendable func resumeReminders(_ request: Request, context: AppRequestContext) async throws -> Response {
        let invoice = try await store.resumeReminders(
            invoiceID: try invoiceID(context), now: settings.clock.now(), audit: audit(request, context))
        return try json(
            InvoiceResource(invoice, today: today(for: invoice, businessZone: try await businessZone())), status: .ok)
    }

    /// `GET /api/v1/plan-settings`
    @Sendable func getPlanSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        try json(API.body(try await store.planSettings()), status: .ok)
    }

    /// `PUT /api/v1/plan-settings` — fields left out keep their value.
    @Sendable func putPlanSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(PlanSettingsBody.self, request, context)
        let stored = try await store.planSettings()
        let (plans, problems) = stored.applying(
            PlanSettings.Draft(
                maximumInstalments: body.maximum_instalments, maximumSpanDays: body.maximum_span_days,
                minimumInstalment: body.minimum_instalment, autoAccept: body.auto_accept,
                autoAcceptMaximumInstalments: body.auto_accept_maximum_instalments,
                autoAcceptMaximumSpanDays: body.auto_accept_maximum_span_days, breakAfterDays: body.break_after_days,
                reminderOffsets: body.reminder_offsets, replyTime: body.reply_time))
        if problems.filter({ !$0.isReplyTime }) == [.breakBeforeStoredReminders] {
            // The stored reminder days, not this request, clash with the new break_after_days (said
            // before any reply-time problem, as it always was).
            throw Problem(
                status: 409, title: "Conflict",
                detail: "break_after_days: the reminders on days "
                    + stored.reminderOffsets.map(String.init).joined(separator: ", ")
                    + " must all come before the plan breaks; send reminder_offsets with it")
        }
        let errors = problems.compactMap(API.planSettingsError)
        guard errors.isEmpty else { throw Problem.validation(errors) }
        try await store.savePlanSettings(plans, audit: audit(request, context))
        return try json(API.body(plans), status: .ok)
    }

    /// A plan-settings problem as the API names it (nil for the clash it answers with 409).
    static func planSettingsError(_ problem: PlanSettings.Problem) -> Problem.FieldError? {
        typealias Bounds = PlanSettings.Bounds
        func range<T>(_ field: String, _ bounds: ClosedRange<T>) -> Problem.FieldError {
            .init(field: field, message: "must be from \(bounds.lowerBound) to \(bounds.upperBound)")
        }
        switch problem {
        case .maximumInstalments: return range("maximum_instalments", Bounds.instalments)
        case .maximumSpanDays: return range("maximum_span_days", Bounds.spanDays)
        case .minimumInstalment: return range("minimum_instalment", Bounds.minimumInstalment)
        case .autoAcceptMaximumInstalments: return range("auto_accept_maximum_instalments", Bounds.instalments)
        case .autoAcceptMaximumSpanDays: return range("auto_accept_maximum_span_days", Bounds.spanDays)
        case .breakAfterDays: return range("break_after_days", Bounds.breakAfterDays)
        case .breakBeforeStoredReminders: return nil
        case .reminderOffsets:
            return .init(
                field: "reminder_offsets",
                message:
                    "at most \(Bounds.reminderOffsets) different days, each from \(Bounds.reminderOffset.lowerBound) to \(Bounds.reminderOffset.upperBound)"
            )
        case .remindersAfterBreak:
            return .init(field: "reminder_offsets", message: "every reminder must come before the plan breaks")
        case .replyTimeLanguage(let code): return .init(field: "reply_time.\(code)", message: "languages are fr and en")
        case .replyTimeTooLong(let language):
            return .init(field: "reply_time.\(language.rawValue)", message: "at most \(Bounds.replyTime) characters")
        case .replyTimeControlCharacters(let language):
            return .init(field: "reply_time.\(language.rawValue)", message: "must not contain control characters")
        }
    }

    static func body(_ plans: PlanSettings) -> PlanSettingsBody {
        PlanSettingsBody(
            maximum_instalments: plans.limits.maximumInstalments, maximum_span_days: plans.limits.maximumSpanDays,
            minimum_instalment: plans.limits.minimumInstalment, auto_accept: plans.autoAccept,
            auto_accept_maximum_instalments: plans.autoAcceptMaximumInstalments,
            auto_accept_maximum_span_days: plans.autoAcceptMaximumSpanDays, reminder_offsets: plans.reminderOffsets,
            break_after_days: plans.breakAfterDays,
            reply_time: Dictionary(uniqueKeysWithValues: plans.replyTime.map { ($0.key.rawValue, $0.value) }))
    }

    func requestID(_ context: AppRequestContext) throws -> Int64 { try pathID(context, "request") }
}

extension Problem {
    init(_ error: RequestAnswerError, currency: Currency) {
        switch error {
        case .notPending(let status):
            self = Problem(status: 409, title: "Conflict", detail: "the request is already \(status.rawValue)")
        case .wrongKind(.question):
            self = Problem(
                status: 409, title: "Conflict", detail: "a question is answered with /reply, not accepted or declined")
        case .wrongKind(.plan):
            self = Problem(
                status: 409, title: "Conflict", detail: "a plan proposal is answered with /accept or /decline")
        case .invoiceClosed:
            self = Problem(status: 409, title: "Conflict", detail: "the invoice is paid or void: nothing to arrange")
        case .invalidSchedule(let problems):
            self = .validation(problems.map { Problem.fieldError($0, currency: currency) })
        }
    }

    /// A plan problem as the API names it.
    static func fieldError(_ problem: PlanProblem, currency: Currency) -> Problem.FieldError {
        switch problem {
        case .tooFewInstalments: return .init(field: "instalments", message: "at least 2 instalments")
        case .tooManyInstalments(let maximum):
            return .init(field: "instalments", message: "at most \(maximum) instalments")
        case .amountsDoNotAddUp(let total, let balance):
            return .init(
                field: "instalments",
                message: "amounts add up to \(total) but the balance is \(balance) minor units of \(currency.code)")
        case .notPositive(let index): return .init(field: "instalments[\(index)].amount", message: "must be positive")
        case .belowMinimum(let index, let minimum):
            return .init(field: "instalments[\(index)].amount", message: "below the minimum of \(minimum)")
        case .firstDateInPast: return .init(field: "instalments[0].due_on", message: "is in the past")
        case .datesNotIncreasing(let index):
            return .init(field: "instalments[\(index)].due_on", message: "must come after the previous instalment")
        case .beyondMaximumSpan(let lastAllowed):
            return .init(
                field: "instalments", message: "the last instalment must be on \(lastAllowed.iso) at the latest")
        }
    }
}
