import Foundation
import RelanceCore

// Invoices from a spreadsheet: which column is which, what each row says, and the errors with their
// line numbers. Every row is checked before any is written.

/// What is wrong with a file or a row, each message starting with its line when it has one.
public struct ImportProblems: Error, Equatable, Sendable {
    public var messages: [String]
    /// The same problems of a row, in parts a page can word in its reader's language.
    public var rows: [RowProblem] = []

    public init(_ messages: [String]) { self.messages = messages }

    init(rows: [RowProblem]) {
        self.rows = rows
        messages = rows.map(\.message)
    }
}

/// What is wrong with one cell of a spreadsheet row.
public struct RowProblem: Equatable, Sendable {
    public enum Code: String, Sendable {
        case control, tooLong, empty, phone, email, locale, currency, amount, dueDate, issuedDate, issuedAfterDue
        case url, repeated
    }

    public var line: Int
    public var field: InvoiceImport.Field
    public var code: Code
    /// What the message names: the cell as typed, a limit, a currency, the line a number first appeared on.
    public var values: [String]

    public init(line: Int, field: InvoiceImport.Field, code: Code, values: [String] = []) {
        self.line = line
        self.field = field
        self.code = code
        self.values = values
    }

    /// In English, as `relance import` prints it: `line 3: amount: '12,x' is not an amount of EUR`.
    public var message: String {
        func value(_ index: Int) -> String { values.indices.contains(index) ? values[index] : "" }
        let text =
            switch code {
            case .control: "contains a control character (a line break, tab or invisible code)"
            case .tooLong: "at most \(value(0)) characters"
            case .empty: "is empty"
            case .phone: "'\(value(0))' is not an international number such as +33 6 12 34 56 78"
            case .email: "'\(value(0))' is not an email address"
            case .locale: "fr or en"
            case .currency: "'\(value(0))' is not an ISO 4217 code"
            case .amount: "'\(value(0))' is not an amount of \(value(1))"
            case .dueDate: "'\(value(0))' is not a date (2026-03-31 or 31/03/2026)"
            case .issuedDate: "'\(value(0))' is not a date"
            case .issuedAfterDue: "comes after the due date"
            case .url: "not a web address"
            case .repeated: "\(value(0)) is already on line \(value(1))"
            }
        return "line \(line): \(field.rawValue): \(text)"
    }
}

public enum InvoiceImport {
    public enum Field: String, CaseIterable, Sendable {
        case number, customer_name, customer_phone, customer_email, customer_locale, customer_ref, currency, amount
        case issued_on, due_on, external_ref, payment_url

        /// Its place in `allCases`.
        var position: Int {
            switch self {
            case .number: 0
            case .customer_name: 1
            case .customer_phone: 2
            case .customer_email: 3
            case .customer_locale: 4
            case .customer_ref: 5
            case .currency: 6
            case .amount: 7
            case .issued_on: 8
            case .due_on: 9
            case .external_ref: 10
            case .payment_url: 11
            }
        }
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

    /// Which column holds each field: the header's titles, then `overrides` (column title → field name, or
    /// "" for a column to leave out).
    public static func columns(header: [String], overrides: [String: String]) -> Result<[Field: Int], ImportProblems> {
        let (found, errors) = matched(header: header, overrides: overrides)
        return errors.isEmpty ? .success(found) : .failure(ImportProblems(errors))
    }

    /// The columns the titles and `overrides` name, and what is wrong (an unknown field or column, a
    /// required field no column holds): the matches are kept either way, for a page to show them.
    public static func matched(header: [String], overrides: [String: String]) -> (
        columns: [Field: Int], problems: [String]
    ) {
        var errors: [String] = []
        var found: [Field: Int] = [:]
        let titles = header.map(title)
        for (index, title) in titles.enumerated() {
            if let field = aliases[title], found[field] == nil { found[field] = index }
        }
        for (column, fieldName) in overrides.sorted(by: { $0.key < $1.key }) {
            if fieldName.isEmpty, let index = titles.firstIndex(of: title(column)) {
                // "" leaves the column out, even where its title names a field.
                for (field, at) in found where at == index { found[field] = nil }
                continue
            }
            guard let field = Field(rawValue: fieldName) else {
                errors.append(
                    "--map \(column)=\(fieldName): no such field (\(Field.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                continue
            }
            guard let index = titles.firstIndex(of: title(column)) else {
                errors.append("--map \(column)=\(fieldName): the header has no column '\(column)'")
                continue
            }
            // A column holds one field: the one named here replaces the one its title suggested.
            for (other, at) in found where at == index { found[other] = nil }
            found[field] = index
        }
        for field in required where found[field] == nil {
            errors.append("no column for \(field.rawValue); name one with --map 'COLUMN=\(field.rawValue)'")
        }
        return (found, errors)
    }

    /// A column's title as it is matched: without the space around it, in lower case.
    public static func title(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The invoice a row describes, or what is wrong with it (each message starts with its line).
    public static func invoice(_ record: CSVReader.Record, columns: [Field: Int], today: CalendarDate)
        -> Result<NewInvoice, ImportProblems>
    {
        var errors: [RowProblem] = []
        // Each cell trimmed once, by field (an array: a dictionary lookup per use was a visible cost).
        var cells = [String?](repeating: nil, count: Field.allCases.count)
        for (field, index) in columns where index < record.fields.count {
            let text = trimmed(record.fields[index])
            if !text.isEmpty { cells[field.position] = text }
        }
        func value(_ field: Field) -> String? { cells[field.position] }
        func fail(_ field: Field, _ code: RowProblem.Code, _ values: String...) {
            // A cell is quoted as typed, but not at any length (a field may hold 64 KiB).
            let shown = values.map { $0.count > 100 ? String($0.prefix(100)) + "…" : $0 }
            errors.append(RowProblem(line: record.line, field: field, code: code, values: shown))
        }
        // The API's rule: a cell may hold line breaks inside quotes, but no field takes control characters.
        for field in Field.allCases where cells[field.position].map { PlainText.hasControlCharacters($0) } == true {
            fail(field, .control)
            cells[field.position] = nil
        }
        let number = value(.number)
        if let number, number.unicodeScalars.count > InvoiceRules.Limit.number {
            fail(.number, .tooLong, String(InvoiceRules.Limit.number))
        } else if number == nil {
            fail(.number, .empty)
        }
        let name = value(.customer_name)
        if let name, name.unicodeScalars.count > InvoiceRules.Limit.customerName {
            fail(.customer_name, .tooLong, String(InvoiceRules.Limit.customerName))
        } else if name == nil {
            fail(.customer_name, .empty)
        }
        var phone: PhoneNumber?
        if let raw = value(.customer_phone) {
            phone = PhoneNumber(typed: raw)
            if phone == nil {
                fail(.customer_phone, .phone, raw)
            }
        }
        let email = value(.customer_email)
        if let email, !EmailAddress.isValid(email) { fail(.customer_email, .email, email) }
        let locale = value(.customer_locale).map { String($0.prefix(2)).lowercased() }
        if let locale, Language(rawValue: locale) == nil { fail(.customer_locale, .locale) }
        func bounded(_ field: Field, _ limit: Int) {
            if let text = value(field), text.unicodeScalars.count > limit { fail(field, .tooLong, String(limit)) }
        }
        bounded(.customer_ref, InvoiceRules.Limit.externalRef)
        bounded(.external_ref, InvoiceRules.Limit.externalRef)
        let currency = Currency(code: (value(.currency) ?? "EUR").uppercased())
        if currency == nil { fail(.currency, .currency, value(.currency) ?? "") }
        var amount: Int64?
        if let raw = value(.amount), let currency {
            amount = TypedAmount.parse(raw, currency: currency)
            if let parsed = amount, !Money.acceptedMinorUnits.contains(parsed) { amount = nil }
            if amount == nil { fail(.amount, .amount, raw, currency.code) }
        } else if value(.amount) == nil {
            fail(.amount, .empty)
        }
        let due = value(.due_on).flatMap(date)
        if due == nil { fail(.due_on, .dueDate, value(.due_on) ?? "") }
        var issued = due.map { min($0, today) }
        if let raw = value(.issued_on) {
            issued = date(raw)
            if issued == nil { fail(.issued_on, .issuedDate, raw) }
        }
        if let issued, let due, issued > due { fail(.issued_on, .issuedAfterDue) }
        // The API's rules for a payment page, so an imported invoice is one the API would have taken.
        let url = value(.payment_url)
        if let url, url.unicodeScalars.count > InvoiceRules.Limit.paymentURL {
            fail(.payment_url, .tooLong, String(InvoiceRules.Limit.paymentURL))
        } else if let url, !WebAddress.isHTTP(url) {
            fail(.payment_url, .url)
        }
        guard errors.isEmpty, let number, let name, let currency, let amount, let issued, let due else {
            return .failure(ImportProblems(rows: errors))
        }
        return .success(
            NewInvoice(
                number: number,
                customer: CustomerInput(
                    name: name, phone: phone, email: email, locale: locale, externalRef: value(.customer_ref)),
                amount: Money(minorUnits: amount, currency: currency), issuedOn: issued, dueOn: due,
                externalRef: value(.external_ref), paymentURL: url))
    }

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
