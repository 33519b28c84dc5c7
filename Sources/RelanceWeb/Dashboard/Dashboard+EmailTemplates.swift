import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// The email wording of each stage: a subject and a text (the HTML part is made from the text).
extension Dashboard {
    /// One row per stage, language and kind, for the templates page.
    func emailRows(_ t: Words) async throws -> [[String: Any]] {
        let business = try await store.business()
        var rows: [[String: Any]] = []
        for stage in try await store.policy().stages {
            for combined in [false, true] {
                for language in Language.allCases {
                    let template = try await store.emailTemplate(
                        stage: stage.key, language: language, combined: combined)
                    let values = TemplateCheck.emailSampleValues(
                        language: language, business: business, settings: settings)
                    rows.append([
                        "stage": stage.key, "stage_name": Dashboard.stageName(stage.key, t),
                        "language": language.rawValue, "kind": Dashboard.wordingKind(combined, t),
                        "subject": template.subject.render(values), "sent": stage.channels.contains(.email),
                        "link": TemplateTarget(
                            channel: .email, stage: stage.key, language: language, combined: combined
                        ).path,
                    ])
                }
            }
        }
        return rows
    }

    /// `GET /dashboard/email-templates/{stage}/{locale}?combined=0|1`
    @Sendable func editEmailTemplate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let target = try await templateTarget(request, context, channel: .email, combinedField: nil)
        let template = try await store.emailTemplate(
            stage: target.stage, language: target.language, combined: target.combined)
        return try await emailTemplatePage(
            target, session: session, subject: template.subject.source, body: template.body.source, errors: [],
            notice: request.uri.queryParameters["notice"].map(String.init), status: .ok)
    }

    /// `POST /dashboard/email-templates/{stage}/{locale}` — `subject`, `body`, `action` = `preview` or `save`.
    @Sendable func saveEmailTemplate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let target = try await templateTarget(request, context, channel: .email, combinedField: fields["combined"])
        let t = session.t
        let subject = (fields["subject"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let body = (fields["body"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        var errors: [String] = []
        // A template's own problems are in English (RelanceCore).
        switch TemplateRules.subject(subject) {
        case .success: break
        case .failure(.empty): errors.append(t("dash.email_template.error.subject_empty"))
        case .failure(.syntax(let problem)): errors.append(t("dash.email_template.error.subject", problem))
        case .failure:
            errors.append(
                t("dash.email_template.error.subject_line", String(TemplateRules.maximumSubjectCharacters)))
        }
        switch TemplateRules.body(body) {
        case .success: break
        case .failure(.empty): errors.append(t("dash.email_template.error.text_empty"))
        case .failure(.tooLong): errors.append(t("dash.email_template.error.text_long"))
        case .failure(.controlCharacters), .failure(.lineBreak):
            errors.append(t("dash.email_template.error.text_control"))
        case .failure(.syntax(let problem)): errors.append(t("dash.email_template.error.text", problem))
        }
        if fields["action"] == "save" { try requireOwner(session) }
        if fields["action"] == "save", errors.isEmpty {
            let now = settings.clock.now()
            try await store.saveEmailTemplate(
                stage: target.stage, language: target.language, combined: target.combined, subject: subject,
                body: body, now: now,
                audit: session.audit(
                    "email_template.saved", detail: "\(target.stage) \(target.language.rawValue)", at: now))
            return redirect(target.path, notice: t("dash.email_template.saved"))
        }
        return try await emailTemplatePage(
            target, session: session, subject: subject, body: body, errors: errors, notice: nil,
            status: errors.isEmpty ? .ok : .unprocessableContent)
    }

    func emailTemplatePage(
        _ target: TemplateTarget, session: DashboardContext, subject: String, body: String, errors: [String],
        notice: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let t = session.t
        let business = try await store.business()
        var values = templatePageValues(
            target, t, errors: errors, notice: notice, adding: ["subject": subject, "body": body])
        // Only wording that parses is shown as the customer will read it.
        if let subjectTemplate = try? MessageTemplate(subject), let bodyTemplate = try? MessageTemplate(body) {
            let sample = TemplateCheck.emailSampleValues(
                language: target.language, business: business, settings: settings)
            values["preview"] =
                [
                    "subject": subjectTemplate.render(sample), "text": bodyTemplate.render(sample),
                    "no_link": !bodyTemplate.variables.contains(.link),
                    "no_link_text": t("dash.email_template.no_link"),
                ] as [String: Any]
        }
        return views.page("email-template", values, session: session, status: status)
    }
}
