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
        /// A refusal of the rules no column explains (none is known today): their own English words.
        case refused
    }

    public var line: Int
    public var field: InvoiceImport.Field
    public var code: Code
    /// What the message names: the cell as typed, a limit, a currency, the line a number first appeared on;
    /// for `.refused`, the rules' own English words.
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
            case .refused: "refused: \(value(0))"
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
            let text = PlainText.trimmed(record.fields[index])
            if !text.isEmpty { cells[field.position] = text }
        }
        func value(_ field: Field) -> String? { cells[field.position] }
        func fail(_ field: Field, _ code: RowProblem.Code, _ values: String...) {
            errors.append(RowProblem(line: record.line, field: field, code: code, values: values.map(quoted)))
        }
        // The API's rule: a cell may hold line breaks inside quotes, but no field takes control characters.
        for field in Field.allCases where cells[field.position].map { PlainText.hasControlCharacters($0) } == true {
            fail(field, .control)
            cells[field.position] = nil
        }
        // What a spreadsheet writes its own way is read here: phone numbers with spaces, dots or dashes,
        // French dates and amounts, a language's name cut to its code, a currency in lower case or left out.
        var phone: PhoneNumber?
        if let raw = value(.customer_phone) {
            phone = PhoneNumber(typed: raw)
            if phone == nil { fail(.customer_phone, .phone, raw) }
        }
        let locale = value(.customer_locale).map { String($0.prefix(2)).lowercased() }
        if let locale, Language(rawValue: locale) == nil { fail(.customer_locale, .locale) }
        let currency = Currency(code: (value(.currency) ?? "EUR").uppercased())
        if currency == nil { fail(.currency, .currency, value(.currency) ?? "") }
        var amount: Int64?
        if let raw = value(.amount), let currency {
            // The rules refuse an amount out of bounds; here, text that is no amount at all.
            amount = TypedAmount.parse(raw, currency: currency)
            if amount == nil { fail(.amount, .amount, raw, currency.code) }
        }
        var draft = InvoiceDraft()
        if value(.amount) == nil {
            draft.amountProblem = "is required"
            draft.amountProblemCode = .required
        }
        let due = value(.due_on).flatMap(date)
        if due == nil, let raw = value(.due_on) { fail(.due_on, .dueDate, raw) }
        var issued = due.map { min($0, today) }
        if let raw = value(.issued_on) {
            issued = date(raw)
            if issued == nil { fail(.issued_on, .issuedDate, raw) }
        }
        // Then the API's rules, so an imported invoice is one the API would have taken: a column is worded
        // once, by the first problem found in it.
        draft.number = value(.number)
        draft.customer?.name = value(.customer_name)
        draft.customer?.phone = phone?.e164
        draft.customer?.email = value(.customer_email)
        draft.customer?.locale = locale
        draft.customer?.ref = value(.customer_ref)
        draft.currency = currency?.code
        draft.amount = amount
        draft.issuedOn = issued?.iso
        draft.dueOn = due?.iso
        draft.externalRef = value(.external_ref)
        draft.paymentURL = value(.payment_url)
        do throws(FieldProblems) {
            let invoice = try InvoiceRules.check(draft)
            if errors.isEmpty { return .success(invoice) }
        } catch {
            var found = Set(errors.map(\.field))
            // Without its own cell, the issue date is taken from the due date: its problem is the due date's.
            if value(.issued_on) == nil { found.insert(.issued_on) }
            for problem in error.list {
                guard let (field, code, values) = rowProblem(problem, value), !found.contains(field) else { continue }
                errors.append(RowProblem(line: record.line, field: field, code: code, values: values))
                found.insert(field)
            }
            // Never a row refused without a word.
            if errors.isEmpty {
                let words = error.list.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
                errors.append(RowProblem(line: record.line, field: .number, code: .refused, values: [words]))
            }
        }
        // In the order of the fields, as a person reads the row.
        let ordered = errors.enumerated().sorted {
            ($0.element.field.position, $0.offset) < ($1.element.field.position, $1.offset)
        }
        return .failure(ImportProblems(rows: ordered.map(\.element)))
    }

    /// A problem the rules found, as the import words it: the column, and the cell as typed.
    static func rowProblem(_ problem: FieldProblems.Problem, _ cell: (Field) -> String?)
        -> (Field, RowProblem.Code, [String])?
    {
        let field: Field
        switch problem.field {
        case "number": field = .number
        case "customer.name": field = .customer_name
        case "customer.phone": field = .customer_phone
        case "customer.email": field = .customer_email
        case "customer.locale": field = .customer_locale
        case "customer.external_ref": field = .customer_ref
        case "currency": field = .currency
        case "amount": field = .amount
        case "issued_on": field = .issued_on
        // The import says the issue date comes after the due date, where the API says the reverse.
        case "due_on": field = problem.code == .dueBeforeIssued ? .issued_on : .due_on
        case "external_ref": field = .external_ref
        case "payment_url": field = .payment_url
        default: return nil
        }
        let typed = quoted(cell(field) ?? "")
        switch problem.code {
        case .required, .empty: return (field, .empty, [])
        case .tooLong: return (field, .tooLong, problem.arguments)
        case .controlCharacters: return (field, .control, [])
        case .phone: return (field, .phone, [typed])
        case .email: return (field, .email, [typed])
        case .locale: return (field, .locale, [])
        case .currency: return (field, .currency, [typed])
        case .amount: return (field, .amount, [typed, problem.arguments.last ?? ""])
        case .date: return (field, field == .due_on ? .dueDate : .issuedDate, [typed])
        case .dueBeforeIssued: return (field, .issuedAfterDue, [])
        case .url: return (field, .url, [])
        // No column holds a time zone, and the rules word nothing else with `.other`.
        case .timeZone, .other: return nil
        }
    }

    /// A cell as a message quotes it: as typed, but not at any length (a field may hold 64 KiB).
    static func quoted(_ text: String) -> String { text.count > 100 ? String(text.prefix(100)) + "…" : text }

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
