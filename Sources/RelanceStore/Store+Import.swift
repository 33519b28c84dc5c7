import Foundation
import GRDB
import RelanceCore

/// Invoices from a spreadsheet: which column is which, what each row says, and the errors with their
/// line numbers. Every row is checked before any is written.
/// What is wrong with a file or a row, each message starting with its line when it has one.
public struct ImportProblems: Error, Equatable, Sendable {
    public var messages: [String]

    public init(_ messages: [String]) { self.messages = messages }
}

public enum InvoiceImport {
    public enum Field: String, CaseIterable, Sendable {
        case number, customer_name, customer_phone, customer_email, customer_locale, customer_ref, currency, amount
        case issued_on, due_on, external_ref, payment_url
    }

    public static let required: [Field] = [.number, .customer_name, .amount, .due_on]

    /// Column titles people use, in English and French, lowercased.
    static let aliases: [String: Field] = {
        var table: [String: Field] = [:]
        for field in Field.allCases { table[field.rawValue] = field }
        let words: [(Field, [String])] = [
            (
                .number,
                ["invoice", "invoice number", "invoice no", "number", "numéro", "numero", "facture", "n° facture"]
            ),
            (
                .customer_name,
                ["customer", "client", "name", "nom", "customer name", "nom du client", "raison sociale"]
            ),
            (.customer_phone, ["phone", "mobile", "téléphone", "telephone", "tel", "portable"]),
            (.customer_email, ["email", "e-mail", "courriel", "mail"]),
            (.customer_locale, ["locale", "language", "langue"]),
            (.customer_ref, ["customer ref", "customer id", "code client", "réf client", "ref client"]),
            (.currency, ["devise"]),
            (.amount, ["montant", "total", "montant ttc", "amount due", "total ttc"]),
            (.issued_on, ["issued", "issue date", "date", "date facture", "date d'émission"]),
            (.due_on, ["due", "due date", "échéance", "echeance", "date d'échéance", "date d'echeance"]),
            (.external_ref, ["reference", "référence", "ref", "external ref"]),
            (.payment_url, ["payment url", "payment link", "lien de paiement"]),
        ]
        for (field, names) in words { for name in names { table[name] = field } }
        return table
    }()

    /// Which column holds each field: the header's titles, then `overrides` (column title → field name).
    public static func columns(header: [String], overrides: [String: String]) -> Result<[Field: Int], ImportProblems> {
        var errors: [String] = []
        var found: [Field: Int] = [:]
        let titles = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for (index, title) in titles.enumerated() {
            if let field = aliases[title], found[field] == nil { found[field] = index }
        }
        for (column, fieldName) in overrides {
            guard let field = Field(rawValue: fieldName) else {
                errors.append(
                    "--map \(column)=\(fieldName): no such field (\(Field.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                continue
            }
            guard let index = titles.firstIndex(of: column.lowercased()) else {
                errors.append("--map \(column)=\(fieldName): the header has no column '\(column)'")
                continue
            }
            found[field] = index
        }
        for field in required where found[field] == nil {
            errors.append("no column for \(field.rawValue); name one with --map 'COLUMN=\(field.rawValue)'")
        }
        return errors.isEmpty ? .success(found) : .failure(ImportProblems(errors))
    }

    /// The invoice a row describes, or what is wrong with it (each message starts with its line).
    public static func invoice(_ record: CSVReader.Record, columns: [Field: Int], today: CalendarDate)
        -> Result<NewInvoice, ImportProblems>
    {
        var errors: [String] = []
        func value(_ field: Field) -> String? {
            guard let index = columns[field], index < record.fields.count else { return nil }
            let text = trimmed(record.fields[index])
            return text.isEmpty ? nil : text
        }
        func fail(_ field: Field, _ message: String) {
            errors.append("line \(record.line): \(field.rawValue): \(message)")
        }
        let number = value(.number)
        if let number, number.unicodeScalars.count > 64 {
            fail(.number, "at most 64 characters")
        } else if number == nil {
            fail(.number, "is empty")
        }
        let name = value(.customer_name)
        if let name, name.unicodeScalars.count > 200 {
            fail(.customer_name, "at most 200 characters")
        } else if name == nil {
            fail(.customer_name, "is empty")
        }
        var phone: PhoneNumber?
        if let raw = value(.customer_phone) {
            let punctuation = raw.utf8.contains { byte in Self.phonePunctuation.contains(byte) }
            phone = PhoneNumber(punctuation ? raw.filter { !" .-()".contains($0) } : raw)
            if phone == nil {
                fail(.customer_phone, "'\(raw)' is not an international number such as +33 6 12 34 56 78")
            }
        }
        let email = value(.customer_email)
        if let email, !email.contains("@") || email.unicodeScalars.count > 254 {
            fail(.customer_email, "'\(email)' is not an email address")
        }
        let locale = value(.customer_locale).map { String($0.prefix(2)).lowercased() }
        if let locale, Language(rawValue: locale) == nil { fail(.customer_locale, "fr or en") }
        let currency = Currency(code: (value(.currency) ?? "EUR").uppercased())
        if currency == nil { fail(.currency, "'\(value(.currency) ?? "")' is not an ISO 4217 code") }
        var amount: Int64?
        if let raw = value(.amount), let currency {
            amount = TypedAmount.parse(raw, currency: currency)
            if amount == nil || amount == 0 { fail(.amount, "'\(raw)' is not an amount of \(currency.code)") }
        } else if value(.amount) == nil {
            fail(.amount, "is empty")
        }
        let due = value(.due_on).flatMap(date)
        if due == nil { fail(.due_on, "'\(value(.due_on) ?? "")' is not a date (2026-03-31 or 31/03/2026)") }
        var issued = due.map { min($0, today) }
        if let raw = value(.issued_on) {
            issued = date(raw)
            if issued == nil { fail(.issued_on, "'\(raw)' is not a date") }
        }
        if let issued, let due, issued > due { fail(.issued_on, "comes after the due date") }
        let url = value(.payment_url)
        if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) { fail(.payment_url, "not a web address") }
        guard errors.isEmpty, let number, let name, let currency, let amount, let issued, let due else {
            return .failure(ImportProblems(errors))
        }
        return .success(
            NewInvoice(
                number: number,
                customer: CustomerInput(
                    name: name, phone: phone, email: email, locale: locale, externalRef: value(.customer_ref)),
                amount: Money(minorUnits: amount, currency: currency), issuedOn: issued, dueOn: due,
                externalRef: value(.external_ref), paymentURL: url))
    }

    /// Space, dot, dash and brackets, as people write phone numbers.
    static let phonePunctuation: Set<UInt8> = [32, 46, 45, 40, 41]

    /// Without the white space around it. Most cells have none: they are returned as they are, without
    /// Foundation's (slow, on Linux) trimming, which a 100,000-row import would otherwise spend a
    /// fifth of its time in.
    static func trimmed(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last else { return text }
        if first > 32 && first < 128 && last > 32 && last < 128 { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `2026-03-31`, `31/03/2026`, `31.03.2026` or `31-03-2026`.
    static func date(_ text: String) -> CalendarDate? {
        if let iso = CalendarDate(iso: text) { return iso }
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" })
        guard parts.count == 3, let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2]),
            parts[2].count == 4
        else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }
}

/// What an import did.
public struct ImportCounts: Sendable, Equatable {
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    /// Rows the database refused (an external reference another invoice already has…), with their line.
    public var refused: [String] = []

    public init() {}
}

extension Store {
    /// Writes one batch of checked rows in one transaction: an invoice whose number exists is updated
    /// (only when something changed), others are created. Importing the same file twice changes nothing.
    public func importInvoices(_ rows: [(line: Int, invoice: NewInvoice)], now: Date) async throws -> ImportCounts {
        // The whole batch in one go; only if the database refuses a row is the batch redone row by row, each
        // in a savepoint, so one bad row costs itself and nothing else.
        do {
            return try await pool.write { db in try Store.importBatch(db, rows, now: now, savepoints: false) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return try await pool.write { db in try Store.importBatch(db, rows, now: now, savepoints: true) }
        }
    }

    static func importBatch(_ db: Database, _ rows: [(line: Int, invoice: NewInvoice)], now: Date, savepoints: Bool)
        throws -> ImportCounts
    {
        var counts = ImportCounts()
        // The instant as stored, formatted once: GRDB formats a Date with a DateFormatter on every bind.
        let nowText = Store.timestamp(now)
        // Statements are prepared once per batch, but afresh for each row when rows may fail: SQLite keeps
        // a failed statement's error, and reusing it would refuse the rows after it too.
        func statement(_ sql: String) throws -> Statement {
            savepoints ? try db.makeStatement(sql: sql) : try db.cachedStatement(sql: sql)
        }
        let findSQL = """
            SELECT id, customer_id, currency, amount, issued_on, due_on, payment_url, external_ref
            FROM invoice WHERE number = ?
            """
        let insertSQL = """
            INSERT INTO invoice (number, customer_id, currency, amount, issued_on, due_on, payment_url,
                external_ref, created_at, updated_at, next_action_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        let updateSQL = """
            UPDATE invoice SET customer_id = ?, currency = ?, amount = ?, issued_on = ?, due_on = ?,
                payment_url = ?, external_ref = ?, updated_at = ?, next_action_at = COALESCE(next_action_at, ?)
            WHERE id = ?
            """
        func write(_ invoice: NewInvoice) throws {
            let row = try Row.fetchOne(try statement(findSQL), arguments: [invoice.number])
            // A customer known by neither phone nor reference stays the one the invoice has.
            let customerID: Int64
            if let row, invoice.customer.phone == nil, invoice.customer.externalRef == nil {
                customerID = row["customer_id"]
                try statement("UPDATE customer SET name = ?, email = COALESCE(?, email) WHERE id = ?")
                    .execute(arguments: [invoice.customer.name, invoice.customer.email, customerID])
            } else {
                customerID = try Store.upsertCustomer(db, invoice.customer, createdAt: nowText)
            }
            let values: [DatabaseValueConvertible?] = [
                customerID, invoice.amount.currency.code, invoice.amount.minorUnits, invoice.issuedOn.iso,
                invoice.dueOn.iso, invoice.paymentURL, invoice.externalRef,
            ]
            if let row {
                let current: [DatabaseValueConvertible?] = [
                    row["customer_id"] as Int64, row["currency"] as String, row["amount"] as Int64,
                    row["issued_on"] as String, row["due_on"] as String, row["payment_url"] as String?,
                    row["external_ref"] as String?,
                ]
                if zip(values, current).allSatisfy({ $0?.databaseValue == $1?.databaseValue }) {
                    counts.unchanged += 1
                } else {
                    try statement(updateSQL).execute(
                        arguments: StatementArguments(values + [nowText, nowText, row["id"] as Int64]))
                    counts.updated += 1
                }
            } else {
                try statement(insertSQL).execute(
                    arguments: StatementArguments(
                        [invoice.number as DatabaseValueConvertible?] + values + [nowText, nowText, nowText]))
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
        return counts
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
