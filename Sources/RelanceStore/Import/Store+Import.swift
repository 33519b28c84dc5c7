import Foundation
import GRDB
import GRDBSQLite
import RelanceCore
import RelanceServices

extension Store {
    /// Writes one batch of checked rows in one transaction: an invoice whose number exists is updated
    /// (only when something changed), others are created. Importing the same file twice changes nothing.
    ///
    /// `numbersAreNew` is the caller's word that no invoice had these numbers when the import began and
    /// that the file names each number once (a first import into an empty instance): the lookups are then
    /// skipped. Should an invoice with one of them appear meanwhile (the API), the batch is redone with
    /// lookups and that row updates it.
    public func importInvoices(_ rows: [(line: Int, invoice: NewInvoice)], now: Date, numbersAreNew: Bool = false)
        async throws -> ImportCounts
    {
        // The whole batch in one go; only if the database refuses a row is the batch redone row by row, each
        // in a savepoint, so one bad row costs itself and nothing else.
        do {
            return try await pool.write { db in
                try Store.importBatch(db, rows, now: now, savepoints: false, numbersAreNew: numbersAreNew)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return try await pool.write { db in
                try Store.importBatch(db, rows, now: now, savepoints: true, numbersAreNew: false)
            }
        } catch is ImportStaging.NeedsRows {
            return try await pool.write { db in
                try Store.importBatch(db, rows, now: now, savepoints: true, numbersAreNew: false)
            }
        }
    }

    /// Lets the write-ahead log grow to `pages` before its pages are copied into the database (SQLite's
    /// default is 1,000, 4 MB): for a command that writes a large file in batches and nothing else, where
    /// copying after every batch costs an eighth of the import. The log is emptied when the store closes.
    public func checkpointLess(pages: Int) async throws {
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)") }
    }

    /// Whether any invoice exists at all.
    public func hasInvoices() async throws -> Bool {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM invoice LIMIT 1") != nil }
    }

    static func importBatch(
        _ db: Database, _ rows: [(line: Int, invoice: NewInvoice)], now: Date, savepoints: Bool, numbersAreNew: Bool
    ) throws -> ImportCounts {
        var counts = ImportCounts()
        // The instant as stored, formatted once: GRDB formats a Date with a DateFormatter on every bind.
        let nowText = Store.timestamp(now)
        // The loop binds and steps prepared statements itself (`ImportStatement`): through GRDB's
        // arguments and rows the same statements cost about twice as much, at 100,000 rows a file.
        // Statements are prepared once per batch, but afresh for each row when rows may fail: SQLite keeps
        // a failed statement's error, and reusing it would refuse the rows after it too.
        var prepared = [ImportStatement?](repeating: nil, count: ImportSQL.allCases.count)
        func statement(_ sql: ImportSQL) throws -> ImportStatement {
            if savepoints { return ImportStatement(db, try db.makeStatement(sql: sql.text)) }
            if let ready = prepared[sql.rawValue] { return ready }
            let ready = ImportStatement(db, try db.makeStatement(sql: sql.text))
            prepared[sql.rawValue] = ready
            return ready
        }
        // A new database (the first import) has no invoice to find: skip the lookups.
        // (Only when the batch names each number once: a repeat must update the row inserted before it.)
        let empty =
            try numbersAreNew
            || (Int64.fetchOne(db, sql: "SELECT id FROM invoice LIMIT 1") == nil
                && Set(rows.map(\.invoice.number)).count == rows.count)
        // New customers and invoices wait in `staging` and go in at the end, many rows per statement:
        // one statement per row costs SQLite about a third more (it opens and seeks every index afresh).
        var staging = savepoints ? nil : try ImportStaging(db)
        func write(_ invoice: NewInvoice) throws {
            var existing: (id: Int64, customerID: Int64, same: Bool)?
            if !empty {
                let find = try statement(.findInvoice)
                try find.bind([.text(invoice.number)])
                if try find.step() {
                    let same =
                        find.text(2) == invoice.amount.currency.code && find.int(3) == invoice.amount.minorUnits
                        && find.text(4) == invoice.issuedOn.iso && find.text(5) == invoice.dueOn.iso
                        && find.text(6) == invoice.paymentURL && find.text(7) == invoice.externalRef
                    existing = (find.int(0) ?? 0, find.int(1) ?? 0, same)
                }
                find.reset()
            }
            // A customer known by neither phone nor reference stays the one the invoice has.
            let customerID: Int64
            if let existing, invoice.customer.phone == nil, invoice.customer.externalRef == nil {
                customerID = existing.customerID
                let update = try statement(.renameCustomer)
                try update.run([.text(invoice.customer.name), .text(invoice.customer.email), .int(customerID)])
            } else if staging != nil {
                customerID =
                    try upsertImportedCustomer(invoice.customer, statement: statement)
                    ?? staging!.customer(invoice.customer)
            } else {
                customerID =
                    try upsertImportedCustomer(invoice.customer, statement: statement)
                    ?? insertImportedCustomer(invoice.customer, createdAt: nowText, statement: statement)
            }
            let values: [ImportStatement.Value] = [
                .int(customerID), .text(invoice.amount.currency.code), .int(invoice.amount.minorUnits),
                .text(invoice.issuedOn.iso), .text(invoice.dueOn.iso), .text(invoice.paymentURL),
                .text(invoice.externalRef),
            ]
            if let existing {
                // An invoice that exists cannot point at a customer not written yet.
                if let staging, customerID >= staging.firstID { throw ImportStaging.NeedsRows() }
                if existing.same && existing.customerID == customerID {
                    counts.unchanged += 1
                } else {
                    try statement(.updateInvoice).run(values + [.text(nowText), .text(nowText), .int(existing.id)])
                    counts.updated += 1
                }
            } else if staging != nil {
                staging!.invoices.append((invoice, customerID))
                counts.created += 1
            } else {
                try statement(.insertInvoice).run(
                    [.text(invoice.number)] + values + [.text(nowText), .text(nowText), .text(nowText)])
                counts.created += 1
            }
        }
        for (line, invoice) in rows {
            guard savepoints else {
                try write(invoice)
                continue
            }
            do {
                try db.inSavepoint {
                    try write(invoice)
                    return .commit
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                counts.refused.append("line \(line): \(error.message ?? "refused by the database")")
            }
        }
        try staging?.write(db, createdAt: nowText)
        return counts
    }

    /// The customer a row names, when the database has it (by reference, else by phone): updated with
    /// the row's details. Nil when it is new.
    static func upsertImportedCustomer(_ customer: CustomerInput, statement: (ImportSQL) throws -> ImportStatement)
        throws -> Int64?
    {
        var existing: Int64?
        let find: ImportStatement?
        if let ref = customer.externalRef {
            find = try statement(.customerByRef)
            try find?.bind([.text(ref)])
        } else if let phone = customer.phone {
            find = try statement(.customerByPhone)
            try find?.bind([.text(phone.e164)])
        } else {
            find = nil
        }
        if let find {
            if try find.step() { existing = find.int(0) }
            find.reset()
        }
        guard let existing else { return nil }
        try statement(.updateCustomer).run([
            .text(customer.name), .text(customer.phone?.e164), .text(customer.email), .text(customer.locale),
            .text(customer.timeZone), .int(existing),
        ])
        return existing
    }

    static func insertImportedCustomer(
        _ customer: CustomerInput, createdAt: String, statement: (ImportSQL) throws -> ImportStatement
    ) throws -> Int64 {
        let insert = try statement(.insertCustomer)
        try insert.run([
            .text(customer.name), .text(customer.phone?.e164), .text(customer.email), .text(customer.locale),
            .text(customer.timeZone), .text(customer.externalRef), .text(createdAt),
        ])
        return insert.lastInsertedRowID
    }
}

/// The customers and invoices of one batch that the database does not have yet, held until the batch
/// ends and then written many rows per statement. Customers get their ids here (the next free ones,
/// as SQLite would give them), so invoices can name them; a later row of the batch that names one of
/// them (same reference, or same phone) finds it here, as the row-by-row path finds it in the database.
struct ImportStaging {
    /// A batch this cannot stage exactly as the row-by-row path would write it (a staged customer's
    /// phone changing, an existing invoice moving to a new customer): the caller redoes it row by row.
    struct NeedsRows: Error {}

    struct Customer {
        var id: Int64
        var name: String
        var phone: String?
        var email: String?
        var locale: String?
        var timeZone: String?
        var ref: String?
    }

    var customers: [Customer] = []
    var byPhone: [String: Int] = [:]
    var byRef: [String: Int] = [:]
    var invoices: [(invoice: NewInvoice, customerID: Int64)] = []
    /// The first id given here: customers from it on are not in the database until `write`.
    let firstID: Int64
    var nextID: Int64

    init(_ db: Database) throws {
        firstID = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM customer") ?? 1
        nextID = firstID
    }

    /// The id of the staged customer this row names, updated as the database's would be, or a new one.
    /// Called only once the database had no match: its customers are older, and win as `ORDER BY id` does.
    mutating func customer(_ input: CustomerInput) throws -> Int64 {
        let phone = input.phone?.e164
        let match = input.externalRef.map { byRef[$0] } ?? phone.flatMap { byPhone[$0] }
        if let index = match {
            var known = customers[index]
            if let phone, phone != known.phone { throw NeedsRows() }
            known.name = input.name
            known.email = input.email ?? known.email
            known.locale = input.locale ?? known.locale
            known.timeZone = input.timeZone ?? known.timeZone
            customers[index] = known
            return known.id
        }
        let id = nextID
        nextID += 1
        customers.append(
            Customer(
                id: id, name: input.name, phone: phone, email: input.email, locale: input.locale,
                timeZone: input.timeZone, ref: input.externalRef))
        if let ref = input.externalRef { byRef[ref] = customers.count - 1 }
        if let phone, byPhone[phone] == nil { byPhone[phone] = customers.count - 1 }
        return id
    }

    /// Writes what was staged: many rows per `INSERT … VALUES` statement, so SQLite keeps each table's
    /// indexes open across them as a set-based insert does (one statement per row seeks every index
    /// afresh and costs about a third more). A row the database refuses fails its statement, and the
    /// caller redoes the batch row by row.
    func write(_ db: Database, createdAt: String) throws {
        try Self.insert(
            db, customers, into: "customer (id, name, phone, email, locale, time_zone, external_ref, created_at)",
            columns: 8
        ) { staged, row in
            row.int(staged.id)
            row.text(staged.name)
            row.text(staged.phone)
            row.text(staged.email)
            row.text(staged.locale)
            row.text(staged.timeZone)
            row.text(staged.ref)
            row.text(createdAt)
        }
        try Self.insert(
            db, invoices,
            into: """
                invoice (number, customer_id, currency, amount, issued_on, due_on, payment_url, external_ref,
                    created_at, updated_at, next_action_at)
                """, columns: 11
        ) { staged, row in
            row.text(staged.invoice.number)
            row.int(staged.customerID)
            row.text(staged.invoice.amount.currency.code)
            row.int(staged.invoice.amount.minorUnits)
            row.text(staged.invoice.issuedOn.iso)
            row.text(staged.invoice.dueOn.iso)
            row.text(staged.invoice.paymentURL)
            row.text(staged.invoice.externalRef)
            row.text(createdAt)
            row.text(createdAt)
            row.text(createdAt)
        }
    }

    /// Rows per statement: SQLite takes at most 32,766 parameters in one.
    static let rowsPerStatement = 256

    /// `items` inserted in order, `rowsPerStatement` at a time, each item adding `columns` values to a row.
    static func insert<Item>(
        _ db: Database, _ items: [Item], into target: String, columns: Int, values: (Item, inout ImportRows) -> Void
    ) throws {
        guard !items.isEmpty else { return }
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        var full: ImportStatement?
        var rows = ImportRows()
        var start = 0
        while start < items.count {
            let count = min(rowsPerStatement, items.count - start)
            rows.removeAll()
            for item in items[start..<start + count] { values(item, &rows) }
            precondition(rows.count == count * columns, "each item gives \(columns) values")
            let statement: ImportStatement
            if count == rowsPerStatement, let full {
                statement = full
            } else {
                let sql =
                    "INSERT INTO " + target + " VALUES " + Array(repeating: row, count: count).joined(separator: ",")
                statement = ImportStatement(db, try db.makeStatement(sql: sql))
                if count == rowsPerStatement { full = statement }
            }
            try statement.run(rows)
            start += count
        }
    }
}

/// The values of many rows for one statement, their texts' bytes side by side in one buffer: bound
/// without SQLite copying each text (which costs a third of the staged rows' writing), and without an
/// array per row.
struct ImportRows {
    enum Value {
        case null
        case int(Int64)
        /// Where its bytes are in `bytes`.
        case text(offset: Int, count: Int)
    }

    var values: [Value] = []
    var bytes: [UInt8] = []

    var count: Int { values.count }

    mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func int(_ number: Int64?) { values.append(number.map { .int($0) } ?? .null) }

    mutating func text(_ text: String?) {
        guard let text else { return values.append(.null) }
        let offset = bytes.count
        bytes.append(contentsOf: text.utf8)
        values.append(.text(offset: offset, count: bytes.count - offset))
    }
}

/// The statements an import runs, prepared once per batch.
enum ImportSQL: Int, CaseIterable {
    case findInvoice, insertInvoice, updateInvoice, renameCustomer, customerByRef, customerByPhone, updateCustomer
    case insertCustomer

    var text: String {
        switch self {
        case .findInvoice:
            """
            SELECT id, customer_id, currency, amount, issued_on, due_on, payment_url, external_ref
            FROM invoice WHERE number = ?
            """
        case .insertInvoice:
            """
            INSERT INTO invoice (number, customer_id, currency, amount, issued_on, due_on, payment_url,
                external_ref, created_at, updated_at, next_action_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        case .updateInvoice:
            """
            UPDATE invoice SET customer_id = ?, currency = ?, amount = ?, issued_on = ?, due_on = ?,
                payment_url = ?, external_ref = ?, updated_at = ?, next_action_at = COALESCE(next_action_at, ?)
            WHERE id = ?
            """
        case .renameCustomer: "UPDATE customer SET name = ?, email = COALESCE(?, email) WHERE id = ?"
        case .customerByRef: "SELECT id FROM customer WHERE external_ref = ?"
        case .customerByPhone: "SELECT id FROM customer WHERE phone = ? ORDER BY id LIMIT 1"
        case .updateCustomer:
            """
            UPDATE customer SET name = ?, phone = COALESCE(?, phone), email = COALESCE(?, email),
                locale = COALESCE(?, locale), time_zone = COALESCE(?, time_zone)
            WHERE id = ?
            """
        case .insertCustomer:
            """
            INSERT INTO customer (name, phone, email, locale, time_zone, external_ref, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """
        }
    }
}

/// A GRDB statement bound and stepped directly through SQLite's C functions, for the import's loop.
/// Errors become GRDB's `DatabaseError`, so callers handle them as any other.
struct ImportStatement {
    enum Value {
        case text(String?)
        case int(Int64?)
    }

    let db: Database
    /// Held so SQLite's statement lives as long as this (a fresh one is finalized with its Statement).
    let statement: Statement
    let handle: OpaquePointer

    init(_ db: Database, _ statement: Statement) {
        self.db = db
        self.statement = statement
        handle = statement.sqliteStatement
    }

    /// SQLite copies each text while binding (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ values: [Value]) throws {
        sqlite3_reset(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(let text?):
                var text = text
                code = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Self.transient)
                    }
                }
            case .int(let number?): code = sqlite3_bind_int64(handle, index, number)
            case .text(nil), .int(nil): code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
    }

    /// True when a row is there to read.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = failure(code)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Binds `rows` and steps once. Their texts are bound in place (SQLITE_STATIC): SQLite reads them
    /// while the statement runs, and the bindings are cleared before `rows` can change.
    func run(_ rows: ImportRows) throws {
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        try rows.bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            for (offset, value) in rows.values.enumerated() {
                let index = Int32(offset + 1)
                let code: Int32
                switch value {
                case .null: code = sqlite3_bind_null(handle, index)
                case .int(let number): code = sqlite3_bind_int64(handle, index, number)
                case .text(let start, let count):
                    if let base {
                        code = sqlite3_bind_text(handle, index, base + start, Int32(count), nil)
                    } else {
                        // No bytes at all (only empty texts): a copied "" (a null pointer would bind NULL).
                        code = sqlite3_bind_text(handle, index, "", 0, Self.transient)
                    }
                }
                guard code == SQLITE_OK else { throw failure(code) }
            }
            _ = try step()
        }
    }

    func run(_ values: [Value]) throws {
        try bind(values)
        _ = try step()
        sqlite3_reset(handle)
    }

    func reset() { sqlite3_reset(handle) }

    func int(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    var lastInsertedRowID: Int64 { db.lastInsertedRowID }

    private func failure(_ code: Int32) -> DatabaseError {
        let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }
}

extension Store {
    /// How many of these invoice numbers are already in the database.
    public func knownInvoiceCount(numbers: [String]) async throws -> Int {
        try await pool.read { db in
            let known = try db.cachedStatement(sql: "SELECT 1 FROM invoice WHERE number = ?")
            return try numbers.reduce(0) { count, number in count + (try Int.fetchOne(known, arguments: [number]) ?? 0)
            }
        }
    }
}
