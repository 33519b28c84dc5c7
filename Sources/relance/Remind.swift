import ArgumentParser
import Foundation
import Logging
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceStore

/// One dispatcher per channel: SMS through the provider `RELANCE_SMS_PROVIDER` names, email through
/// the server `RELANCE_SMTP_URL` names (both print to the console when unset).
func makeDispatchers(
    store: Store, logger: Logger, clock: Clock = .system, callbackBaseURL: String, callbackKey: HMACKey,
    demo: Bool = false
) throws -> [Dispatcher] {
    let sms = try makeDispatcher(
        store: store, logger: logger, clock: clock, callbackBaseURL: callbackBaseURL, callbackKey: callbackKey)
    return [sms] + (try makeEmailDispatcher(store: store, logger: logger, clock: clock, demo: demo).map { [$0] } ?? [])
}

/// Email through `RELANCE_SMTP_URL` (see `SMTPConfiguration`), from `RELANCE_SMTP_FROM`, trusting
/// `RELANCE_SMTP_CA_FILE` besides the system's certificates. Without a URL there is no email
/// (nil), except in the demo or with `RELANCE_SMTP_URL=console`, where emails are printed.
func makeEmailDispatcher(store: Store, logger: Logger, clock: Clock, demo: Bool) throws -> Dispatcher? {
    let rate = try environmentNumber("RELANCE_EMAIL_RATE", default: 5, range: 0.01...1_000_000)
    let url = environment("RELANCE_SMTP_URL") ?? ""
    if url.isEmpty && !demo { return nil }
    if url.isEmpty || url == "console" {
        return Dispatcher(
            store: store, provider: ConsoleEmailProvider(), channel: .email, clock: clock, logger: logger,
            ratePerSecond: rate, concurrency: 1)
    }
    guard let from = environment("RELANCE_SMTP_FROM") else {
        throw CommandFailure("RELANCE_SMTP_URL needs RELANCE_SMTP_FROM, the address reminders are sent from")
    }
    let configuration: SMTPConfiguration
    do {
        configuration = try SMTPConfiguration(url: url, from: from, caFile: environment("RELANCE_SMTP_CA_FILE"))
    } catch {
        throw CommandFailure(error.description)
    }
    logger.info("email through SMTP", metadata: ["server": "\(configuration.redacted)"])
    let provider = SMTPEmailProvider(client: try SMTPClient(configuration: configuration)) {
        let business = try? await store.business()
        return (business?.name ?? "Relance", business?.email)
    }
    return Dispatcher(
        store: store, provider: provider, channel: .email, clock: clock, logger: logger, ratePerSecond: rate,
        concurrency: 2)
}

/// The SMS provider chosen by `RELANCE_SMS_PROVIDER`: `console` (default), `kannel` or `twilio`.
func makeDispatcher(store: Store, logger: Logger, clock: Clock = .system, callbackBaseURL: String, callbackKey: HMACKey)
    throws -> Dispatcher
{
    let rate = try environmentNumber("RELANCE_SMS_RATE", default: 10, range: 0.01...1_000_000)
    let provider: any MessageProvider
    switch environment("RELANCE_SMS_PROVIDER") ?? "console" {
    case "console":
        provider = ConsoleSMSProvider()
    case "kannel":
        guard let url = environment("RELANCE_KANNEL_SENDSMS_URL") else {
            throw CommandFailure("RELANCE_SMS_PROVIDER=kannel needs RELANCE_KANNEL_SENDSMS_URL")
        }
        provider = KannelSMSProvider(
            configuration: KannelConfiguration(
                sendsmsURL: url, username: environment("RELANCE_KANNEL_USERNAME") ?? "",
                password: environment("RELANCE_KANNEL_PASSWORD") ?? "",
                from: environment("RELANCE_SMS_FROM") ?? "Relance",
                callbackBaseURL: environment("RELANCE_CALLBACK_BASE_URL") ?? callbackBaseURL, callbackKey: callbackKey))
    case "twilio":
        guard let sid = environment("RELANCE_TWILIO_ACCOUNT_SID"), let token = environment("RELANCE_TWILIO_AUTH_TOKEN")
        else {
            throw CommandFailure(
                "RELANCE_SMS_PROVIDER=twilio needs RELANCE_TWILIO_ACCOUNT_SID and RELANCE_TWILIO_AUTH_TOKEN")
        }
        let from = environment("RELANCE_TWILIO_FROM")
        let service = environment("RELANCE_TWILIO_MESSAGING_SERVICE_SID")
        guard from != nil || service != nil else {
            throw CommandFailure("set RELANCE_TWILIO_FROM or RELANCE_TWILIO_MESSAGING_SERVICE_SID")
        }
        provider = TwilioSMSProvider(
            configuration: TwilioConfiguration(
                accountSID: sid, authToken: token, from: from, messagingServiceSID: service,
                apiBaseURL: environment("RELANCE_TWILIO_API_URL") ?? "https://api.twilio.com",
                callbackBaseURL: environment("RELANCE_CALLBACK_BASE_URL") ?? callbackBaseURL))
    case let other:
        throw CommandFailure("RELANCE_SMS_PROVIDER=" + other + " is not supported; use console, kannel or twilio")
    }
    let concurrency = try environmentInteger("RELANCE_SMS_CONCURRENCY", default: 4, range: 1...64)
    return Dispatcher(
        store: store, provider: provider, clock: clock, logger: logger, ratePerSecond: rate, concurrency: concurrency)
}

struct Remind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the reminder scheduler and dispatcher once, as cron would.")

    @Flag(help: "One tick then exit (the only mode; `serve` runs the scheduler continuously).")
    var once = false

    @Option(help: "Act as if it were this instant (ISO 8601), for tests and catching up.")
    var at: String?

    @Flag(help: "Print what would be sent, with encoding and segments; send and change nothing.")
    var dryRun = false

    @Option(help: "Public URL printed in links (env RELANCE_BASE_URL).")
    var baseURL: String = environment("RELANCE_BASE_URL") ?? "http://127.0.0.1:8080"

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        var now = Date()
        if let at {
            guard let parsed = Instant.parse(at) else {
                throw ValidationError("--at must be an ISO 8601 instant such as 2026-03-18T09:00:00Z")
            }
            now = parsed
        }
        // With email set up, a tick writes emails, whose button and footer come from the catalogue: read it
        // now, so a cron job started outside RELANCE_RESOURCES fails at once with the reason, not mid-tick.
        let emailSetUp = !(environment("RELANCE_SMTP_URL") ?? "").isEmpty
        let store = try storage.openStore(
            phrases: emailSetUp
                ? try Catalogue(directory: resourcesDirectory().appendingPathComponent("templates")) : nil)
        let links = LinkSettings(urls: try publicURLs(baseURL), keyring: try storage.keyring())
        let logger = makeLogger()
        if dryRun {
            let scheduler = ReminderScheduler(storage: store, links: links, clock: .fixed(now))
            let summary = try await scheduler.tick(
                emailEnabled: !(environment("RELANCE_SMTP_URL") ?? "").isEmpty, dryRun: true)
            printSummary(summary) { _ in "would send" }
            return
        }
        let callbackKey = HMACKey(
            Crypto.hmacSHA256(key: try storage.instanceSecret(), message: Array("sms-callbacks".utf8)))
        let service = ReminderService(
            store: store,
            dispatchers: try makeDispatchers(
                store: store, logger: logger, clock: .fixed(now), callbackBaseURL: baseURL, callbackKey: callbackKey),
            links: links, clock: .fixed(now), logger: logger)
        let summary = try await service.runOnce()
        // Say what became of each message: handed over, or waiting for a retry after a provider error.
        let statuses = try await store.messageStatuses(summary.queued.map(\.messageID))
        printSummary(summary) {
            statuses[$0.messageID] == "queued" ? "queued for retry" : statuses[$0.messageID] ?? "?"
        }
    }

    func printSummary(_ summary: TickSummary, verb: (QueuedReminder) -> String) {
        for message in summary.queued where message.channel == .email {
            print("\(verb(message)) \(message.stage) to \(message.recipient) by email: \(message.subject ?? "")")
        }
        for message in summary.queued where message.channel == .sms {
            print(
                "\(verb(message)) \(message.stage) to \(message.recipient) [\(message.encoding.rawValue), "
                    + "\(message.segments) segment\(message.segments == 1 ? "" : "s")]: \(message.body)")
        }
        for invoiceID in summary.brokenPlans {
            print("plan broken: invoice \(invoiceID) is back to its late stage")
        }
        for skipped in summary.skipped {
            print("skipped \(skipped.stage) for invoice \(skipped.invoiceID): \(skipped.reason)")
        }
        printError(
            "examined \(summary.examined) invoices: \(summary.queued.count) messages, "
                + "\(summary.deferred) deferred, \(summary.skipped.count) skipped")
    }
}

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates", abstract: "Work with message templates.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render every stage's SMS templates with worst-case values; fail on UCS-2 or too many segments.")

        @Option(help: "Most segments a reminder may take.")
        var maxSegments = 1

        @Option(help: "Public URL printed in links (env RELANCE_BASE_URL).")
        var baseURL: String = environment("RELANCE_BASE_URL") ?? "http://127.0.0.1:8080"

        @OptionGroup var storage: DatabaseOptions

        func run() async throws {
            let store = try storage.openStore()
            let business = try await store.business()
            let policy = try await store.policy()
            let currency = Currency(code: "EUR")
            let link = try publicURLs(baseURL).invoicePage(token: String(repeating: "x", count: SignedLink.tokenLength))
            var problems = 0
            // The invoice's stages, then the wording of instalment reminders (always about one invoice).
            let wordings =
                policy.stages.filter { $0.channels.contains(.sms) }.map { ($0.key, [false, true]) }
                + InstalmentSlot.wordings.map { ($0, [false]) }
            for (stage, kinds) in wordings {
                for language in Language.allCases {
                    for combined in kinds {
                        let template = try await store.messageTemplate(
                            stage: stage, channel: .sms, language: language, combined: combined)
                        let amount = currency.map {
                            Format.amount(Money(minorUnits: 1_234_567, currency: $0), language)
                        }
                        let text = template.render([
                            .customer_name: String(repeating: "W", count: 20), .business_name: business.name,
                            .amount: amount ?? "", .total: amount ?? "", .invoice_number: "F-2026-00042",
                            .invoice_count: "12",
                            .due_date: Format.shortDate(CalendarDate(iso: "2026-09-28")!, language),
                            .link: link, .business_phone: business.phone ?? "",
                        ])
                        let analysis = SMSText.analyze(text)
                        var verdict = "ok"
                        if analysis.encoding == .ucs2 {
                            verdict =
                                "UCS-2 because of "
                                + analysis.charactersForcingUCS2.map { "'\($0)'" }.joined(separator: " ")
                            problems += 1
                        } else if analysis.segments > maxSegments {
                            verdict = "too long"
                            problems += 1
                        }
                        print(
                            "\(stage) \(language.rawValue)\(combined ? " combined" : "") "
                                + "\(analysis.encoding.rawValue) \(analysis.units) units, \(analysis.segments) segment(s): \(verdict)"
                        )
                    }
                }
            }
            fflush(nil)
            if problems > 0 { throw CommandFailure("\(problems) template(s) need attention") }
        }
    }
}
