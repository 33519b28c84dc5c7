import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// Everything the customer's invoice page shows, read in one statement.
public struct InvoicePageData: Sendable {
    public var linkID: Int64
    /// The expiry stored with the link; a token carrying another one names a different link (a link id
    /// reused after a database was restored or recreated) and must not open this one.
    public var expiresAt: Date
    public var revoked: Bool
    public var invoiceID: Int64
    public var number: String
    public var amount: Money
    public var paid: Int64
    public var dueOn: CalendarDate
    public var status: InvoiceStatus
    public var paymentURL: String?
    public var customerName: String
    public var customerLocale: String?
    public var customerTimeZone: String?
    public var business: Business
    public var hasActivePlan = false
    public var pendingPlan = false
    public var pendingQuestion = false

    public var balance: Money { Money(minorUnits: amount.minorUnits - paid, currency: amount.currency) }
}

/// A page view to record later, off the request's path.
public struct ClickEvent: Sendable, Equatable {
    public var linkID: Int64
    public var at: Date
    public var agent: UserAgentClass
    public var ipHash: String?

    public init(linkID: Int64, at: Date, agent: UserAgentClass, ipHash: String?) {
        self.linkID = linkID
        self.at = at
        self.agent = agent
        self.ipHash = ipHash
    }
}

/// What asking for a fresh link led to. The page says the same in every case, so it leaks nothing.
public enum RenewalOutcome: Equatable, Sendable {
    case queued(IssuedLink)
    /// Paid, void, revoked, no phone on file, or the customer opted out of SMS.
    case notEligible
    case rateLimited
}

/// The facts a renewal message is written from.
public struct RenewalContext: Sendable {
    public var link: IssuedLink
    public var invoiceNumber: String
    public var customerName: String
    public var customerLocale: String?
    public var business: Business
}

extension Store {
    /// At most this many fresh links per invoice per day through "send me a new link".
    public static let renewalsPerDay = 3

    /// Creates a link row and its signed token. Without `expiresAt`, the business's default lifetime.
    public func createLink(
        invoiceID: Int64, expiresAt: Date?, purpose: LinkPurpose, keyring: LinkKeyring, now: Date,
        audit: AuditNote? = nil
    ) async throws -> IssuedLink {
        try await write(audit: audit, fill: { note, link in note.detail = note.detail ?? "link \(link.linkID)" }) {
            db in
            try Store.createLink(
                db, invoiceID: invoiceID, expiresAt: expiresAt, purpose: purpose, renewedFrom: nil,
                keyring: keyring, now: now)
        }
    }

    static func createLink(
        _ db: Database, invoiceID: Int64, expiresAt: Date?, purpose: LinkPurpose, renewedFrom: Int64?,
        keyring: LinkKeyring, now: Date
    ) throws -> IssuedLink {
        guard let invoice = try InvoiceRecord.fetchOne(db, key: invoiceID) else {
            throw StoreError.notFound("invoice \(invoiceID)")
        }
        if invoice.voidedAt != nil { throw StoreError.invoiceVoided }
        let expiry: Date
        if let expiresAt {
            guard expiresAt > now else { throw StoreError.linkExpiryInPast }
            guard expiresAt <= now.addingTimeInterval(TimeInterval(LinkLifetime.maximumDays) * 86_400) else {
                throw StoreError.linkExpiryTooFar
            }
            expiry = expiresAt
        } else {
            expiry = Store.defaultExpiry(dueOn: invoice.dueOn, business: try Store.business(db), now: now)
        }
        return try insertLink(
            db, invoiceID: invoiceID, expiresAt: expiry, purpose: purpose, renewedFrom: renewedFrom,
            keyring: keyring, now: now)
    }

    static func defaultExpiry(dueOn: CalendarDate, business: Business, now: Date) -> Date {
        LinkLifetime.defaultExpiry(
            dueOn: dueOn, lifetimeDays: business.linkLifetimeDays,
            timeZone: TimeZoneName.zone(business.timeZone) ?? .gmt, now: now)
    }

    /// Inserts an invoice link row with a known expiry and returns its token.
    static func insertLink(
        _ db: Database, invoiceID: Int64, expiresAt: Date, purpose: LinkPurpose, renewedFrom: Int64?,
        keyring: LinkKeyring, now: Date
    ) throws -> IssuedLink {
        // Tokens carry whole seconds; store the same instant so the row and the token agree.
        let wholeSeconds = Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down))
        try db.cachedStatement(
            sql: """
                INSERT INTO link (invoice_id, purpose, key_id, created_at, expires_at, renewed_from)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            invoiceID, purpose.rawValue, keyring.signingKey.id, Store.timestamp(now), Store.timestamp(wholeSeconds),
            renewedFrom,
        ])
        let linkID = db.lastInsertedRowID
        let token = SignedLink.token(linkID: linkID, expiresAt: wholeSeconds, keyring: keyring)
        return IssuedLink(linkID: linkID, invoiceID: invoiceID, token: token, expiresAt: wholeSeconds)
    }

    /// Revokes one link; its token then opens the "revoked" page, without the offer of a new link.
    public func revokeLink(id: Int64, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE link SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", arguments: [now, id])
            if db.changesCount == 0 { throw StoreError.notFound("link \(id)") }
        }
    }

    /// Revokes every link of an invoice.
    public func revokeLinks(invoiceID: Int64, now: Date, audit: AuditNote? = nil) async throws -> Int {
        try await write(audit: audit, fill: { note, count in note.detail = note.detail ?? "\(count) links" }) { db in
            try db.execute(
                sql: "UPDATE link SET revoked_at = ? WHERE invoice_id = ? AND revoked_at IS NULL",
                arguments: [now, invoiceID])
            return db.changesCount
        }
    }

    /// The invoice page's data for a link, read on the caller's thread through a dedicated
    /// read-only connection (see `PageReader`): this is the hot path.
    public func pageData(linkID: Int64) throws -> InvoicePageData? {
        try pageReader.read(linkID: linkID)
    }

    /// Records page views in one transaction, a hundred rows per statement.
    public func recordClicks(_ clicks: [ClickEvent]) throws {
        guard !clicks.isEmpty else { return }
        try pool.write { db in
            var start = 0
            while start < clicks.count {
                let chunk = clicks[start..<min(start + 100, clicks.count)]
                let placeholders = Array(repeating: "(?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO click (link_id, at, agent, ip_hash) VALUES " + placeholders)
                var values: [(any DatabaseValueConvertible)?] = []
                values.reserveCapacity(chunk.count * 4)
                for click in chunk {
                    // Formatted here rather than by GRDB's date formatter: this runs for every view.
                    values += [click.linkID, Store.timestamp(click.at), click.agent.rawValue, click.ipHash]
                }
                try statement.execute(arguments: StatementArguments(values))
                start += chunk.count
            }
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.SSS` in UTC, the text GRDB stores a `Date` as.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let days = Int(milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000)
        let rest = Int(milliseconds - Int64(days) * 86_400_000)
        let (year, month, day) = CalendarDate(daysSinceEpoch: days).components
        var out: [UInt8] = []
        out.reserveCapacity(23)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var remaining = value
            while divisor > 0 {
                out.append(UInt8(48 + remaining / divisor % 10))
                remaining %= divisor * 10
                divisor /= 10
            }
        }
        digits(year, 4)
        out.append(45)
        digits(month, 2)
        out.append(45)
        digits(day, 2)
        out.append(32)
        digits(rest / 3_600_000, 2)
        out.append(58)
        digits(rest / 60_000 % 60, 2)
        out.append(58)
        digits(rest / 1000 % 60, 2)
        out.append(46)
        digits(rest % 1000, 3)
        return String(decoding: out, as: UTF8.self)
    }

    /// Page views of a link by kind, for tests and the API.
    public func clickCounts(linkID: Int64) async throws -> (person: Int, preview: Int) {
        try await pool.read { db in
            func count(_ agent: UserAgentClass) throws -> Int {
                try ClickRecord.filter(ClickRecord.Columns.linkID == linkID && ClickRecord.Columns.agent == agent)
                    .fetchCount(db)
            }
            let person = try count(.person)
            let preview = try count(.preview)
            return (person, preview)
        }
    }

    /// "Send me a new link" from an expired page: a fresh link for the same invoice, queued as an SMS to
    /// the phone number on file (never one the visitor typed), at most `renewalsPerDay` a day.
    public func renewLink(
        fromLinkID linkID: Int64, keyring: LinkKeyring, now: Date,
        compose: @escaping @Sendable (RenewalContext) -> String
    ) async throws -> RenewalOutcome {
        try await pool.write { db in
            guard
                let row = try RenewalRow.fetchOne(
                    db,
                    sql: """
                        SELECT l.revoked_at, i.id AS invoice_id, i.number, i.paid_at, i.voided_at,
                            c.id AS customer_id, c.name, c.phone, c.locale, c.sms_opted_out_at
                        FROM link l JOIN invoice i ON i.id = l.invoice_id JOIN customer c ON c.id = i.customer_id
                        WHERE l.id = ?
                        """, arguments: [linkID])
            else { return .notEligible }
            guard row.revokedAt == nil, row.paidAt == nil, row.voidedAt == nil, row.smsOptedOutAt == nil,
                let phone = row.phone
            else { return .notEligible }
            let invoiceID = row.invoiceID
            let recent = try LinkRecord.filter(
                LinkRecord.Columns.invoiceID == invoiceID && LinkRecord.Columns.purpose == LinkPurpose.renewal
                    && LinkRecord.Columns.createdAt > now.addingTimeInterval(-86_400)
            ).fetchCount(db)
            guard recent < Store.renewalsPerDay else { return .rateLimited }
            let link = try Store.createLink(
                db, invoiceID: invoiceID, expiresAt: nil, purpose: .renewal, renewedFrom: linkID, keyring: keyring,
                now: now)
            let context = RenewalContext(
                link: link, invoiceNumber: row.number, customerName: row.name, customerLocale: row.locale,
                business: try Store.business(db))
            // Without an event or an encoding, as a renewal has always been queued (the claim works the
            // encoding out from the text).
            var message = MessageRecord(
                customerID: row.customerID, invoiceID: invoiceID, linkID: link.linkID, kind: .linkRenewal,
                channel: .sms, recipient: phone, body: compose(context), status: .queued, createdAt: now, attempts: 0)
            try message.insert(db)
            return .queued(link)
        }
    }

    /// A row of `renewLink`'s SELECT: whether the link, its invoice and its customer still allow a renewal.
    struct RenewalRow: Decodable, FetchableRecord, SnakeCaseColumns {
        var revokedAt: Date?
        var invoiceID: Int64
        var number: String
        var paidAt: Date?
        var voidedAt: Date?
        var customerID: Int64
        var name: String
        var phone: String?
        var locale: String?
        var smsOptedOutAt: Date?

    }
}

/// A customer's statement: every open invoice, behind one link sent in a combined reminder.
public struct StatementData: Sendable {
    public struct Line: Sendable {
        public var invoiceID: Int64
        public var number: String
        public var balance: Money
        public var dueOn: CalendarDate

        public init(invoiceID: Int64, number: String, balance: Money, dueOn: CalendarDate) {
            self.invoiceID = invoiceID
            self.number = number
            self.balance = balance
            self.dueOn = dueOn
        }
    }

    public var linkID: Int64
    public var expiresAt: Date
    public var revoked: Bool
    public var customerName: String
    public var customerLocale: String?
    public var customerTimeZone: String?
    public var lines: [Line]
    public var business: Business
}

extension Store {
    /// The statement behind a customer link, or nil when the link is not a statement link.
    public func statementData(linkID: Int64) async throws -> StatementData? {
        try await pool.read { db in
            guard let link = try LinkRecord.fetchOne(db, key: linkID), let customerID = link.customerID,
                let customer = try CustomerTableRecord.fetchOne(db, key: customerID)
            else { return nil }
            let lines = try OpenInvoice.fetchAll(
                db,
                sql: """
                    SELECT i.id, i.number, i.currency, i.amount, i.due_on,
                        (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id) AS paid
                    FROM invoice i
                    WHERE i.customer_id = ? AND i.paid_at IS NULL AND i.voided_at IS NULL
                    ORDER BY i.due_on, i.id
                    """, arguments: [customerID]
            ).map { line in
                StatementData.Line(
                    invoiceID: line.id, number: line.number,
                    balance: Money(minorUnits: line.amount - line.paid, currency: line.currency), dueOn: line.dueOn)
            }
            return StatementData(
                linkID: linkID, expiresAt: link.expiresAt, revoked: link.revokedAt != nil, customerName: customer.name,
                customerLocale: customer.locale, customerTimeZone: customer.timeZone, lines: lines,
                business: try Store.business(db))
        }
    }

    /// A line of a statement's SELECT: an open invoice and what it has received.
    struct OpenInvoice: Decodable, FetchableRecord, SnakeCaseColumns {
        var id: Int64
        var number: String
        var currency: Currency
        var amount: Int64
        var dueOn: CalendarDate
        var paid: Int64

    }
}
