import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// Reminder routes of `/api/v1`: the message log, the policy, the templates, and "remind now".
extension API {
    func addReminderRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("invoices/:id/messages", use: listMessages)
        api.post("invoices/:id/remind", use: remindNow)
        api.get("policy", use: getPolicy)
        api.put("policy", use: putPolicy)
        api.get("sending-rules", use: getSendingRules)
        api.put("sending-rules", use: putSendingRules)
        api.get("templates", use: listTemplates)
        api.put("templates/:stage/:channel/:locale", use: putTemplate)
    }

    struct MessageResource: Encodable, Sendable {
        struct Event: Encodable, Sendable {
            var status: String
            var at: String
            var detail: String?
        }

        var id: Int64
        var kind: MessageKind
        var stage: String?
        var channel: Channel
        var recipient: String
        var body: String
        var encoding: SMSEncoding?
        var segments: Int?
        var status: MessageStatus
        var provider: String?
        var provider_id: String?
        var error: String?
        var attempts: Int
        var created_at: String
        var sent_at: String?
        var events: [Event]
    }

    /// `GET /api/v1/invoices/{id}/messages` — every message about the invoice, with its status history.
    @Sendable func listMessages(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        _ = try await store.invoice(id: id)
        var resources: [MessageResource] = []
        for message in try await store.messages(invoiceID: id) {
            let events = try await store.messageEvents(messageID: message.id).map {
                MessageResource.Event(status: $0.status, at: Instant.format($0.at), detail: $0.detail)
            }
            resources.append(
                MessageResource(
                    id: message.id, kind: message.kind, stage: message.stage, channel: message.channel,
                    recipient: message.recipient, body: message.body, encoding: message.encoding,
                    segments: message.segments, status: message.status, provider: message.provider,
                    provider_id: message.providerID, error: message.error, attempts: message.attempts,
                    created_at: Instant.format(message.createdAt), sent_at: message.sentAt.map(Instant.format),
                    events: events))
        }
        return try json(["data": resources], status: .ok)
    }

    /// `POST /api/v1/invoices/{id}/remind` — queue the next reminder now (outside the window and cap,
    /// never to an opted-out customer).
    @Sendable func remindNow(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try invoiceID(context)
        do {
            let queued = try await settings.sendNow(store).send(invoiceID: id, audit: audit(request, context))
            let sms = queued.channel == .sms
            return try json(
                QueuedResource(
                    message_id: queued.messageID, stage: queued.stage, channel: queued.channel.rawValue,
                    recipient: queued.recipient, body: queued.body, encoding: sms ? queued.encoding.rawValue : nil,
                    segments: sms ? queued.segments : nil, subject: queued.subject,
                    email: queued.email.map {
                        QueuedResource.Email(message_id: $0.messageID, recipient: $0.recipient, subject: $0.subject)
                    }), status: .accepted)
        } catch let refusal as RemindRefusal {
            let detail =
                switch refusal {
                case .settled: "the invoice is paid or void"
                case .noPhone: "the customer has no phone number"
                case .optedOut: "the customer opted out of SMS"
                case .nothingLeft: "every reminder stage has been sent"
                case .onPlan: "the invoice is on a payment plan: its instalments are reminded on their own"
                case .noEmail:
                    "the stage goes by email only and the customer cannot get it (no address, unsubscribed, or email not set up)"
                }
            throw Problem(status: 409, title: "Conflict", detail: detail)
        }
    }

    struct QueuedResource: Encodable, Sendable {
        struct Email: Encodable, Sendable {
            var message_id: Int64
            var recipient: String
            var subject: String
        }

        var message_id: Int64
        var stage: String
        /// `sms`, or `email` when the stage goes by email only.
        var channel: String
        var recipient: String
        var body: String
        /// Texts only.
        var encoding: String?
        var segments: Int?
        /// An email's subject, when the reminder is an email.
        var subject: String?
        /// The email sent with the text, when the stage goes by email too (left out otherwise).
        var email: Email?
    }

    struct StageBody: Codable, Sendable {
        var key: String?
        var offset_days: Int?
        var repeat_every_days: Int?
        var enabled: Bool?
        var channels: [String]?
    }

    struct PolicyBody: Codable, Sendable {
        var stages: [StageBody]?
    }

    /// `GET /api/v1/policy`
    @Sendable func getPolicy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let policy = try await store.policy()
        return try json(
            PolicyBody(
                stages: policy.stages.map {
                    StageBody(
                        key: $0.key, offset_days: $0.offsetDays, repeat_every_days: $0.repeatEveryDays,
                        enabled: $0.enabled,
                        channels: $0.channels.map(\.rawValue))
                }), status: .ok)
    }

    /// `PUT /api/v1/policy` — replaces the stages; open invoices are re-planned on the next tick.
    @Sendable func putPolicy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(PolicyBody.self, request, context)
        guard let stages = body.stages else { throw Problem.field("stages", "is required") }
        var parsed: [ReminderStage] = []
        for (index, stage) in stages.enumerated() {
            guard let key = stage.key else { throw Problem.field("stages[\(index)].key", "is required") }
            guard let offset = stage.offset_days else {
                throw Problem.field("stages[\(index)].offset_days", "is required")
            }
            let channels = try (stage.channels ?? ["sms"]).map { name in
                guard let channel = Channel(rawValue: name) else {
                    throw Problem.field("stages[\(index)].channels", "'\(name)' is not a channel (sms, email)")
                }
                return channel
            }
            parsed.append(
                ReminderStage(
                    key: key, offsetDays: offset, repeatEveryDays: stage.repeat_every_days,
                    enabled: stage.enabled ?? true,
                    channels: channels))
        }
        do {
            let policy = try ReminderPolicy(stages: parsed)
            try await store.savePolicy(policy, now: settings.clock.now(), audit: audit(request, context))
        } catch let problem as ReminderPolicy.Problem {
            throw Problem.field("stages", problem.description)
        }
        return try await getPolicy(request, context: context)
    }

    struct SendingRulesBody: Codable, Sendable {
        var window_start_hour: Int?
        var window_end_hour: Int?
        var weekdays: [Int]?
        var holidays: [String]?
        var sms_minimum_interval_hours: Int?
        var pause_on_reply: Bool?
    }

    /// `GET /api/v1/sending-rules` — quiet hours, weekdays, holidays, frequency cap, pause on reply.
    @Sendable func getSendingRules(_ request: Request, context: AppRequestContext) async throws -> Response {
        let rules = try await store.sendingRules()
        return try json(
            SendingRulesBody(
                window_start_hour: rules.windowStartHour, window_end_hour: rules.windowEndHour,
                weekdays: rules.weekdays.sorted(), holidays: rules.holidays.sorted().map(\.iso),
                sms_minimum_interval_hours: Int(rules.smsMinimumInterval / 3600),
                pause_on_reply: try await store.pausesOnReply()), status: .ok)
    }

    /// `PUT /api/v1/sending-rules` — fields left out keep their value.
    @Sendable func putSendingRules(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(SendingRulesBody.self, request, context)
        // Core's rules for the fields sent; those left out keep their value.
        let (rules, problems) = try await store.sendingRules().applying(
            SendingRules.Draft(
                windowStartHour: body.window_start_hour, windowEndHour: body.window_end_hour, weekdays: body.weekdays,
                holidays: body.holidays, smsIntervalHours: body.sms_minimum_interval_hours))
        var errors: [Problem.FieldError] = []
        func fail(_ field: String, _ message: String) {
            if !errors.contains(where: { $0.field == field }) { errors.append(.init(field: field, message: message)) }
        }
        for problem in problems {
            switch problem {
            case .windowStart: fail("window_start_hour", "must be an hour from 0 to 23")
            case .windowEnd: fail("window_end_hour", "must be an hour from 1 to 24")
            case .windowOrder:
                guard body.window_start_hour != nil, body.window_end_hour != nil else {
                    // Well formed alone; it is the hour already stored that it clashes with.
                    throw Problem(
                        status: 409, title: "Conflict",
                        detail: "the window would end at \(rules.windowEndHour):00, before it starts at "
                            + "\(rules.windowStartHour):00; send window_start_hour and window_end_hour together")
                }
                fail("window_end_hour", "must be after window_start_hour")
            case .weekdays: fail("weekdays", "must list ISO weekdays, 1 (Monday) to 7 (Sunday)")
            case .holiday, .holidayCount: fail("holidays", "must be at most 400 dates YYYY-MM-DD")
            case .frequencyCap: fail("sms_minimum_interval_hours", "must be from 0 to 2160 (90 days)")
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        let currentPause = try await store.pausesOnReply()
        let pause = body.pause_on_reply ?? currentPause
        try await store.saveSendingRules(
            rules, pauseOnReply: pause, now: settings.clock.now(), audit: audit(request, context))
        return try await getSendingRules(request, context: context)
    }

    struct TemplateResource: Encodable, Sendable {
        var stage: String
        var channel: String
        var locale: String
        var combined: Bool
        var body: String
        /// The template rendered with long realistic values, as a customer would receive it.
        var preview: String
        var encoding: String
        var segments: Int
        var characters_forcing_ucs2: [String]
        var warnings: [String]
    }

    /// `GET /api/v1/templates` — every stage's SMS wording per language, with its worst-case size.
    @Sendable func listTemplates(_ request: Request, context: AppRequestContext) async throws -> Response {
        let policy = try await store.policy()
        let business = try await store.business()
        var resources: [TemplateResource] = []
        // The invoice's stages, then the wording of instalment reminders (always about one invoice).
        let wordings = policy.stages.map { ($0.key, [false, true]) } + InstalmentSlot.wordings.map { ($0, [false]) }
        for (stage, kinds) in wordings {
            for language in Language.allCases {
                for combined in kinds {
                    let template = try await store.messageTemplate(
                        stage: stage, channel: .sms, language: language, combined: combined)
                    resources.append(
                        resource(template, stage: stage, language: language, combined: combined, business))
                }
            }
        }
        return try json(["data": resources], status: .ok)
    }

    struct TemplateBody: Decodable {
        var body: String?
        var combined: Bool?
        /// Email only: refused on a text, rather than silently dropped.
        var subject: String?
    }

    /// `PUT /api/v1/templates/{stage}/sms/{locale}` — `{body, combined}`; a broken or unknown tag is
    /// refused with its line and column, a text over the segment limit is refused, others are warned.
    @Sendable func putTemplate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let stage = context.parameters.get("stage") ?? ""
        let policy = try await store.policy()
        guard InstalmentSlot.wordings.contains(stage) || policy.stages.contains(where: { $0.key == stage }) else {
            throw Problem.notFound("stage '\(stage)'")
        }
        guard let language = Language(rawValue: context.parameters.get("locale") ?? "") else {
            throw Problem.field("locale", "must be fr or en", status: 404)
        }
        switch context.parameters.get("channel") {
        case "sms": break
        case "email" where !InstalmentSlot.wordings.contains(stage):
            return try await putEmailTemplate(stage: stage, language: language, request, context: context)
        default: throw Problem.field("channel", "must be sms or email (instalment wording is sms only)", status: 404)
        }
        let body = try await decode(TemplateBody.self, request, context)
        if body.subject != nil { throw Problem.field("subject", "only email templates have a subject") }
        let text = body.body ?? ""
        let template: MessageTemplate
        switch TemplateRules.body(text) {
        case .success(let parsed): template = parsed
        case .failure(.syntax(let problem)): throw Problem.field("body", problem)
        case .failure(let problem): throw API.templateBodyProblem(problem)
        }
        let combined = body.combined ?? false
        let checked = resource(
            template, stage: stage, language: language, combined: combined, try await store.business())
        if checked.segments > TemplateRules.maximumSegments {
            throw Problem.field(
                "body",
                "renders to \(checked.segments) segments with realistic values; at most \(TemplateRules.maximumSegments) are allowed"
            )
        }
        try await store.saveTemplate(
            stage: stage, channel: .sms, language: language, combined: combined, body: text, now: settings.clock.now(),
            audit: audit(request, context, detail: "\(stage) sms \(language.rawValue)"))
        return try json(checked, status: .ok)
    }

    /// A template body's problem other than its syntax, as the API words it for texts and emails alike.
    static func templateBodyProblem(_ problem: TemplateRules.Problem) -> Problem {
        switch problem {
        case .empty: Problem.field("body", "is required")
        case .tooLong: Problem.field("body", "must be at most \(TemplateRules.maximumCharacters) characters")
        case .controlCharacters, .lineBreak:
            Problem.field("body", "must not contain control characters other than line breaks")
        case .syntax(let description): Problem.field("body", description)
        }
    }

    func resource(_ template: MessageTemplate, stage: String, language: Language, combined: Bool, _ business: Business)
        -> TemplateResource
    {
        let check = TemplateCheck(template, language: language, business: business, settings: settings)
        return TemplateResource(
            stage: stage, channel: "sms", locale: language.rawValue, combined: combined, body: template.source,
            preview: check.analysis.text, encoding: check.analysis.encoding.rawValue, segments: check.analysis.segments,
            characters_forcing_ucs2: check.analysis.charactersForcingUCS2.map(String.init), warnings: check.warnings)
    }
}

/// A template rendered with long realistic values (a 20-character name, `12 345,67 €`, a full link),
/// measured, and what a business should know about it.
struct TemplateCheck {
    let analysis: SMSAnalysis
    let warnings: [String]

    init(_ template: MessageTemplate, language: Language, business: Business, settings: WebSettings) {
        self.init(
            template,
            rendered: template.render(Self.sampleValues(language: language, business: business, settings: settings)))
    }

    /// The same for an email, which writes the business's phone as people read it.
    static func emailSampleValues(language: Language, business: Business, settings: WebSettings)
        -> [MessageVariable: String]
    {
        var values = sampleValues(language: language, business: business, settings: settings)
        values[.business_phone] = business.phone.map(PhoneDisplay.format) ?? ""
        return values
    }

    /// Long realistic values: a 20-character name, `12 345,67 €`, a full link.
    static func sampleValues(language: Language, business: Business, settings: WebSettings)
        -> [MessageVariable: String]
    {
        let amount =
            Currency(code: "EUR").map { Format.amount(Money(minorUnits: 1_234_567, currency: $0), language) } ?? ""
        return [
            .customer_name: "Marie-Claude Dubois-", .business_name: business.name, .amount: amount, .total: amount,
            .invoice_number: "F-2026-00042", .invoice_count: "12",
            .due_date: Format.shortDate(CalendarDate(daysSinceEpoch: 20_724), language),
            .link: settings.urls.invoicePage(token: String(repeating: "x", count: SignedLink.tokenLength)),
            .business_phone: business.phone ?? "",
        ]
    }

    init(_ template: MessageTemplate, rendered: String) {
        analysis = SMSText.analyze(rendered)
        var warnings: [String] = []
        if analysis.encoding == .ucs2 {
            warnings.append(
                "UCS-2 (70 characters per segment) because of "
                    + analysis.charactersForcingUCS2.map { "'\($0)'" }.joined(separator: ", "))
        }
        if analysis.segments > 1 { warnings.append("\(analysis.segments) segments: each is billed as one SMS") }
        if !template.variables.contains(.link) {
            warnings.append("no {{link}}: the customer cannot pay from the message")
        }
        self.warnings = warnings
    }
}
