import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceStore

/// What the web layer needs to know about its surroundings; nothing more.
public struct WebSettings: Sendable {
    /// Every public address customers are given, from the origin the links are printed with.
    public var urls: PublicURLs
    /// The public origin, e.g. `https://pay.example.com` (no trailing slash).
    public var baseURL: String { urls.base }
    public var keyring: LinkKeyring
    /// Instance secret; the IP-hash salt and the form-token key are derived from it.
    public var instanceSecret: [UInt8]
    /// Read the client address from `X-Forwarded-For` (only behind a proxy you run).
    public var trustForwardedFor: Bool
    public var clock: Clock
    /// Where `templates/` and `Public/` are.
    public var resourcesDirectory: URL
    /// The shared secret Kannel's sms-service sends with replies; nil turns the inbound route off.
    public var kannelInboundSecret: String?
    /// Twilio's auth token, to check `X-Twilio-Signature`; nil turns the Twilio routes off.
    public var twilioAuthToken: String?
    /// The Stripe endpoint's signing secret (`whsec_…`); nil turns `/webhooks/stripe` off.
    public var stripeWebhookSecret: String?
    /// Stripe Checkout, when a secret key is set: "pay by card" on invoice pages.
    public var stripeCheckout: StripeCheckout?
    /// Webhook endpoints may be plain `http://` anywhere (`RELANCE_WEBHOOKS_ALLOW_HTTP=1`); otherwise
    /// only `https://`, or `http://` on this machine when private receivers are allowed.
    public var webhooksAllowHTTP = false
    /// Webhook endpoints may be on loopback or private networks (`RELANCE_WEBHOOKS_ALLOW_PRIVATE=1`).
    public var webhooksAllowPrivate = false
    /// Whether email reminders go anywhere (an SMTP server, or the demo's console); shown on the dashboard.
    public var emailConfigured = false
    /// The metrics in Prometheus's text format, when a backend is set up.
    public var metricsText: (@Sendable () -> [UInt8])?
    /// `/metrics` on the public listener answers only with `Authorization: Bearer` this
    /// (`RELANCE_METRICS_TOKEN`); without one it is not there (a loopback listener may serve it).
    public var metricsToken: String?

    public init(
        baseURL: String, keyring: LinkKeyring, instanceSecret: [UInt8], trustForwardedFor: Bool = false,
        clock: Clock = .system, resourcesDirectory: URL, kannelInboundSecret: String? = nil,
        stripeWebhookSecret: String? = nil, twilioAuthToken: String? = nil
    ) {
        self.twilioAuthToken = twilioAuthToken.flatMap { $0.isEmpty ? nil : $0 }
        self.stripeWebhookSecret = stripeWebhookSecret.flatMap { $0.isEmpty ? nil : $0 }
        urls = PublicURLs(base: baseURL)
        self.keyring =
            keyring.unsubscribeKey == nil ? keyring.withUnsubscribeKey(instanceSecret: instanceSecret) : keyring
        self.instanceSecret = instanceSecret
        self.trustForwardedFor = trustForwardedFor
        self.clock = clock
        self.resourcesDirectory = resourcesDirectory
        self.kannelInboundSecret = kannelInboundSecret.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The origin SMS gateways call back on (`RELANCE_CALLBACK_BASE_URL`, else the public URL).
    public var callbackBaseURL: String {
        get { callbackOrigin ?? baseURL }
        set { callbackOrigin = newValue }
    }
    private var callbackOrigin: String?

    /// Signs the callback URLs handed to SMS gateways.
    public var callbackKey: HMACKey { HMACKey(derivedKey("sms-callbacks")) }

    var secureCookies: Bool { baseURL.hasPrefix("https://") }

    /// What the store needs to print and sign links in the texts it writes.
    var linkSettings: LinkSettings { LinkSettings(urls: urls, keyring: keyring) }

    /// Customers' requests and the business's answers, with this instance's links.
    func requests(_ storage: any RequestStorage, at now: Date? = nil) -> RequestService {
        RequestService(storage: storage, links: linkSettings, clock: now.map(Clock.fixed) ?? clock)
    }

    /// "Send a reminder now" as this instance is set up (its links, whether email can go out).
    func sendNow(_ storage: any SendNowStorage) -> SendNowService {
        SendNowService(storage: storage, links: linkSettings, emailEnabled: emailConfigured, clock: clock)
    }

    func derivedKey(_ purpose: String) -> [UInt8] {
        Crypto.hmacSHA256(key: instanceSecret, message: Array(purpose.utf8))
    }
}

/// The request context: the peer address for rate limits and click hashing, the API key once
/// authenticated.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var apiKeyID: Int64?
    /// The signed-in dashboard session, set by the dashboard's middleware.
    public var dashboardSession: DashboardSession?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// JSON bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }
}

extension AppRequestContext {
    /// The client's address: the socket peer, or the last hop the trusted proxy added.
    func clientAddress(_ request: Request, trustForwardedFor: Bool) -> String {
        if trustForwardedFor, let forwarded = request.headers[.xForwardedFor],
            let last = forwarded.split(separator: ",").last
        {
            return last.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }

    /// Who a rate limit counts this request against (see `ClientKey`).
    func rateKey(_ request: Request, trustForwardedFor: Bool) -> String {
        ClientKey.of(clientAddress(request, trustForwardedFor: trustForwardedFor))
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xRobotsTag = Self("X-Robots-Tag")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
    static let twilioSignature = Self("X-Twilio-Signature")!
}

extension HTTPFields {
    /// An HTML page's headers, strict: its own stylesheet, images and form target and nothing else; never
    /// cached, framed, indexed or sniffed. The customer's and the dashboard's pages differ only in what
    /// their links tell the next site (`referrerPolicy`).
    static func htmlPage(referrerPolicy: String) -> HTTPFields {
        [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy:
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            .referrerPolicy: referrerPolicy,
            .cacheControl: "no-store",
            .xRobotsTag: "noindex, nofollow",
            .xContentTypeOptions: "nosniff",
            .xFrameOptions: "DENY",
        ]
    }
}
