import Foundation
import Hummingbird
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceStore

/// "Pay by card": a Stripe Checkout Session for the balance, then Stripe's hosted page. The payment
/// itself is recorded when Stripe's signed webhook says so, never from the customer's return.
extension CustomerPages {
    /// `POST /p/{token}/checkout`
    @Sendable func checkout(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let stripe = settings.stripeCheckout else { throw HTTPError(.notFound) }
        let acceptance = try await acceptForm(request, context: context, purpose: "checkout")
        guard case .accepted(let target, let fields) = acceptance else { return acceptance.response }
        let invoice = target.invoice(number: fields["invoice"])
        // On a payment plan the card pays the next instalment (what is left of it), not the whole balance.
        var amount = invoice.balance
        if let plan = try store.planNow(invoiceID: invoice.invoiceID), plan.status == .active {
            amount = plan.payable(balance: invoice.balance)
        }
        let order = StripeCheckout.Order(
            invoiceID: invoice.invoiceID, invoiceNumber: invoice.number, amount: amount,
            successURL: settings.urls.cardPaid(token: target.token),
            cancelURL: settings.urls.invoicePage(token: target.token),
            locale: target.language.rawValue)
        do {
            let url = try await stripe.createSession(order, now: settings.clock.now())
            logger.info("card checkout started", metadata: ["invoice": "\(invoice.invoiceID)"])
            return Response(status: .seeOther, headers: [.location: url])
        } catch {
            // The customer sees a calm page and the way back to the other ways to pay; the operator sees why.
            logger.error("Stripe Checkout failed", metadata: ["invoice": "\(invoice.invoiceID)", "error": "\(error)"])
            var values = baseValues(target.business)
            values[.heading] = library.phrase("card_unavailable_heading", target.language)
            values[.text] = library.phrase("card_unavailable_text", target.language)
            values[.back_href] = PublicURLs.Page.invoice.path(target.token)
            return page("request-sent", target.language, values, status: .serviceUnavailable)
        }
    }

    /// `GET /p/{token}/paid` — where Stripe sends the customer back after paying.
    @Sendable func cardThanks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let resolution = try await resolveTarget(request, context: context)
        guard case .target(let target) = resolution else { return resolution.response }
        var values = baseValues(target.business)
        values[.heading] = library.phrase("card_thanks_heading", target.language)
        values[.text] = library.phrase("card_thanks_text", target.language)
        values[.back_href] = PublicURLs.Page.invoice.path(target.token)
        return page("request-sent", target.language, values, status: .ok)
    }
}
