import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// The unsubscribe link of every email reminder (`List-Unsubscribe`). GET only asks, since mail
/// scanners open links; POST stops email reminders, whether a person presses the button or a mail
/// client sends RFC 8058's one-click `List-Unsubscribe=One-Click`. The signed token is the only
/// authority and can do nothing but this, so the form carries no CSRF token: a mail client's
/// one-click POST could not send one, and a forged request would already need the secret token.
extension CustomerPages {
    /// `GET /u/{token}`
    @Sendable func unsubscribePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answerUnsubscribe(request, context: context, confirm: false)
    }

    /// `POST /u/{token}`
    @Sendable func unsubscribe(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answerUnsubscribe(request, context: context, confirm: true)
    }

    private func answerUnsubscribe(_ request: Request, context: AppRequestContext, confirm: Bool) async throws
        -> Response
    {
        let now = settings.clock.now()
        let token = context.parameters.get(PublicURLs.tokenParameter) ?? ""
        let business = try await store.business()
        let acceptLanguage = request.headers[.acceptLanguage]
        let fallback = Language(locale: business.defaultLocale) ?? .fr
        guard let customerID = settings.keyring.verifyUnsubscribe(token),
            let consent = try await store.emailConsent(customerID: customerID)
        else {
            let client = context.rateKey(request, trustForwardedFor: settings.trustForwardedFor)
            let status: HTTPResponse.Status = missLimiter.allow(client, now: now) ? .notFound : .tooManyRequests
            let language = Language.resolve(customerLocale: nil, acceptLanguage: acceptLanguage, fallback: fallback)
            return messagePage(
                "unsubscribe", business, language, heading: "unsubscribe_unknown_heading",
                text: "unsubscribe_unknown_text", status: status)
        }
        let language = Language.resolve(
            customerLocale: consent.locale, acceptLanguage: acceptLanguage, fallback: fallback)
        if confirm {
            if try await store.optOutOfEmail(customerID: customerID, now: now) {
                logger.notice("customer unsubscribed from email reminders", metadata: ["customer": "\(customerID)"])
            }
        } else if !consent.optedOut {
            var values = baseValues(business)
            values[.heading] = library.phrase("unsubscribe_heading", language)
            values[.text] = library.phrase("unsubscribe_text", language)
            values[.form_action] = PublicURLs.Page.unsubscribe.path(token)
            return page("unsubscribe", language, values, status: .ok)
        }
        return messagePage(
            "unsubscribe", business, language, heading: "unsubscribed_heading", text: "unsubscribed_text", status: .ok)
    }
}
