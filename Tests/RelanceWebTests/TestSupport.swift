import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceStore
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

/// Every log line, to check that nothing secret is written.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: String { lock.withLock { lines.joined(separator: "\n") } }

    var logger: Logger {
        Logger(label: "test") { _ in CaptureHandler(capture: self) }
    }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged)")
        }
    }
}

/// A test case with a fresh `Harness` for each test, removed after it.
class HarnessTestCase: XCTestCase {
    var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() {
        harness?.cleanUp()
        harness = nil  // XCTest keeps every test case to the end of the run: let the store close now
        super.tearDown()
    }
}

/// A temporary database, a pinned clock and the application's router, as `relance serve` wires them.
struct Harness: @unchecked Sendable {  // the router is only read to build the app
    let directory: URL
    let store: Store
    let clock: TestClock
    let settings: WebSettings
    let router: Router<AppRequestContext>
    let clicks: ClickRecorder
    let logs: LogCapture
    let eur = Currency(code: "EUR")!

    static let repository = Repository.root
    static let start = Instant.parse("2026-03-03T08:59:00Z")!
    static let iPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

    init(
        business: Business? = nil, twilioAuthToken: String? = nil, stripeWebhookSecret: String? = nil,
        stripeCheckout: StripeCheckout? = nil, trustProxy: Bool = false, privateWebhooks: Bool = false
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relance-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let instanceSecret = Crypto.randomBytes(32)
        store = try Store(
            path: directory.appendingPathComponent("test.sqlite").path,
            secrets: SecretBox(instanceSecret: instanceSecret, purpose: "store"),
            phrases: try Catalogue(directory: Harness.repository.appendingPathComponent("templates")))
        clock = TestClock(Harness.start)
        logs = LogCapture()
        var settings = WebSettings(
            baseURL: "https://pay.example.com/", keyring: try LinkKeyring(parsing: LinkKeyring.generate()),
            instanceSecret: instanceSecret, trustForwardedFor: trustProxy, clock: clock.clock,
            resourcesDirectory: Harness.repository,
            kannelInboundSecret: "inbound-secret", stripeWebhookSecret: stripeWebhookSecret,
            twilioAuthToken: twilioAuthToken)
        settings.stripeCheckout = stripeCheckout
        settings.webhooksAllowPrivate = privateWebhooks
        self.settings = settings
        (router, clicks) = try buildRouter(store: store, settings: settings, logger: logs.logger)
        let business =
            business
            ?? Business(
                BusinessProfile(
                    name: "Atelier Martin", phone: "+33123456789", email: "compta@example.com",
                    address: "12 rue des Lilas\n69003 Lyon", paymentURL: "https://pay.example.com/checkout",
                    bankBeneficiary: "Atelier Martin SARL", bankIBAN: "FR7630006000011234567890189", bankBIC: "AGRIFRPP"
                ))
        try awaitSync { [store] in try await store.saveBusiness(business) }
    }

    var app: some ApplicationProtocol { Application(router: router, logger: logs.logger) }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// An invoice due `dueInDays` from the pinned day, with a link, as a billing system would create them.
    func invoice(
        number: String = "F-2026-0042", name: String = "Camille Durand", locale: String? = "fr",
        amount: Int64 = 123_456,
        dueInDays: Int = 10, phone: String? = "+33612345678"
    ) async throws -> (InvoiceSummary, IssuedLink) {
        let today = CalendarDate(instant: clock.now, timeZone: TimeZone(identifier: "Europe/Paris")!)
        let invoice = try await store.createInvoice(
            NewInvoice(
                number: number,
                customer: CustomerInput(name: name, phone: phone.flatMap(PhoneNumber.init(_:)), locale: locale),
                amount: Money(minorUnits: amount, currency: eur), issuedOn: today.adding(days: dueInDays - 30),
                dueOn: today.adding(days: dueInDays)),
            now: clock.now)
        let link = try await store.createLink(
            invoiceID: invoice.id, expiresAt: nil, purpose: .api, keyring: settings.keyring, now: clock.now)
        return (invoice, link)
    }

    /// Replies and delivery reports as the gateways' callbacks hand them over, at the pinned time.
    var inbound: InboundService { InboundService(storage: store, phrases: Repository.phrases, clock: clock.clock) }

    func apiKey() async throws -> String {
        try await store.createAPIKey(name: "billing", now: clock.now).secret
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

extension String {
    /// Page text with no-break spaces made plain, for readable assertions.
    var plainSpaces: String {
        replacingOccurrences(of: "\u{202F}", with: " ").replacingOccurrences(of: "\u{00A0}", with: " ")
    }
}

extension Words {
    /// The dashboard's English phrases, from the repository's catalogue.
    static func english() throws -> Words {
        Words(
            language: .en,
            catalogue: try Catalogue.load(
                Harness.repository.appendingPathComponent("templates/strings.en.txt")))
    }
}
