import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// `/api/v1/business`: the profile customers see, with the dashboard's rules (`BusinessProfile`) and its
/// all-or-nothing save.
extension API {
    func addBusinessRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("business", use: getBusiness)
        api.put("business", use: putBusiness)
    }

    /// The profile as JSON; every field is present, `null` when unset (and may be left out of a `PUT`).
    struct BusinessResource: Codable, Sendable {
        @ExplicitNull var name: String?
        @ExplicitNull var phone: String?
        @ExplicitNull var email: String?
        @ExplicitNull var address: String?
        @ExplicitNull var legal: String?
        @ExplicitNull var payment_url: String?
        @ExplicitNull var bank_beneficiary: String?
        @ExplicitNull var bank_iban: String?
        @ExplicitNull var bank_bic: String?
        @ExplicitNull var default_locale: String?
        @ExplicitNull var time_zone: String?
        @ExplicitNull var link_lifetime_days: Int?

        init(_ business: Business) {
            name = business.name
            phone = business.phone
            email = business.email
            address = business.address
            legal = business.legal
            payment_url = business.paymentURL
            bank_beneficiary = business.bankBeneficiary
            bank_iban = business.bankIBAN
            bank_bic = business.bankBIC
            default_locale = business.defaultLocale
            time_zone = business.timeZone
            link_lifetime_days = business.linkLifetimeDays
        }
    }

    /// `GET /api/v1/business`
    @Sendable func getBusiness(_ request: Request, context: AppRequestContext) async throws -> Response {
        try json(BusinessResource(try await store.business()), status: .ok)
    }

    /// `PUT /api/v1/business` — the whole profile: a field left out or `null` is cleared; `name`,
    /// `default_locale`, `time_zone` and `link_lifetime_days` are required. Saved whole or not at all.
    @Sendable func putBusiness(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decode(BusinessResource.self, request, context)
        var draft = BusinessProfile.Draft()
        draft.name = body.name
        draft.phone = body.phone
        draft.email = body.email
        draft.address = body.address
        draft.legal = body.legal
        draft.paymentURL = body.payment_url
        draft.bankBeneficiary = body.bank_beneficiary
        draft.bankIBAN = body.bank_iban
        draft.bankBIC = body.bank_bic
        draft.defaultLocale = body.default_locale
        draft.timeZone = body.time_zone
        draft.linkLifetimeDays = body.link_lifetime_days
        let business: Business
        do {
            business = try await SettingsService(storage: store, clock: settings.clock).updateProfile(
                draft, audit: audit(request, context))
        } catch let problems as BusinessProfile.Problems {
            throw Problem.validation(problems.list.map { .init(field: $0.field.rawValue, message: $0.message) })
        }
        return try json(BusinessResource(business), status: .ok)
    }
}
