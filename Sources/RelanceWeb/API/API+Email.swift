import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// The email wording of each stage: a subject and a text, from which the HTML part is made.
extension API {
    func addEmailRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("email-templates", use: listEmailTemplates)
    }

    struct EmailTemplateResource: Encodable, Sendable {
        var stage: String
        var channel = "email"
        var locale: String
        var combined: Bool
        var subject: String
        var body: String
        /// Subject and text rendered with realistic values, as a customer would receive them.
        var preview_subject: String
        var preview_text: String
        var warnings: [String]
    }

    struct EmailTemplateBody: Decodable {
        var subject: String?
        var body: String?
        var combined: Bool?
    }

    /// `GET /api/v1/email-templates` — every stage's email wording per language, single and combined.
    @Sendable func listEmailTemplates(_ request: Request, context: AppRequestContext) async throws -> Response {
        let policy = try await store.policy()
        let business = try await store.business()
        var resources: [EmailTemplateResource] = []
        for stage in policy.stages {
            for language in Language.allCases {
                for combined in [false, true] {
                    let template = try await store.emailTemplate(
                        stage: stage.key, language: language, combined: combined)
                    resources.append(
                        emailResource(template, stage: stage.key, language: language, combined: combined, business))
                }
            }
        }
        return try json(["data": resources], status: .ok)
    }

    /// `PUT /api/v1/templates/{stage}/email/{locale}` — `{subject, body, combined}`.
    func putEmailTemplate(stage: String, language: Language, _ request: Request, context: AppRequestContext)
        async throws -> Response
    {
        let policy = try await store.policy()
        guard policy.stages.contains(where: { $0.key == stage }) else { throw Problem.notFound("stage '\(stage)'") }
        let body = try await decode(EmailTemplateBody.self, request, context)
        let subject = (body.subject ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let text = body.body ?? ""
        let checked = (subject: TemplateRules.subject(subject), body: TemplateRules.body(text))
        switch checked.subject {
        case .success, .failure(.syntax): break
        case .failure(.empty): throw Problem.field("subject", "is required")
        case .failure:
            throw Problem.field(
                "subject",
                "must be one line of at most \(TemplateRules.maximumSubjectCharacters) characters, without control characters"
            )
        }
        if case .failure(let problem) = checked.body, !problem.isSyntax { throw API.templateBodyProblem(problem) }
        let template: EmailTemplate
        switch checked {
        case (.success(let subject), .success(let body)): template = EmailTemplate(subject: subject, body: body)
        case (.failure(.syntax(let problem)), _), (_, .failure(.syntax(let problem))):
            throw Problem.field("body", "subject or body: \(problem)")
        default: throw Problem.field("subject", "is not a valid template")  // the others are worded above
        }
        let combined = body.combined ?? false
        try await store.saveEmailTemplate(
            stage: stage, language: language, combined: combined, subject: subject, body: text,
            now: settings.clock.now(), audit: audit(request, context, detail: "\(stage) email \(language.rawValue)"))
        return try json(
            emailResource(template, stage: stage, language: language, combined: combined, try await store.business()),
            status: .ok)
    }

    func emailResource(
        _ template: EmailTemplate, stage: String, language: Language, combined: Bool, _ business: Business
    ) -> EmailTemplateResource {
        let values = TemplateCheck.emailSampleValues(language: language, business: business, settings: settings)
        var warnings: [String] = []
        if !template.body.variables.contains(.link) {
            warnings.append("no {{link}}: the customer cannot pay from the email")
        }
        return EmailTemplateResource(
            stage: stage, locale: language.rawValue, combined: combined, subject: template.subject.source,
            body: template.body.source, preview_subject: template.subject.render(values),
            preview_text: template.body.render(values), warnings: warnings)
    }
}
