import Foundation
import GRDBSQLite
import RelanceCore

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
        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite3_column_text(statement, column) else { return nil }
            return String(cString: bytes)
        }
        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

        guard let expiresText = text(1), let expiresAt = PageReader.parseTimestamp(expiresText),
            let currencyCode = text(4), let currency = Currency(code: currencyCode),
            let dueText = text(6), let dueOn = CalendarDate(iso: dueText)
        else { throw PageReaderError.corrupt("link \(linkID)") }
        var business = Business(
            name: text(14) ?? "", phone: text(15), email: text(16), address: text(17), paymentURL: text(18),
            bankBeneficiary: text(19), bankIBAN: text(20), bankBIC: text(21), defaultLocale: text(22) ?? "fr",
            timeZone: text(23) ?? "UTC", linkLifetimeDays: Int(int(24)), legal: text(27))
        business.logoHash = text(28)
        let pending = text(26) ?? ""
        var data = InvoicePageData(
            linkID: linkID,
            expiresAt: expiresAt,
            revoked: !isNull(0),
            invoiceID: int(2),
            number: text(3) ?? "",
            amount: Money(minorUnits: int(5), currency: currency),
            paid: int(13),
            dueOn: dueOn,
            status: !isNull(8) ? .void : !isNull(7) ? .paid : .open,
            paymentURL: text(9) ?? business.paymentURL,
            customerName: text(10) ?? "",
            customerLocale: text(11),
            customerTimeZone: text(12),
            business: business)
        data.hasActivePlan = !isNull(25)
        data.pendingPlan = pending.contains("plan")
        data.pendingQuestion = pending.contains("question")
        return data
    }

    private func checkOut() throws -> Connection {
        lock.lock()
        if let connection = idle.popLast() {
            lock.unlock()
            return connection
        }
        lock.unlock()
        return try Connection(path: path, sql: Store.pageSQL)
    }

    private func checkIn(_ connection: Connection) {
        lock.lock()
        if idle.count < keep { idle.append(connection) }
        lock.unlock()
    }

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
