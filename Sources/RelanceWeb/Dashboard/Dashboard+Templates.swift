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
        return policy.stages.flatMap { [($0.key, false), ($0.key, true)] } + API.planWordings.map { ($0, false) }
    }

    /// `GET /dashboard/templates`
    @Sendable func templates(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let business = try await store.business()
        var rows: [[String: Any]] = []
        for (stage, combined) in try await wordings() {
            for language in Language.allCases {
                let template = try await store.messageTemplate(
                    stage: stage, channel: .sms, language: language, combined: combined)
                let check = TemplateCheck(template, language: language, business: business, settings: settings)
                let variant = try await store.variant(stage: stage, language: language, combined: combined)
                rows.append([
                    "stage": stage, "language": language.rawValue,
                    "kind": combined ? "several invoices" : "one invoice",
                    "preview": check.analysis.text, "segments": check.analysis.segments,
                    "encoding": check.analysis.encoding == .gsm7 ? "GSM-7" : "UCS-2",
                    "warn": !check.warnings.isEmpty, "variant_share": variant.map { "B to \($0.share)%" } ?? "",
                    "link": "/dashboard/templates/\(stage)/\(language.rawValue)?combined=\(combined ? 1 : 0)",
                ])
            }
        }
        let stages = try await store.policy().stages.enumerated().map { index, stage -> [String: Any] in
            [
                "index": index, "key": stage.key, "offset": stage.offsetDays,
                "repeat": stage.repeatEveryDays.map(String.init) ?? "", "enabled": stage.enabled,
                "sms": stage.channels.contains(.sms), "email": stage.channels.contains(.email),
            ]
        }
        let changes = try await wordingChanges()
        return views.page(
            "templates",
            [
                "section": "templates", "rows": rows, "stages": stages, "email_rows": try await emailRows(),
                "email_status": settings.emailConfigured ? "set up" : "not set up, so email stages are skipped",
                "notice": request.uri.queryParameters["notice"].map(String.init) ?? "",
                "changes": changes, "has_changes": !changes.isEmpty,
            ], session: session)
    }

    /// The latest changes to stages and wording, who made them and when, in the business's time.
    func wordingChanges() async throws -> [[String: Any]] {
        let zone = try await businessZone()
        return try await store.wordingChanges(limit: 20).map { change in
            [
                "at": Dashboard.localTime(change.at, zone), "who": change.who, "what": change.what,
                "detail": change.detail ?? "",
            ]
        }
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
        let current = try await store.policy()
        var stages: [ReminderStage] = []
        var errors: [String] = []
        for (index, stage) in current.stages.enumerated() {
            guard let offset = Int(fields["offset_\(index)"] ?? ""), (-365...365).contains(offset) else {
                errors.append("\(stage.key): days from the due date, from -365 to 365")
                continue
            }
            var repeatEvery: Int?
            let rawRepeat = (fields["repeat_\(index)"] ?? "").trimmingCharacters(in: .whitespaces)
            if !rawRepeat.isEmpty {
                guard let value = Int(rawRepeat), (1...90).contains(value) else {
                    errors.append("\(stage.key): repeat every 1 to 90 days, or leave empty")
                    continue
                }
                repeatEvery = value
            }
            var channels: [Channel] = []
            if fields["sms_\(index)"] == "on" { channels.append(.sms) }
            if fields["email_\(index)"] == "on" { channels.append(.email) }
            if channels.isEmpty { errors.append("\(stage.key): at least one channel") }
            stages.append(
                ReminderStage(
                    key: stage.key, offsetDays: offset, repeatEveryDays: repeatEvery,
                    enabled: fields["enabled_\(index)"] == "on", channels: channels))
        }
        guard errors.isEmpty else {
            return redirect("/dashboard/templates", notice: "Not saved: " + errors.joined(separator: "; "))
        }
        do {
            let policy = try ReminderPolicy(stages: stages)
            let now = settings.clock.now()
            try await store.savePolicy(policy, now: now, audit: session.audit("policy.saved", at: now))
            return redirect(
                "/dashboard/templates", notice: "Stages saved; open invoices are planned again at the next tick.")
        } catch let problem as ReminderPolicy.Problem {
            return redirect("/dashboard/templates", notice: "Not saved: \(problem.description)")
        }
    }

    struct TemplateTarget {
        var stage: String
        var language: Language
        var combined: Bool
        var path: String { "/dashboard/templates/\(stage)/\(language.rawValue)?combined=\(combined ? 1 : 0)" }
    }

    func templateTarget(_ request: Request, _ context: AppRequestContext, combinedField: String?) async throws
        -> TemplateTarget
    {
        let stage = context.parameters.get("stage") ?? ""
        guard let language = Language(rawValue: context.parameters.get("locale") ?? "") else {
            throw HTTPError(.notFound)
        }
        let combined = (combinedField ?? request.uri.queryParameters["combined"].map(String.init)) == "1"
        guard try await wordings().contains(where: { $0.stage == stage && $0.combined == combined }) else {
            throw HTTPError(.notFound)
        }
        return TemplateTarget(stage: stage, language: language, combined: combined)
    }

    /// `GET /dashboard/templates/{stage}/{locale}?combined=0|1`
    @Sendable func editTemplate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let target = try await templateTarget(request, context, combinedField: nil)
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
        let target = try await templateTarget(request, context, combinedField: fields["combined"])
        let body = (fields["body"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let variantBody = (fields["variant_body"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let share = Int(fields["share"] ?? "") ?? 50
        let action = fields["action"] ?? "preview"
        // What customers are told is the owner's to change; anyone may preview.
        if action != "preview" { try requireOwner(session) }
        let now = settings.clock.now()
        let business = try await store.business()
        var errors: [String] = []
        func problems(_ text: String, _ name: String) -> [String] {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                return ["\(name): write a text"]
            }
            guard text.unicodeScalars.count <= 2000 else { return ["\(name): at most 2,000 characters"] }
            guard !PlainText.hasControlCharacters(text, allowingLineBreaks: true) else {
                return ["\(name): no control characters (only line breaks)"]
            }
            do {
                let template = try MessageTemplate(text)
                let segments = TemplateCheck(
                    template, language: target.language, business: business, settings: settings
                )
                .analysis.segments
                if segments > API.maximumTemplateSegments {
                    return [
                        "\(name): \(segments) segments with realistic values; at most \(API.maximumTemplateSegments)"
                    ]
                }
                return []
            } catch {
                return ["\(name): \(error.description)"]
            }
        }
        switch action {
        case "save":
            errors = problems(body, "Wording")
            if errors.isEmpty {
                try await store.saveTemplate(
                    stage: target.stage, channel: .sms, language: target.language, combined: target.combined,
                    body: body, now: now,
                    audit: session.audit(
                        "template.saved", detail: "\(target.stage) \(target.language.rawValue)", at: now))
                return redirect(target.path, notice: "Saved.")
            }
        case "save_variant":
            errors = problems(variantBody, "Variant B")
            if !(1...99).contains(share) { errors.append("Share: from 1 to 99 percent") }
            if errors.isEmpty {
                try await store.saveVariant(
                    TemplateVariant(
                        stage: target.stage, language: target.language, combined: target.combined, body: variantBody,
                        share: share), now: now,
                    audit: session.audit(
                        "template.variant_saved", detail: "\(target.stage) \(target.language.rawValue): B to \(share)%",
                        at: now))
                return redirect(target.path, notice: "Variant B saved: \(share)% of customers get it from now on.")
            }
        case "stop_variant":
            try await store.deleteVariant(
                stage: target.stage, language: target.language, combined: target.combined,
                audit: session.audit(
                    "template.variant_stopped", detail: "\(target.stage) \(target.language.rawValue)", at: now))
            return redirect(target.path, notice: "Test stopped: every customer gets wording A.")
        default:
            errors = problems(body, "Wording") + (variantBody.isEmpty ? [] : problems(variantBody, "Variant B"))
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
                "per_segment": check.analysis.unitsPerSegment, "warnings": check.warnings,
                "one_segment": check.analysis.segments == 1,
            ]
            if let sample {
                let link = settings.linkURL(token: String(repeating: "x", count: SignedLink.tokenLength))
                let real = template.render([
                    .customer_name: sample.customerName, .business_name: business.name,
                    .amount: Format.amount(sample.balance, target.language),
                    .total: Format.amount(sample.balance, target.language),
                    .invoice_number: sample.number, .invoice_count: "2",
                    .due_date: Format.shortDate(sample.dueOn, target.language), .link: link,
                    .business_phone: business.phone ?? "",
                ])
                let analysis = SMSText.analyze(real)
                values["real"] =
                    [
                        "number": sample.number, "text": analysis.text, "segments": analysis.segments,
                        "encoding": analysis.encoding == .gsm7 ? "GSM-7" : "UCS-2",
                    ] as [String: Any]
            }
            return values
        }
        var values: [String: Any] = [
            "section": "templates", "stage": target.stage, "language": target.language.rawValue,
            "combined": target.combined ? "1" : "0", "kind": target.combined ? "several invoices" : "one invoice",
            "body": body, "variant_body": variantBody, "share": share, "has_variant": hasVariant,
            "errors": errors, "has_errors": !errors.isEmpty, "notice": notice ?? "",
            "action": "/dashboard/templates/\(target.stage)/\(target.language.rawValue)",
            "variables": MessageVariable.allCases.map { "{{\($0.rawValue)}}" }.joined(separator: " "),
        ]
        // Only texts that parse are measured; the errors say what is wrong with the others.
        if let measured = measure(body) { values["a"] = measured }
        if !variantBody.isEmpty, let measured = measure(variantBody) { values["b"] = measured }
        return views.page("template", values, session: session, status: status)
    }

    // MARK: - What works

    /// `GET /dashboard/results?days=90`
    @Sendable func results(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let days = request.uri.queryParameters["days"].flatMap { Int(String($0)) }.map { min(max($0, 7), 730) } ?? 90
        let since = settings.clock.now().addingTimeInterval(-Double(days) * 86_400)
        let outcomes = try await store.reminderOutcomes(since: since)
        func rate(_ rate: Rate) -> [String: Any] {
            guard let value = rate.value, let interval = rate.interval else { return ["text": "—"] }
            return [
                "text": Dashboard.percent(value), "low": Dashboard.percent(interval.low),
                "high": Dashboard.percent(interval.high), "count": "\(rate.successes) of \(rate.trials)",
                "few": !rate.isEnough,
            ]
        }
        var rows: [[String: Any]] = []
        for outcome in outcomes {
            let paid = Rate(outcome.paidWithin7Days, of: outcome.sent)
            rows.append([
                "stage": outcome.stage, "channel": outcome.channel, "variant": outcome.variant,
                "sent": outcome.sent, "delivered": rate(Rate(outcome.delivered, of: outcome.sent)),
                "clicked": rate(Rate(outcome.clicked, of: outcome.sent)), "paid": rate(paid),
                "median": outcome.medianHoursToPayment.map(Dashboard.duration) ?? "—",
                "funnel": BarChart.funnel(
                    [
                        ("sent", outcome.sent), ("delivered", outcome.delivered), ("opened", outcome.clicked),
                        ("paid in 7 d", outcome.paidWithin7Days),
                    ],
                    title: "\(outcome.stage) \(outcome.variant): from sent to paid"),
            ])
        }
        return views.page(
            "results",
            [
                "section": "results", "rows": rows, "empty": rows.isEmpty, "days": days,
                "verdicts": Dashboard.verdicts(outcomes), "enough": Rate.enoughTrials,
            ], session: session)
    }

    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }

    static func duration(_ hours: Double) -> String {
        hours < 48 ? String(format: "%.0f h", hours) : String(format: "%.1f days", hours / 24)
    }

    /// Plain sentences on the A/B tests: which wording gets paid more often, or that it is too early to say.
    static func verdicts(_ outcomes: [ReminderOutcome]) -> [String] {
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
                    "\(a.stage): too few messages to compare A and B yet (\(a.sent) and \(b.sent) sent; "
                        + "\(Rate.enoughTrials) of each are needed).")
                continue
            }
            if ia.low > ib.high || ib.low > ia.high {
                let (winner, loser, vw, vl) = va > vb ? ("A", "B", va, vb) : ("B", "A", vb, va)
                sentences.append(
                    "\(a.stage): \(winner) gets paid within 7 days more often than \(loser) "
                        + "(\(percent(vw)) against \(percent(vl))), and the 95% intervals do not overlap.")
            } else {
                sentences.append(
                    "\(a.stage): no clear difference between A (\(percent(va))) and B (\(percent(vb))) yet; "
                        + "their 95% intervals overlap.")
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
