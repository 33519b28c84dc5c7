import AsyncHTTPClient
import Foundation
import NIOCore
import RelanceCore

/// Creates Stripe Checkout Sessions (`POST /v1/checkout/sessions`, form-encoded, as Stripe documents it)
/// so a customer can pay an invoice's balance by card on Stripe's hosted page.
public struct StripeCheckout: Sendable {
    public var secretKey: String
    /// `https://api.stripe.com` in production; a local stand-in in tests.
    public var apiBaseURL: String
    let client: HTTPClient
    /// For the whole exchange, the answer's body included.
    let timeout: Duration

    public init(
        secretKey: String, apiBaseURL: String = "https://api.stripe.com", client: HTTPClient = .shared,
        timeout: Duration = .seconds(10)
    ) {
        self.secretKey = secretKey
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.client = client
        self.timeout = timeout
    }

    /// What to charge and where to come back.
    public struct Order: Sendable {
        public var invoiceID: Int64
        public var invoiceNumber: String
        public var amount: Money
        public var successURL: String
        public var cancelURL: String
        public var locale: String

        public init(
            invoiceID: Int64, invoiceNumber: String, amount: Money, successURL: String, cancelURL: String,
            locale: String
        ) {
            self.invoiceID = invoiceID
            self.invoiceNumber = invoiceNumber
            self.amount = amount
            self.successURL = successURL
            self.cancelURL = cancelURL
            self.locale = locale
        }
    }

    public enum Failure: Error, Equatable, Sendable {
        case refused(String)
        case unreachable(String)
    }

    /// The form Stripe is sent. The invoice id rides in the session's and the PaymentIntent's metadata, so
    /// whichever event arrives first (`/webhooks/stripe`) knows which invoice was paid.
    func formBody(_ order: Order) -> String {
        let fields: [(String, String)] = [
            ("mode", "payment"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", order.amount.currency.code.lowercased()),
            ("line_items[0][price_data][unit_amount]", String(order.amount.minorUnits)),
            ("line_items[0][price_data][product_data][name]", order.invoiceNumber),
            ("success_url", order.successURL),
            ("cancel_url", order.cancelURL),
            ("client_reference_id", String(order.invoiceID)),
            ("metadata[invoice_id]", String(order.invoiceID)),
            ("payment_intent_data[metadata][invoice_id]", String(order.invoiceID)),
            ("locale", order.locale),
        ]
        return FormEncoding.encode(fields: fields)
    }

    /// The hosted page's URL for this order. One session per invoice, balance and hour: a double tap
    /// reuses it (Stripe's `Idempotency-Key`).
    public func createSession(_ order: Order, now: Date) async throws(Failure) -> String {
        var request = HTTPClientRequest(url: "\(apiBaseURL)/v1/checkout/sessions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secretKey)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let hour = Int(now.timeIntervalSince1970 / 3600)
        request.headers.add(
            name: "Idempotency-Key", value: "relance-\(order.invoiceID)-\(order.amount.minorUnits)-\(hour)")
        request.body = .bytes(ByteBuffer(string: formBody(order)))
        let status: Int
        let json: [String: Any]
        do {
            let answer = try await OutboundHTTP.exchange(
                request, client: client, deadline: timeout, bodyLimit: 256 * 1024)
            status = answer.status
            json = answer.jsonObject
        } catch {
            throw .unreachable(OutboundHTTP.category(of: error))
        }
        if (200..<300).contains(status), let url = json["url"] as? String, url.hasPrefix("https://") {
            return url
        }
        let message = (json["error"] as? [String: Any])?["message"] as? String ?? "no session URL"
        throw .refused("Stripe \(status): \(message)")
    }
}
