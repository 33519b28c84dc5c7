import Foundation
import HTTPTypes
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// `POST /webhooks/stripe`: a card payment Stripe confirms. Verified with `Stripe-Signature`, then
/// recorded once per PaymentIntent whatever the retries and the order of events: the intent's id is
/// the payment's reference, and an invoice never has the same reference twice.
extension Webhooks {
    static let stripeBodyLimit = 256 * 1024

    /// The fields of the two events that mean "paid", as Stripe documents them.
    struct StripeEvent: Decodable {
        struct DataField: Decodable { var object: StripeObject }
        struct StripeObject: Decodable {
            var object: String?
            var id: String?
            /// Checkout Session: `paid` once the money is captured.
            var payment_status: String?
            var payment_intent: String?
            var amount_total: Int64?
            /// PaymentIntent.
            var amount_received: Int64?
            var currency: String?
            var metadata: [String: String]?
            var client_reference_id: String?
        }
        var id: String?
        var type: String?
        var data: DataField?
    }

    @Sendable func stripe(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let secret = settings.stripeWebhookSecret else { return Webhooks.refuse(.notFound, "not configured") }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Webhooks.stripeBodyLimit)
        } catch {
            return Webhooks.refuse(.contentTooLarge, "body too large")
        }
        let payload = Array(body.readableBytesView)
        let verdict = StripeSignature.verify(
            header: request.headers[.stripeSignature], payload: payload, secret: secret, now: settings.clock.now())
        guard verdict == .valid else {
            logger.warning("refused a Stripe event", metadata: ["reason": "\(verdict)"])
            return Webhooks.refuse(.forbidden, "bad signature")
        }
        guard let event = try? JSONDecoder().decode(StripeEvent.self, from: Data(payload)), let type = event.type,
            let object = event.data?.object
        else { return Webhooks.refuse(.badRequest, "not a Stripe event") }

        // Which payment, how much, for which invoice. Anything else is acknowledged and ignored, so Stripe
        // does not retry it for days.
        let amount: Int64?
        let reference: String?
        switch type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            guard object.payment_status == "paid" else { return acknowledge(event, "not paid yet") }
            amount = object.amount_total
            reference = object.payment_intent ?? object.id
        case "payment_intent.succeeded":
            amount = object.amount_received
            reference = object.id
        default:
            return acknowledge(event, "ignored type")
        }
        let invoiceRef = object.metadata?["invoice_id"] ?? object.client_reference_id
        guard let amount, amount > 0, let reference, let invoiceID = invoiceRef.flatMap({ Int64($0) }) else {
            return acknowledge(event, "no invoice_id, amount or payment reference")
        }
        // No card payment is larger than any amount Relance accepts; past it, sums could overflow.
        guard amount <= Money.maximumMinorUnits else { return acknowledge(event, "amount beyond any invoice") }
        let invoice: InvoiceSummary
        do {
            invoice = try await store.invoice(id: invoiceID)
        } catch StoreError.notFound {
            return acknowledge(event, "unknown invoice")
        }
        guard object.currency?.uppercased() == invoice.amount.currency.code else {
            logger.error(
                "Stripe payment in another currency than its invoice: not recorded",
                metadata: ["event": "\(event.id ?? "?")", "invoice": "\(invoiceID)"])
            return acknowledge(event, "currency mismatch")
        }
        let now = settings.clock.now()
        do {
            // The money is in: record it even if it is more than the balance, and say so in the history.
            _ = try await PaymentService(storage: store, clock: .fixed(now)).record(
                NewPayment(
                    amount: amount, method: .card, reference: reference, receivedAt: now, allowOverpayment: true),
                invoiceID: invoiceID, audit: nil)
            logger.info("card payment recorded", metadata: ["invoice": "\(invoiceID)", "event": "\(event.id ?? "?")"])
        } catch StoreError.duplicatePaymentReference {
            return acknowledge(event, "already recorded")
        } catch StoreError.invoiceVoided {
            logger.error("Stripe payment for a void invoice: not recorded", metadata: ["invoice": "\(invoiceID)"])
            return acknowledge(event, "invoice void")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "recorded\n")))
    }

    func acknowledge(_ event: StripeEvent, _ reason: String) -> Response {
        logger.info("Stripe event acknowledged", metadata: ["event": "\(event.id ?? "?")", "reason": "\(reason)"])
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
    }
}

extension HTTPField.Name {
    static let stripeSignature = HTTPField.Name("Stripe-Signature")!
}
