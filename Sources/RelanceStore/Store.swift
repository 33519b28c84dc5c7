import Foundation
import GRDB
import GRDBSQLite
import RelanceCore
import RelanceServices

/// The SQLite database of one Relance instance: a WAL pool with foreign keys on, migrated at open.
/// Writes are named transactions (`createInvoice`, `recordPayment`…); reads go through the pool.
public final class Store: Sendable {
    let pool: DatabasePool
    public let path: String
    let pageReader: PageReader
    /// A read-only connection of its own for the few reads made on the caller's thread (customer pages,
    /// /healthz). Never the pool's: an async read keeps its pool reader until it resumes on Swift's task
    /// pool, so a thread of that pool blocked waiting for a pool reader could stop everything.
    let syncReader: DatabaseQueue
    /// Seals the secrets the store must be able to read back (webhook signing secrets); without it,
    /// nothing that needs one can be created or sent.
    let secrets: SecretBox?
    let phraseSource: PhraseSource

    /// Opens (creating if needed) the database file at `path` and applies pending migrations. With
    /// `secrets`, any secret still stored in clear by an older version is sealed now. `phrases` are the
    /// words of the texts the store writes itself; without them, `templates/` is read the first time
    /// one is written (see `PhraseSource`).
    public init(path: String, secrets: SecretBox? = nil, phrases: Catalogue? = nil) throws {
        if let phrases { try Store.requirePhrases(phrases) }
        phraseSource = PhraseSource(phrases)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // FULL: each commit reaches the disk before it returns. NORMAL, in WAL mode, can lose the last
            // commits to a power cut: a `sending` mark (then a second text) or a payment already
            // acknowledged to a billing system or to Stripe, which will not send it again.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        self.path = path
        pool = try DatabasePool(path: path, configuration: configuration)
        try Store.migrator.migrate(pool)
        pageReader = PageReader(path: path)
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(5)
        syncReader = try DatabaseQueue(path: path, configuration: readOnly)
        self.secrets = secrets
        if let secrets { try Store.sealClearSecrets(pool, secrets) }
    }

    /// The catalogue the store writes its own texts with (STOP and START confirmations, an email's
    /// button and footer): the web layer compiles its pages from this same value.
    public func phrases() throws -> Catalogue { try phraseSource.catalogue() }

    /// The phrases the store writes with; a catalogue without one would send its key as a text.
    static let phraseKeys = [
        "sms_opt_out_confirmation", "sms_opt_in_confirmation", "email_button", "email_button_many",
        "email_unsubscribe", "email_unsubscribe_line",
    ]

    static func requirePhrases(_ catalogue: Catalogue) throws {
        let missing = catalogue.missing(phraseKeys)
        guard missing.isEmpty else { throw MissingPhrases(keys: missing) }
    }

    /// The catalogue lacks a phrase the store writes.
    public struct MissingPhrases: Error, CustomStringConvertible {
        public let keys: [String]
        public var description: String {
            "templates/strings.*.txt lack phrases the store writes: \(keys.joined(separator: ", "))"
        }
    }

    /// Bytes SQLite has allocated in this process, all connections together.
    public static func sqliteMemoryUsed() -> Int64 { sqlite3_memory_used() }

    /// Whether `error` came from SQLite (as opposed to a rule of the application), for the metrics.
    public static func isDatabaseError(_ error: Error) -> Bool { error is DatabaseError }

    /// Whether `error` says the database cannot take a write now but may later: the disk is full, the file
    /// is locked past the busy timeout, or read-only. The transaction was rolled back, so nothing of the
    /// request was written, and the same request can be sent again. (A disk error is not one: at commit
    /// it cannot say whether the write happened.)
    public static func isUnavailable(_ error: Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_FULL, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY].contains(error.resultCode)
    }

    /// Whether the database takes writes now: a write lock taken and given back, nothing written.
    public func isWritable() async -> Bool {
        do {
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
            return true
        } catch {
            return false
        }
    }

    /// The migrations not yet applied to this file, by name.
    public func pendingMigrations() throws -> [String] {
        try syncReader.read { db in try Store.migrator.appliedIdentifiers(db) }
            .symmetricDifference(Store.migrator.migrations)
            .sorted()
    }
}

/// Where a store's phrases come from: the catalogue given at open, else `templates/` under
/// `RELANCE_RESOURCES` or the working directory (where `relance serve` finds its pages), read on first
/// use and kept. Lazily, because most commands (backup, apikey, link…) never write a text and must
/// still run from a folder without `templates/`.
final class PhraseSource: @unchecked Sendable {
    // Guards `loaded`; a load is rare (once per process) and short.
    private let lock = NSLock()
    private var loaded: Catalogue?

    init(_ given: Catalogue?) { loaded = given }

    func catalogue() throws -> Catalogue {
        lock.lock()
        defer { lock.unlock() }
        if let loaded { return loaded }
        let catalogue = try Catalogue(directory: PhraseSource.defaultDirectory())
        try Store.requirePhrases(catalogue)
        loaded = catalogue
        return catalogue
    }

    static func defaultDirectory() -> URL {
        let resources =
            ProcessInfo.processInfo.environment["RELANCE_RESOURCES"] ?? FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: resources).appendingPathComponent("templates")
    }
}

/// Failures a caller can cause, each with what to say to them.
public enum StoreError: Error, Equatable, Sendable {
    case notFound(String)
    case duplicateInvoiceNumber(String)
    case duplicateExternalRef(String)
    case invoiceVoided
    case invoicePaid
    /// Paid or void: nothing left to remind about.
    case invoiceClosed
    case overpayment(balance: Int64)
    case duplicatePaymentReference(paymentID: Int64)
    case idempotencyKeyReused
    case linkExpiryInPast
    case linkExpiryTooFar
    case rateLimited
    /// A secret must be sealed or opened, and the store was opened without the instance's key.
    case secretsUnavailable
}

extension Set where Element == String {
    fileprivate func symmetricDifference(_ other: [String]) -> Set<String> { symmetricDifference(Set(other)) }
}
