import Foundation
import GRDBSQLite
import RelanceCore
import RelanceServices

/// Read-only SQLite connections that answer one question — what does the page behind link N show —
/// through a statement prepared once per connection, called on the request's own thread.
///
/// This is the customer page's hot path. Through GRDB the same SELECT measured about three times the
/// cost of the query itself (a dispatch-queue hop per read, generic row decoding, a transaction), and
/// the page is what every customer waits for. Everything else goes through GRDB.
final class PageReader: @unchecked Sendable {
    private final class Connection {
        let handle: OpaquePointer
        let statement: OpaquePointer

        init(path: String, sql: String) throws {
            var handle: OpaquePointer?
            let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
                if let handle { sqlite3_close_v2(handle) }
                throw PageReaderError.open(path)
            }
            sqlite3_busy_timeout(handle, 5_000)
            var statement: OpaquePointer?
            guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
                let statement
            else {
                let message = String(cString: sqlite3_errmsg(handle))
                sqlite3_close_v2(handle)
                throw PageReaderError.prepare(message)
            }
            self.handle = handle
            self.statement = statement
        }

        deinit {
            sqlite3_finalize(statement)
            sqlite3_close_v2(handle)
        }
    }

    enum PageReaderError: Error {
        case open(String)
        case prepare(String)
        case step(String)
        case corrupt(String)
    }

    private let lock = NSLock()
    private var idle: [Connection] = []
    private let path: String
    /// Connections kept open; more are opened under load and closed when returned.
    private let keep = 4

    init(path: String) { self.path = path }

    func read(linkID: Int64) throws -> InvoicePageData? {
        let connection = try checkOut()
        defer { checkIn(connection) }
        let statement = connection.statement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        sqlite3_bind_int64(statement, 1, linkID)
        switch sqlite3_step(statement) {
        case SQLITE_ROW: break
        case SQLITE_DONE: return nil
        default: throw PageReaderError.step(String(cString: sqlite3_errmsg(connection.handle)))
        }
        func text(_ column: PageColumn) -> String? {
            guard let bytes = sqlite3_column_text(statement, column.rawValue) else { return nil }
            return String(cString: bytes)
        }
        func int(_ column: PageColumn) -> Int64 { sqlite3_column_int64(statement, column.rawValue) }
        func isNull(_ column: PageColumn) -> Bool { sqlite3_column_type(statement, column.rawValue) == SQLITE_NULL }

        guard let expiresText = text(.linkExpiresAt), let expiresAt = PageReader.parseTimestamp(expiresText),
            let currencyCode = text(.invoiceCurrency), let currency = Currency(code: currencyCode),
            let dueText = text(.invoiceDueOn), let dueOn = CalendarDate(iso: dueText)
        else { throw PageReaderError.corrupt("link \(linkID)") }
        var business = Business(
            BusinessProfile(
                name: text(.businessName) ?? "", phone: text(.businessPhone), email: text(.businessEmail),
                address: text(.businessAddress), paymentURL: text(.businessPaymentURL),
                bankBeneficiary: text(.businessBankBeneficiary), bankIBAN: text(.businessBankIBAN),
                bankBIC: text(.businessBankBIC), defaultLocale: text(.businessDefaultLocale) ?? "fr",
                timeZone: text(.businessTimeZone) ?? "UTC", linkLifetimeDays: Int(int(.businessLinkLifetimeDays)),
                legal: text(.businessLegal)))
        business.logoHash = text(.businessLogoHash)
        let pending = text(.pendingRequestKinds) ?? ""
        var data = InvoicePageData(
            linkID: linkID,
            expiresAt: expiresAt,
            revoked: !isNull(.linkRevokedAt),
            invoiceID: int(.invoiceID),
            number: text(.invoiceNumber) ?? "",
            amount: Money(minorUnits: int(.invoiceAmount), currency: currency),
            paid: int(.paid),
            dueOn: dueOn,
            status: !isNull(.invoiceVoidedAt) ? .void : !isNull(.invoicePaidAt) ? .paid : .open,
            paymentURL: text(.invoicePaymentURL) ?? business.paymentURL,
            customerName: text(.customerName) ?? "",
            customerLocale: text(.customerLocale),
            customerTimeZone: text(.customerTimeZone),
            business: business)
        data.hasActivePlan = !isNull(.activePlan)
        data.pendingPlan = pending.contains(RequestKind.plan.rawValue)
        data.pendingQuestion = pending.contains(RequestKind.question.rawValue)
        return data
    }

    private func checkOut() throws -> Connection {
        lock.lock()
        if let connection = idle.popLast() {
            lock.unlock()
            return connection
        }
        lock.unlock()
        return try Connection(path: path, sql: PageReader.sql)
    }

    private func checkIn(_ connection: Connection) {
        lock.lock()
        if idle.count < keep { idle.append(connection) }
        lock.unlock()
    }

    /// The columns of the page's one SELECT, in the order SQLite returns them. The decoder reads each by
    /// its position and `sql` lists them from this enum, so the two cannot drift apart; RecordTests reads
    /// a page both ways and compares.
    enum PageColumn: Int32, CaseIterable {
        case linkRevokedAt
        case linkExpiresAt
        case invoiceID
        case invoiceNumber
        case invoiceCurrency
        case invoiceAmount
        case invoiceDueOn
        case invoicePaidAt
        case invoiceVoidedAt
        case invoicePaymentURL
        case customerName
        case customerLocale
        case customerTimeZone
        /// Everything the invoice has received, in minor units.
        case paid
        case businessName
        case businessPhone
        case businessEmail
        case businessAddress
        case businessPaymentURL
        case businessBankBeneficiary
        case businessBankIBAN
        case businessBankBIC
        case businessDefaultLocale
        case businessTimeZone
        case businessLinkLifetimeDays
        /// 1 while a plan runs, else NULL.
        case activePlan
        /// The kinds of the invoice's pending requests, separated by commas; NULL without any.
        case pendingRequestKinds
        case businessLegal
        case businessLogoHash

        var expression: String {
            switch self {
            case .linkRevokedAt: "l.revoked_at"
            case .linkExpiresAt: "l.expires_at"
            case .invoiceID: "i.id"
            case .invoiceNumber: "i.number"
            case .invoiceCurrency: "i.currency"
            case .invoiceAmount: "i.amount"
            case .invoiceDueOn: "i.due_on"
            case .invoicePaidAt: "i.paid_at"
            case .invoiceVoidedAt: "i.voided_at"
            case .invoicePaymentURL: "i.payment_url"
            case .customerName: "c.name"
            case .customerLocale: "c.locale"
            case .customerTimeZone: "c.time_zone"
            case .paid: "(SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id)"
            case .businessName: "b.name"
            case .businessPhone: "b.phone"
            case .businessEmail: "b.email"
            case .businessAddress: "b.address"
            case .businessPaymentURL: "b.payment_url"
            case .businessBankBeneficiary: "b.bank_beneficiary"
            case .businessBankIBAN: "b.bank_iban"
            case .businessBankBIC: "b.bank_bic"
            case .businessDefaultLocale: "b.default_locale"
            case .businessTimeZone: "b.time_zone"
            case .businessLinkLifetimeDays: "b.link_lifetime_days"
            // The statuses stay literals: SQLite answers them from the partial indexes `plan_active` and
            // `request_pending` only when it can match them as the statement is prepared.
            case .activePlan: "(SELECT 1 FROM plan WHERE invoice_id = i.id AND status = 'active')"
            case .pendingRequestKinds:
                "(SELECT group_concat(kind) FROM request WHERE invoice_id = i.id AND status = 'pending')"
            case .businessLegal: "b.legal"
            case .businessLogoHash: "b.logo_hash"
            }
        }
    }

    /// The page's SELECT; its one parameter is the link's id.
    static let sql =
        "SELECT " + PageColumn.allCases.map(\.expression).joined(separator: ", ")
            + """

            FROM link l
            JOIN invoice i ON i.id = l.invoice_id
            JOIN customer c ON c.id = i.customer_id
            JOIN business b ON b.id = 1
            WHERE l.id = ?
            """

    /// GRDB's stored form of a `Date`: `YYYY-MM-DD HH:MM:SS.SSS`, UTC.
    static func parseTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, let day = CalendarDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)) else {
            return nil
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard bytes[index] >= 48 && bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else {
            return nil
        }
        var fraction = 0.0
        if bytes.count > 20, let millis = number(20..<min(bytes.count, 23)) {
            fraction = Double(millis) / pow(10, Double(min(bytes.count, 23) - 20))
        }
        let seconds = day.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }
}
