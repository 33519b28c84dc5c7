import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RelanceCore
import RelanceMessaging
import RelanceStore
import XCTest

@testable import RelanceWeb

/// A clock a test can move.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    init(_ instant: Date) { self.instant = instant }

    var now: Date {
        get { lock.withLock { instant } }
        set { lock.withLock { instant = newValue } }
    }

    var clock: Clock { Clock { self.now } }
}

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

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
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
                name: "Atelier Martin", phone: "+33123456789", email: "compta@example.com",
                address: "12 rue des Lilas\n69003 Lyon", paymentURL: "https://pay.example.com/checkout",
                bankBeneficiary: "Atelier Martin SARL", bankIBAN: "FR7630006000011234567890189", bankBIC: "AGRIFRPP")
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
                customer: CustomerInput(name: name, phone: phone.flatMap(PhoneNumber.init), locale: locale),
                amount: Money(minorUnits: amount, currency: eur), issuedOn: today.adding(days: dueInDays - 30),
                dueOn: today.adding(days: dueInDays)),
            now: clock.now)
        let link = try await store.createLink(
            invoiceID: invoice.id, expiresAt: nil, purpose: .api, keyring: settings.keyring, now: clock.now)
        return (invoice, link)
    }

    func apiKey() async throws -> String {
        try await store.createAPIKey(name: "billing", now: clock.now).secret
    }
}

func awaitSync(_ body: @escaping @Sendable () async throws -> Void) throws {
    let semaphore = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: Error?
    Task {
        do { try await body() } catch { failure = error }
        semaphore.signal()
    }
    semaphore.wait()
    if let failure { throw failure }
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

/// Runs a helper of Tests/e2e with `input` on stdin and returns what it printed, or nil when it exits
/// with an error. A Python package it needs that is not installed is a skip, or a failure when CI
/// requires the tools (`pip install` names them in `needs`).
func runPythonHelper(_ script: String, input: Data, needs packages: String) throws -> String? {
    let environment = ProcessInfo.processInfo.environment
    let python = (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
        .first(where: FileManager.default.isExecutableFile(atPath:))
    guard let python else { throw XCTSkip("python3 is needed") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [Harness.repository.appendingPathComponent("Tests/e2e/\(script)").path]
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if errors.contains("ModuleNotFoundError") {
        if environment["RELANCE_REQUIRE_TOOLS"] == "1" { XCTFail("pip install \(packages): \(script) needs it") }
        throw XCTSkip("pip install \(packages) to run \(script)")
    }
    return process.terminationStatus == 0 ? String(decoding: output, as: UTF8.self) : nil
}

/// The `relance` binary `make test` builds; a skip without it, or a failure when CI requires the tools.
func relanceBinary() throws -> String {
    let binary = Harness.repository.appendingPathComponent(".build/debug/relance").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        if ProcessInfo.processInfo.environment["RELANCE_REQUIRE_TOOLS"] == "1" {
            XCTFail("needs .build/debug/relance (make test builds it)")
        }
        throw XCTSkip("needs .build/debug/relance (make test builds it)")
    }
    return binary
}

/// Runs `arguments` (the first is looked up on PATH by /usr/bin/env) and waits: its status, standard
/// output and standard error.
func runCommand(_ arguments: [String], environment: [String: String]? = nil) throws -> (
    status: Int32, output: String, errors: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Both pipes are read at once, so neither can fill up and stall the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errorData = Box()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { errorData.data = errors.fileHandleForReading.readDataToEndOfFile() }
    let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, out, String(decoding: errorData.data, as: UTF8.self))
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
