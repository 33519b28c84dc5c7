import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// Wording per stage and language, measured as the customer's phone will count it, with an optional
/// second wording ("B") sent to a share of customers; and the results page that says which gets paid.
extension Dashboard {
    /// Every wording the business can edit: the policy's stages (single and combined), then instalments'.
    func wordings() async throws -> [(stage: String, combined: Bool)] {
        let policy = try await store.policy()
        return policy.stages.flatMap { [($0.key, false), ($0.key, true)] } + InstalmentSlot.wordings.map { ($0, false) }
    }

    /// `GET /dashboard/templates`
    @Sendable func templates(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let t = session.t
        let business = try await store.business()
        var rows: [[String: Any]] = []
        for (stage, combined) in try await wordings() {
            for language in Language.allCases {
                let template = try await store.messageTemplate(
                    stage: stage, channel: .sms, language: language, combined: combined)
                let check = TemplateCheck(template, language: language, business: business, settings: settings)
                let variant = try await store.variant(stage: stage, language: language, combined: combined)
                rows.append([
                    "stage": stage, "stage_name": Dashboard.stageName(stage, t), "language": language.rawValue,
                    "kind": Dashboard.wordingKind(combined, t),
                    "preview": check.analysis.text, "segments": check.analysis.segments,
                    "encoding": check.analysis.encoding == .gsm7 ? "GSM-7" : "UCS-2",
                    "warn": !check.warnings.isEmpty,
                    "variant_share": variant.map {
                        t("dash.templates.variant_share", Dashboard.percent(whole: $0.share, t))
                    } ?? "",
                    "link": TemplateTarget(channel: .sms, stage: stage, language: language, combined: combined).path,
                ])
            }
        }
        let stages = try await store.policy().stages.enumerated().map { index, stage -> [String: Any] in
            let name = Dashboard.stageName(stage.key, t)
            return [
                "index": index, "key": stage.key, "name": name, "offset": stage.offsetDays,
                "repeat": stage.repeatEveryDays.map(String.init) ?? "", "enabled": stage.enabled,
                "sms": stage.channels.contains(.sms), "email": stage.channels.contains(.email),
                "aria_offset": t("dash.templates.aria.offset", name),
                "aria_repeat": t("dash.templates.aria.repeat", name),
                "aria_enabled": t("dash.templates.aria.enabled", name), "aria_sms": t("dash.templates.aria.sms", name),
                "aria_email": t("dash.templates.aria.email", name),
            ]
        }
        let changes = try await wordingChanges(t)
        return views.page(
            "templates",
            [
                "section": "templates", "rows": rows, "stages": stages, "email_rows": try await emailRows(t),
                "email_status": settings.emailConfigured
                    ? t("dash.templates.email_set_up") : t("dash.templates.email_not_set_up"),
                "notice": request.uri.queryParameters["notice"].map(String.init) ?? "",
                "changes": changes, "has_changes": !changes.isEmpty,
            ], session: session)
    }

    /// The latest changes to stages and wording, who made them and when, in the business's time.
    func wordingChanges(_ t: Words) async throws -> [[String: Any]] {
        let zone = try await businessZone()
        return try await store.wordingChanges(limit: 20).map { change in
            let what = Dashboard.changeWhat(change.what, t)
            return [
                "at": Dashboard.localTime(change.at, zone), "who": Dashboard.changeWho(change.who, t),
                "what": change.detail.flatMap { $0.isEmpty ? nil : t("dash.templates.change.with_detail", what, $0) }
                    ?? what,
            ]
        }
    }

    /// What changed, as the store words it in English (a closed list), in the person's language; anything
    /// else as it is.
    static func changeWhat(_ what: String, _ t: Words) -> String {
        switch what {
        case "text wording": t("dash.templates.change.text")
        case "wording B test": t("dash.templates.change.variant")
        case "wording B test stopped": t("dash.templates.change.variant_stopped")
        case "email wording": t("dash.templates.change.email")
        case "stages": t("dash.templates.change.stages")
        case "wording": t("dash.templates.change.wording")
        default: what
        }
    }

    /// Who made a change: an account's email as it is; the store's English for an API key or the operator
    /// in the person's language.
    static func changeWho(_ who: String, _ t: Words) -> String {
        if who == "the operator" { return t("dash.templates.change.operator") }
        if who.hasPrefix("API key “"), who.hasSuffix("”"), who.count >= 10 {
            return t("dash.templates.change.api_key", String(who.dropFirst(9).dropLast()))
        }
        return who
    }

    /// What is wrong with the stages, in the person's language (the API keeps ReminderPolicy's English).
    static func policyProblem(_ problem: ReminderPolicy.Problem, _ t: Words) -> String {
        switch problem {
        case .empty: t("dash.templates.policy.empty")
        case .badKey(let key): t("dash.templates.policy.bad_key", key)
        case .duplicateKey(let key): t("dash.templates.policy.duplicate_key", stageName(key, t))
        case .notIncreasing(let key): t("dash.templates.policy.not_increasing", stageName(key, t))
        case .offsetOutOfRange(let key): t("dash.templates.policy.offset", stageName(key, t))
        case .badRepeat(let key): t("dash.templates.policy.repeat", stageName(key, t))
        case .noChannel(let key): t("dash.templates.policy.no_channel", stageName(key, t))
        case .duplicateChannel(let key): t("dash.templates.policy.duplicate_channel", stageName(key, t))
        }
    }

    /// A stage's name for staff: the standard stages and the instalments' wordings in the person's language,
    /// a stage the business named itself by its key.
    static func stageName(_ key: String, _ t: Words) -> String {
        switch key {
        case "courtesy": t("dash.templates.stage.courtesy")
        case "due": t("dash.templates.stage.due")
        case "late": t("dash.templates.stage.late")
        case "final": t("dash.templates.stage.final")
        case "plan_before": t("dash.templates.stage.plan_before")
        case "plan_due": t("dash.templates.stage.plan_due")
        case "plan_after": t("dash.templates.stage.plan_after")
        default: key
        }
    }

    /// Whether a wording is for one invoice or several, in words.
    static func wordingKind(_ combined: Bool, _ t: Words) -> String {
        combined ? t("dash.templates.kind.several") : t("dash.templates.kind.one")
    }

    /// `YYYY-MM-DD HH:MM` in `zone`.
    static func localTime(_ instant: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: instant)
        return String(
            format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
            parts.minute ?? 0)
    }

    /// `POST /dashboard/policy` — each stage's offset, repeat, on/off and channels (`offset_N`, `repeat_N`,
    /// `enabled_N`, `sms_N`, `email_N` for the stage at position N). Stages keep their keys and order.
    @Sendable func savePolicy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        try requireOwner(session)
        let t = session.t
        let current = try await store.policy()
        var stages: [ReminderStage] = []
        var errors: [String] = []
        for (index, stage) in current.stages.enumerated() {
            let name = Dashboard.stageName(stage.key, t)
            guard let offset = Int(fields["offset_\(index)"] ?? ""), (-365...365).contains(offset) else {
                errors.append(t("dash.templates.error.offset", name))
                continue
            }
            var repeatEvery: Int?
            let rawRepeat = (fields["repeat_\(index)"] ?? "").trimmingCharacters(in: .whitespaces)
            if !rawRepeat.isEmpty {
                guard let value = Int(rawRepeat), (1...90).contains(value) else {
                    errors.append(t("dash.templates.error.repeat", name))
                    continue
                }
                repeatEvery = value
            }
            var channels: [Channel] = []
            if fields["sms_\(index)"] == "on" { channels.append(.sms) }
            if fields["email_\(index)"] == "on" { channels.append(.email) }
            if channels.isEmpty { errors.append(t("dash.templates.error.channel", name)) }
            stages.append(
                ReminderStage(
                    key: stage.key, offsetDays: offset, repeatEveryDays: repeatEvery,
                    enabled: fields["enabled_\(index)"] == "on", channels: channels))
        }
        guard errors.isEmpty else {
            let all = errors.dropFirst().reduce(errors[0]) { t("dash.templates.error.and", $0, $1) }
            return redirect("/dashboard/templates", notice: t("dash.templates.not_saved", all))
        }
        do {
            let policy = try ReminderPolicy(stages: stages)
            let now = settings.clock.now()
            try await store.savePolicy(policy, now: now, audit: session.audit("policy.saved", at: now))
            return redirect("/dashboard/templates", notice: t("dash.templates.stages_saved"))
        } catch let problem as ReminderPolicy.Problem {
            // The policy's own words, in English (RelanceCore).
            return redirect(
                "/dashboard/templates", notice: t("dash.templates.not_saved", Dashboard.policyProblem(problem, t)))
        }
    }

    /// The wording a template page edits: a stage's text (`.sms`) or email, in one language, for one invoice
    /// or several. The text and email pages find theirs in the route the same way, and link to it the same way.
    struct TemplateTarget {
        var channel: Channel
        var stage: String
        var language: Language
        var combined: Bool
        /// Where the page's form posts: `/dashboard/templates/STAGE/LOCALE`, or `/dashboard/email-templates/…`.
        var action: String {
            "/dashboard/\(channel == .email ? "email-templates" : "templates")/\(stage)/\(language.rawValue)"
        }
        /// The page itself, with the kind of wording.
        var path: String { "\(action)?combined=\(combined ? 1 : 0)" }
    }

    /// What the text and the email template pages both show (the wording's names, the form's address, the
    /// variables a template may use, the errors and the notice), with the page's own values added.
    func templatePageValues(
        _ target: TemplateTarget, _ t: Words, errors: [String], notice: String?, adding own: [String: Any]
    ) -> [String: Any] {
        let stageName = Dashboard.stageName(target.stage, t)
        let kind = Dashboard.wordingKind(target.combined, t)
        let (title, heading) =
            target.channel == .email
            ? ("dash.email_template.title", "dash.email_template.heading")
            : ("dash.template.title", "dash.template.heading")
        let shared: [String: Any] = [
            "section": "templates", "stage": target.stage, "stage_name": stageName,
            "language": target.language.rawValue, "combined": target.combined ? "1" : "0", "kind": kind,
            "page_title": t(title, stageName, target.language.rawValue),
            "heading": t(heading, stageName, target.language.rawValue, kind),
            "errors": errors, "has_errors": !errors.isEmpty, "notice": notice ?? "", "action": target.action,
            "variables": MessageVariable.allCases.map { "{{\($0.rawValue)}}" }.joined(separator: " "),
        ]
        return shared.merging(own) { _, page in page }
    }

    /// The wording the route names, or 404: texts exist for every wording (instalments' too) in the kinds
    /// each has, emails for the policy's stages.
    func templateTarget(_ request: Request, _ context: AppRequestContext, channel: Channel, combinedField: String?)
        async throws -> TemplateTarget
    {
        let stage = context.parameters.get("stage") ?? ""
        guard let language = Language(rawValue: context.parameters.get("locale") ?? "") else {
            throw HTTPError(.notFound)
        }
        let combined = (combinedField ?? request.uri.queryParameters["combined"].map(String.init)) == "1"
        let exists: Bool
        switch channel {
        case .sms: exists = try await wordings().contains(where: { $0.stage == stage && $0.combined == combined })
        case .email: exists = try await store.policy().stages.contains(where: { $0.key == stage })
        }
        guard exists else { throw HTTPError(.notFound) }
        return TemplateTarget(channel: channel, stage: stage, language: language, combined: combined)
    }

    /// `GET /dashboard/templates/{stage}/{locale}?combined=0|1`
    @Sendable func editTemplate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let target = try await templateTarget(request, context, channel: .sms, combinedField: nil)
        let template = try await store.messageTemplate(
            stage: target.stage, channel: .sms, language: target.language, combined: target.combined)
        let variant = try await store.variant(stage: target.stage, language: target.language, combined: target.combined)
        return try await templatePage(
            target, session: session, body: template.source, variantBody: variant?.body ?? "",
            share: variant?.share ?? 50, hasVariant: variant != nil, errors: [],
            notice: request.uri.queryParameters["notice"].map(String.init), status: .ok)
    }

    /// `POST /dashboard/templates/{stage}/{locale}` — `body` (and `variant_body`, `share`) with
    /// `action` = `preview`, `save`, `save_variant` or `stop_variant`.
    @Sendable func saveTemplate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let target = try await templateTarget(request, context, channel: .sms, combinedField: fields["combined"])
        let body = (fields["body"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let variantBody = (fields["variant_body"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let share = Int(fields["share"] ?? "") ?? 50
        let action = fields["action"] ?? "preview"
        // What customers are told is the owner's to change; anyone may preview.
        if action != "preview" { try requireOwner(session) }
        let t = session.t
        let now = settings.clock.now()
        let business = try await store.business()
        var errors: [String] = []
        func problems(_ text: String, _ name: String) -> [String] {
            switch TemplateRules.body(text) {
            case .failure(.empty): return [t("dash.template.error.empty", name)]
            case .failure(.tooLong): return [t("dash.template.error.too_long", name)]
            case .failure(.controlCharacters), .failure(.lineBreak): return [t("dash.template.error.control", name)]
            // The template's own words, in English (RelanceCore).
            case .failure(.syntax(let problem)): return [t("dash.template.error.syntax", name, problem)]
            case .success(let template):
                let segments = TemplateCheck(
                    template, language: target.language, business: business, settings: settings
                )
                .analysis.segments
                guard segments <= TemplateRules.maximumSegments else {
                    return [
                        t(
                            "dash.template.error.segments", name, String(segments),
                            String(TemplateRules.maximumSegments))
                    ]
                }
                return []
            }
        }
        switch action {
        case "save":
            errors = problems(body, t("dash.template.name.a"))
            if errors.isEmpty {
                try await store.saveTemplate(
                    stage: target.stage, channel: .sms, language: target.language, combined: target.combined,
                    body: body, now: now,
                    audit: session.audit(
                        "template.saved", detail: "\(target.stage) \(target.language.rawValue)", at: now))
                return redirect(target.path, notice: t("dash.template.saved"))
            }
        case "save_variant":
            errors = problems(variantBody, t("dash.template.name.b"))
            if !(1...99).contains(share) { errors.append(t("dash.template.error.share")) }
            if errors.isEmpty {
                try await store.saveVariant(
                    TemplateVariant(
                        stage: target.stage, language: target.language, combined: target.combined, body: variantBody,
                        share: share), now: now,
                    audit: session.audit(
                        "template.variant_saved", detail: "\(target.stage) \(target.language.rawValue): B to \(share)%",
                        at: now))
                return redirect(
                    target.path, notice: t("dash.template.variant_saved", Dashboard.percent(whole: share, t)))
            }
        case "stop_variant":
            try await store.deleteVariant(
                stage: target.stage, language: target.language, combined: target.combined,
                audit: session.audit(
                    "template.variant_stopped", detail: "\(target.stage) \(target.language.rawValue)", at: now))
            return redirect(target.path, notice: t("dash.template.variant_stopped"))
        default:
            errors =
                problems(body, t("dash.template.name.a"))
                + (variantBody.isEmpty ? [] : problems(variantBody, t("dash.template.name.b")))
        }
        let variant = try await store.variant(stage: target.stage, language: target.language, combined: target.combined)
        return try await templatePage(
            target, session: session, body: body, variantBody: variantBody, share: share, hasVariant: variant != nil,
            errors: errors, notice: nil, status: errors.isEmpty ? .ok : .unprocessableContent)
    }

    func templatePage(
        _ target: TemplateTarget, session: DashboardContext, body: String, variantBody: String, share: Int,
        hasVariant: Bool, errors: [String], notice: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let t = session.t
        let business = try await store.business()
        // A real open invoice to preview with, the most recent one.
        let sample = try await store.invoicePage(
            InvoiceFilter(status: .open, sort: .dueDescending), today: try await today(), cursor: nil, limit: 1
        ).items.first
        func measure(_ text: String) -> [String: Any]? {
            guard let template = try? MessageTemplate(text) else { return nil }
            let check = TemplateCheck(template, language: target.language, business: business, settings: settings)
            var values: [String: Any] = [
                "text": check.analysis.text, "characters": check.analysis.text.count,
                "encoding": check.analysis.encoding == .gsm7 ? "GSM-7" : "UCS-2",
                "segments": check.analysis.segments, "units": check.analysis.units,
                "per_segment": check.analysis.unitsPerSegment,
                "warnings": Dashboard.templateWarnings(check.analysis, template, t),
                "one_segment": check.analysis.segments == 1,
                "units_text": t(
                    "dash.template.units", String(check.analysis.units), String(check.analysis.unitsPerSegment)),
                "segments_text": t("dash.template.segments", String(check.analysis.segments)),
            ]
            if let sample {
                let link = settings.urls.invoicePage(token: String(repeating: "x", count: SignedLink.tokenLength))
                let real = template.render([
                    .customer_name: sample.customerName, .business_name: business.name,
                    .amount: Format.amount(sample.balance, target.language),
                    .total: Format.amount(sample.balance, target.language),
                    .invoice_number: sample.number, .invoice_count: "2",
                    .due_date: Format.shortDate(sample.dueOn, target.language), .link: link,
                    .business_phone: business.phone ?? "",
                ])
                let analysis = SMSText.analyze(real)
                let encoding = analysis.encoding == .gsm7 ? "GSM-7" : "UCS-2"
                values["real"] =
                    [
                        "number": sample.number, "text": analysis.text, "segments": analysis.segments,
                        "encoding": encoding,
                        "label": t("dash.template.with_invoice", sample.number, encoding, String(analysis.segments)),
                    ] as [String: Any]
            }
            return values
        }
        var values = templatePageValues(
            target, t, errors: errors, notice: notice,
            adding: ["body": body, "variant_body": variantBody, "share": share, "has_variant": hasVariant])
        // Only texts that parse are measured; the errors say what is wrong with the others.
        if let measured = measure(body) { values["a"] = measured }
        if !variantBody.isEmpty, let measured = measure(variantBody) { values["b"] = measured }
        return views.page("template", values, session: session, status: status)
    }

    /// What to watch in a measured text, in the person's language: the same checks as `TemplateCheck`'s
    /// warnings (which the API gives in English).
    static func templateWarnings(_ analysis: SMSAnalysis, _ template: MessageTemplate, _ t: Words) -> [String] {
        var warnings: [String] = []
        if analysis.encoding == .ucs2 {
            warnings.append(
                t(
                    "dash.template.warn.ucs2",
                    analysis.charactersForcingUCS2.map { t("dash.template.warn.character", String($0)) }
                        .joined(separator: ", ")))
        }
        if analysis.segments > 1 { warnings.append(t("dash.template.warn.segments", String(analysis.segments))) }
        if !template.variables.contains(.link) { warnings.append(t("dash.template.warn.no_link")) }
        return warnings
    }

    // MARK: - What works

    /// `GET /dashboard/results?days=90`
    @Sendable func results(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let t = session.t
        let days = request.uri.queryParameters["days"].flatMap { Int(String($0)) }.map { min(max($0, 7), 730) } ?? 90
        let since = settings.clock.now().addingTimeInterval(-Double(days) * 86_400)
        let outcomes = try await store.reminderOutcomes(since: since)
        func rate(_ rate: Rate) -> [String: Any] {
            guard let value = rate.value, let interval = rate.interval else { return ["text": "—"] }
            return [
                "text": Dashboard.percent(value, t), "low": Dashboard.percent(interval.low, t),
                "high": Dashboard.percent(interval.high, t),
                "count": t("dash.results.count", String(rate.successes), String(rate.trials)), "few": !rate.isEnough,
            ]
        }
        var rows: [[String: Any]] = []
        for outcome in outcomes {
            let paid = Rate(outcome.paidWithin7Days, of: outcome.sent)
            let stageName = Dashboard.stageName(outcome.stage, t)
            rows.append([
                "stage": outcome.stage, "stage_name": stageName, "channel": outcome.channel, "variant": outcome.variant,
                "sent": outcome.sent, "delivered": rate(Rate(outcome.delivered, of: outcome.sent)),
                "clicked": rate(Rate(outcome.clicked, of: outcome.sent)), "paid": rate(paid),
                "median": outcome.medianHoursToPayment.map { Dashboard.duration($0, t) } ?? "—",
                "funnel": BarChart.funnel(
                    [
                        (t("dash.results.funnel.sent"), outcome.sent),
                        (t("dash.results.funnel.delivered"), outcome.delivered),
                        (t("dash.results.funnel.opened"), outcome.clicked),
                        (t("dash.results.funnel.paid"), outcome.paidWithin7Days),
                    ],
                    title: t("dash.results.funnel.title", "\(stageName) \(outcome.variant)")),
            ])
        }
        return views.page(
            "results",
            [
                "section": "results", "rows": rows, "empty": rows.isEmpty, "days": days,
                "verdicts": Dashboard.verdicts(outcomes, t), "enough": Rate.enoughTrials,
            ], session: session)
    }

    /// A rate as a whole percentage the person's language writes: `20%`, `20 %`.
    static func percent(_ value: Double, _ t: Words) -> String {
        t("dash.results.percent", String(format: "%.0f", value * 100))
    }

    /// A whole number of percent, written the same way.
    static func percent(whole: Int, _ t: Words) -> String { t("dash.results.percent", String(whole)) }

    /// `24 h`, or from two days on `2.0 days` (`2,0 jours`).
    static func duration(_ hours: Double, _ t: Words) -> String {
        guard hours >= 48 else { return t("dash.results.hours", String(format: "%.0f", hours)) }
        let days = String(format: "%.1f", hours / 24)
        return t("dash.results.days", t.language == .fr ? days.replacingOccurrences(of: ".", with: ",") : days)
    }

    /// Plain sentences on the A/B tests: which wording gets paid more often, or that it is too early to say.
    static func verdicts(_ outcomes: [ReminderOutcome], _ t: Words) -> [String] {
        var sentences: [String] = []
        let tested = Dictionary(grouping: outcomes.filter { !$0.variant.isEmpty }) { "\($0.stage)/\($0.channel)" }
        for (_, group) in tested.sorted(by: { $0.key < $1.key }) {
            guard let a = group.first(where: { $0.variant == "A" }), let b = group.first(where: { $0.variant == "B" })
            else { continue }
            let rateA = Rate(a.paidWithin7Days, of: a.sent)
            let rateB = Rate(b.paidWithin7Days, of: b.sent)
            guard rateA.isEnough, rateB.isEnough, let ia = rateA.interval, let ib = rateB.interval,
                let va = rateA.value, let vb = rateB.value
            else {
                sentences.append(
                    t(
                        "dash.results.verdict.too_few", stageName(a.stage, t), String(a.sent), String(b.sent),
                        String(Rate.enoughTrials)))
                continue
            }
            if ia.low > ib.high || ib.low > ia.high {
                let (winner, loser, vw, vl) = va > vb ? ("A", "B", va, vb) : ("B", "A", vb, va)
                sentences.append(
                    t(
                        "dash.results.verdict.winner", stageName(a.stage, t), winner, loser, percent(vw, t),
                        percent(vl, t)))
            } else {
                sentences.append(
                    t("dash.results.verdict.no_difference", stageName(a.stage, t), percent(va, t), percent(vb, t)))
            }
        }
        return sentences
    }
}

extension BarChart {
    /// A horizontal funnel: each step's bar as wide as its share of the first step.
    static func funnel(_ steps: [(String, Int)], title: String, width: Int = 360) -> String {
        let first = max(steps.first?.1 ?? 0, 1)
        let rowHeight = 22
        let labelWidth = 90
        let height = rowHeight * steps.count + 4
        var out = """
            <svg class="funnel" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(HTML.escaped(title))" \
            xmlns="http://www.w3.org/2000/svg"><title>\(HTML.escaped(title))</title>
            """
        for (index, step) in steps.enumerated() {
            let y = index * rowHeight + 2
            let barWidth = Int(Double(width - labelWidth - 40) * Double(step.1) / Double(first))
            out += "<text x=\"0\" y=\"\(y + 15)\" class=\"label\">\(HTML.escaped(step.0))</text>"
            out +=
                "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(max(barWidth, step.1 > 0 ? 2 : 0))\" height=\"14\" class=\"bar\"/>"
            out += "<text x=\"\(labelWidth + barWidth + 6)\" y=\"\(y + 15)\" class=\"value\">\(step.1)</text>"
        }
        return out + "</svg>"
    }
}
