import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import RelanceCore
import RelanceMessaging
import RelanceProviders
import RelanceServices
import RelanceStore
import RelanceWeb
import ServiceLifecycle

@main
struct Relance: AsyncParsableCommand {
    /// Everything Relance creates (the database and its WAL, key files, backups) is for its owner
    /// only, whatever umask it was started with.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            LogSink.standardError.flush()
        } catch {
            LogSink.standardError.flush()
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "relance",
        abstract: "Payment links and polite reminders for unpaid invoices.",
        subcommands: [
            Serve.self, Migrate.self, Remind.self, TemplatesCommand.self, LinkCommand.self, APIKeyCommand.self,
            LinkKeyCommand.self, UserCommand.self, ImportCommand.self, BackupCommand.self, RestoreCommand.self,
        ])
}

/// Options every command that touches the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite database file (env RELANCE_DATABASE).")
    var database: String = ProcessInfo.processInfo.environment["RELANCE_DATABASE"] ?? "relance.sqlite"

    @Option(help: "Link key file, created on first start (env RELANCE_LINK_KEY_FILE; RELANCE_LINK_KEYS wins).")
    var linkKeyFile: String?

    @Option(help: "Instance secret file, created on first start (env RELANCE_SECRET_FILE; RELANCE_SECRET wins).")
    var secretFile: String?

    var directory: String { (database as NSString).deletingLastPathComponent }

    func path(_ option: String?, env: String, default name: String) -> String {
        option ?? ProcessInfo.processInfo.environment[env]
            ?? (directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name))
    }

    /// Opens the database, refusing one that others can read (as the key files are refused); its
    /// webhook secrets are sealed under a key derived from the instance secret. Without `phrases`, the
    /// store reads `templates/` only if it writes a text itself, so most commands run anywhere.
    func openStore(phrases: Catalogue? = nil) throws -> Store {
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for file in [database, database + "-wal", database + "-shm"] {
            try SecretFiles.requireOwnerOnly(file)
        }
        return try Store(
            path: database, secrets: SecretBox(instanceSecret: try instanceSecret(), purpose: "store"),
            phrases: phrases)
    }

    func keyring() throws -> LinkKeyring {
        try SecretFiles.linkKeyring(
            environment: ProcessInfo.processInfo.environment["RELANCE_LINK_KEYS"],
            path: path(linkKeyFile, env: "RELANCE_LINK_KEY_FILE", default: "relance-link-keys")
        ).withUnsubscribeKey(instanceSecret: try instanceSecret())
    }

    func instanceSecret() throws -> [UInt8] {
        try SecretFiles.instanceSecret(
            environment: ProcessInfo.processInfo.environment["RELANCE_SECRET"],
            path: path(secretFile, env: "RELANCE_SECRET_FILE", default: "relance-secret"))
    }
}

func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

/// A number from the environment within `range`, or `fallback` when unset; anything else (a word,
/// `nan`, `inf`, out of range) stops the command with a message naming the variable.
func environmentNumber(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
    guard let text = environment(name), !text.isEmpty else { return fallback }
    guard text.utf8.count <= 20, let value = Double(text), value.isFinite, range.contains(value) else {
        throw ValidationError("\(name) must be a number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
}

/// A whole number from the environment within `range`, or `fallback` when unset.
func environmentInteger(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
    guard let text = environment(name), !text.isEmpty else { return fallback }
    guard text.utf8.count <= 20, let value = Int(text), range.contains(value) else {
        throw ValidationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
}

/// Where `templates/` and `Public/` are: `RELANCE_RESOURCES`, else the working directory.
func resourcesDirectory() -> URL {
    URL(fileURLWithPath: environment("RELANCE_RESOURCES") ?? FileManager.default.currentDirectoryPath)
}

/// The public URL links are printed with, checked once where an operator gives it: a typo here
/// would break the link in every text sent, and nothing else would notice.
func publicURLs(_ text: String) throws -> PublicURLs {
    do {
        return try PublicURLs.validated(text)
    } catch {
        throw ValidationError("--base-url / RELANCE_BASE_URL: \(error)")
    }
}

/// Log lines go to standard error through a buffer written off the request path (`LogSink`).
func makeLogger() -> Logger {
    let level = environment("RELANCE_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
    var logger = Logger(label: "relance") { BufferedLogHandler(label: $0, level: level) }
    logger.logLevel = level
    return logger
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the portal: customer pages, API, background work.")

    @Option(help: "Address to listen on (env RELANCE_HOST).")
    var host: String = environment("RELANCE_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on (env RELANCE_PORT).")
    var port: Int = environment("RELANCE_PORT").flatMap(Int.init) ?? 8080

    @Option(help: "Public URL printed in links, e.g. https://pay.example.com (env RELANCE_BASE_URL).")
    var baseURL: String?

    @Flag(help: "Trust X-Forwarded-For from the reverse proxy (env RELANCE_TRUST_PROXY=1).")
    var trustProxy = false

    @Flag(help: "Start on a fresh demo database with a sample business, invoices and an API key.")
    var demo = false

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        let logger = makeLogger()
        var storage = self.storage
        if demo && environment("RELANCE_DATABASE") == nil && storage.database == "relance.sqlite" {
            storage.database = ".relance/demo.sqlite"
            // A fresh demo: new database and new keys, so links from an earlier demo open nothing.
            for file in ["demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm", "relance-link-keys"] {
                try? FileManager.default.removeItem(atPath: ".relance/" + file)
            }
        }
        let urls = try publicURLs(
            baseURL ?? environment("RELANCE_BASE_URL") ?? "http://\(host == "0.0.0.0" ? "localhost" : host):\(port)")
        // Read here, not on first use: a server cannot start without its pages' phrases anyway.
        let store = try storage.openStore(
            phrases: try Catalogue(directory: resourcesDirectory().appendingPathComponent("templates")))
        var settings = WebSettings(
            baseURL: urls.base, keyring: try storage.keyring(), instanceSecret: try storage.instanceSecret(),
            trustForwardedFor: trustProxy || environment("RELANCE_TRUST_PROXY") == "1",
            resourcesDirectory: resourcesDirectory(), kannelInboundSecret: environment("RELANCE_KANNEL_INBOUND_SECRET"),
            stripeWebhookSecret: environment("RELANCE_STRIPE_WEBHOOK_SECRET"),
            twilioAuthToken: environment("RELANCE_SMS_PROVIDER") == "twilio"
                ? environment("RELANCE_TWILIO_AUTH_TOKEN") : nil)
        if let callbacks = environment("RELANCE_CALLBACK_BASE_URL") { settings.callbackBaseURL = callbacks }
        settings.webhooksAllowHTTP = environment("RELANCE_WEBHOOKS_ALLOW_HTTP") == "1"
        settings.webhooksAllowPrivate = environment("RELANCE_WEBHOOKS_ALLOW_PRIVATE") == "1"
        settings.emailConfigured = demo || !(environment("RELANCE_SMTP_URL") ?? "").isEmpty
        if let key = environment("RELANCE_STRIPE_SECRET_KEY"), !key.isEmpty {
            settings.stripeCheckout = StripeCheckout(
                secretKey: key, apiBaseURL: environment("RELANCE_STRIPE_API_BASE") ?? "https://api.stripe.com")
        }
        // Metrics: Prometheus's text format, behind a token on the public listener and, when
        // RELANCE_METRICS_ADDRESS is set, without one on a listener of its own (loopback).
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        settings.metricsText = { registry.emitToBuffer() }
        settings.metricsToken = environment("RELANCE_METRICS_TOKEN")
        var metricsServices: [any Service] = []
        if let address = environment("RELANCE_METRICS_ADDRESS"), !address.isEmpty, address != "off" {
            guard let colon = address.lastIndex(of: ":"),
                let metricsPort = Int(address[address.index(after: colon)...]),
                (1...65_535).contains(metricsPort)
            else { throw ValidationError("RELANCE_METRICS_ADDRESS must be HOST:PORT, such as 127.0.0.1:9464") }
            metricsServices.append(
                buildMetricsApplication(
                    host: String(address[..<colon]), port: metricsPort, logger: logger,
                    metricsText: { registry.emitToBuffer() }))
        }
        let reminders = ReminderService(
            store: store,
            dispatchers: try makeDispatchers(
                store: store, logger: logger, callbackBaseURL: settings.baseURL, callbackKey: settings.callbackKey,
                demo: demo),
            links: LinkSettings(urls: settings.urls, keyring: settings.keyring), logger: logger,
            interval: .seconds(try environmentInteger("RELANCE_TICK_SECONDS", default: 60, range: 1...86_400)),
            schedules: environment("RELANCE_SCHEDULER") != "off")
        let app = try buildApplication(
            store: store, settings: settings, host: host, port: port, logger: logger,
            extraServices: [
                reminders,
                WebhookService(
                    dispatcher: WebhookDispatcher(
                        store: store, logger: logger,
                        destinations: DestinationPolicy(allowPrivate: settings.webhooksAllowPrivate)),
                    logger: logger),
            ] + metricsServices)
        if demo {
            let seeded = try await DemoData.seed(store: store, settings: settings, now: Date())
            print(
                """

                Relance demo is running at \(settings.baseURL)
                  dashboard: \(settings.baseURL)/dashboard
                  sign in:   \(seeded.login.email) / \(seeded.login.password)
                  database:  \(storage.database)
                  API key:   \(seeded.apiKey)
                  try:       curl -H 'Authorization: Bearer \(seeded.apiKey)' \(settings.baseURL)/api/v1/invoices

                Customer links:
                """)
            for (label, url) in seeded.links {
                print("  \(label.padding(toLength: 32, withPad: " ", startingAt: 0)) \(url)")
            }
            print("\nText messages are printed here instead of being sent. Ctrl-C stops.\n")
            fflush(nil)
        } else {
            logger.info("listening", metadata: ["address": "\(host):\(port)", "database": "\(storage.database)"])
        }
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database, then exit.")

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        let store = try storage.openStore()
        printError("database \(store.path) is up to date")
    }
}

struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Print a new signed link to an invoice, by its number.")

    @Argument(help: "The invoice number.")
    var invoiceNumber: String

    @Option(help: "Expiry as an ISO 8601 instant; default: the business's link lifetime.")
    var expiresAt: String?

    @Option(help: "Public URL of the portal (env RELANCE_BASE_URL).")
    var baseURL: String = environment("RELANCE_BASE_URL") ?? "http://127.0.0.1:8080"

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        let urls = try publicURLs(baseURL)
        let store = try storage.openStore()
        var expiry: Date?
        if let expiresAt {
            guard let parsed = Instant.parse(expiresAt) else {
                throw ValidationError("--expires-at must be an ISO 8601 instant such as 2026-03-31T23:59:59Z")
            }
            expiry = parsed
        }
        do {
            let invoice = try await store.invoice(number: invoiceNumber)
            let link = try await store.createLink(
                invoiceID: invoice.id, expiresAt: expiry, purpose: .cli, keyring: try storage.keyring(), now: Date())
            print(urls.invoicePage(token: link.token))
            printError("expires \(Instant.format(link.expiresAt))")
        } catch let error as StoreError {
            throw CommandFailure(Relance.describe(error))
        }
    }
}

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API keys: id, name, the key's first characters, created, last change made, revoked.")

        @OptionGroup var storage: DatabaseOptions

        func run() async throws {
            let keys = try await storage.openStore().apiKeys()
            if keys.isEmpty { printError("no API keys; create one with: relance apikey create --name NAME") }
            for listing in keys {
                let columns = [
                    String(listing.key.id), listing.key.prefix + "…", listing.key.name,
                    "created " + Instant.format(listing.createdAt),
                    listing.lastUsedAt.map { "last used " + Instant.format($0) } ?? "never used",
                    listing.revokedAt.map { "REVOKED " + Instant.format($0) } ?? "active",
                ]
                print(columns.joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key at once; requests carrying it get 401 from then on.")

        @Argument(help: "The key's id, as `relance apikey list` shows it.")
        var id: Int64

        @OptionGroup var storage: DatabaseOptions

        func run() async throws {
            do {
                let now = Date()
                let wasLive = try await storage.openStore().revokeAPIKey(
                    id: id, now: now,
                    audit: AuditNote(actor: .operator, "api_key.revoked", detail: "key \(id)", at: now))
                printError(wasLive ? "revoked API key \(id)" : "API key \(id) was already revoked")
            } catch let error as StoreError {
                throw CommandFailure(Relance.describe(error))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; prints only the key on stdout (shown once).")

        @Option(help: "What the key is for, e.g. the billing system's name.")
        var name: String

        @OptionGroup var storage: DatabaseOptions

        func validate() throws {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
                throw ValidationError("--name must be 1 to 100 characters")
            }
        }

        func run() async throws {
            let store = try storage.openStore()
            let now = Date()
            let (key, secret) = try await store.createAPIKey(
                name: name, now: now, audit: AuditNote(actor: .operator, "api_key.created", detail: name, at: now))
            print(secret)
            printError("created API key \(key.id) '\(key.name)' (\(key.prefix)…); it is not shown again")
        }
    }
}

struct LinkKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linkkey", abstract: "Manage the keys that sign links.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new signing key; links signed with older keys keep working. Restart serve after.")

        @OptionGroup var storage: DatabaseOptions

        func run() async throws {
            let path = storage.path(storage.linkKeyFile, env: "RELANCE_LINK_KEY_FILE", default: "relance-link-keys")
            let id = try SecretFiles.rotateLinkKeys(path: path)
            printError("new links will be signed with key \(id) from \(path)")
        }
    }
}

/// A failure to report in one line, without the usage text a `ValidationError` prints.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Relance {
    static func describe(_ error: StoreError) -> String {
        switch error {
        case .notFound(let what): "\(what) does not exist"
        case .invoiceVoided: "the invoice is void"
        case .linkExpiryInPast: "the expiry must be in the future"
        case .linkExpiryTooFar: "the expiry must be within \(LinkLifetime.maximumDays) days"
        default: "\(error)"
        }
    }
}
