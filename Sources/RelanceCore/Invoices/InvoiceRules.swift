import Foundation

/// A new invoice as a billing system sends it, a person types it or a spreadsheet's row holds it, before
/// any check: the API, the dashboard's "New invoice" and correction forms and the import fill one and
/// check it with `InvoiceRules`, so an invoice one of them accepts the others accept too. The amount
/// arrives already in minor units (a JSON integer, or what was typed read in the invoice's currency); a
/// problem reading it is passed along.
public struct InvoiceDraft: Sendable, Equatable {
    public var number: String?
    /// Nil when no customer at all was given (the API's `customer` object missing).
    public var customer: CustomerDraft? = CustomerDraft()
    public var currency: String?
    public var amount: Int64?
    /// Why the amount could not be read, when it could not.
    public var amountProblem: String?
    /// What kind of problem `amountProblem` is, for a reader of another language (`.required`, `.amount`),
    /// and what it names (for `.amount`: the text as typed and the currency's code). When nil, it is
    /// `.required` for a message starting "is required", else `.amount`.
    public var amountProblemCode: FieldProblems.Problem.Code?
    public var amountProblemArguments: [String] = []
    public var issuedOn: String?
    public var dueOn: String?
    public var externalRef: String?
    public var paymentURL: String?

    public init() {}
}

/// Every problem of a draft, each with the API's name for its field (`customer.phone`, `due_on`…), in the
/// order of the fields.
public struct FieldProblems: Error, Equatable, Sendable {
    public struct Problem: Equatable, Sendable {
        /// What is wrong, whatever the language it is told in: the dashboard words each code in the
        /// person's language, the API says `message`.
        public enum Code: String, Sendable, Equatable, CaseIterable {
            case required, empty
            case tooLong = "too_long"
            case controlCharacters = "control_characters"
            case phone, email, locale
            case timeZone = "time_zone"
            case currency, date
            case dueBeforeIssued = "due_before_issued"
            case url, amount
            /// A problem only `message` tells (one made with `init(field:message:)`).
            case other
        }

        public var field: String
        /// In English, as the API answers it.
        public var message: String
        public var code: Code
        /// What the message names besides the field: `.tooLong`'s limit, the code `.currency` refused,
        /// the text (its minor units, when the rules refuse its bounds) and the currency's code of `.amount`.
        public var arguments: [String]

        /// The most characters allowed, for `.tooLong`.
        public var limit: Int? { code == .tooLong ? arguments.first.flatMap { Int($0) } : nil }

        public init(field: String, message: String) {
            self.init(field: field, code: .other, message: message)
        }

        public init(field: String, code: Code, message: String, arguments: [String] = []) {
            self.field = field
            self.message = message
            self.code = code
            self.arguments = arguments
        }
    }

    public var list: [Problem]

    public init(_ list: [Problem]) { self.list = list }
}

/// A customer's details as sent or typed: with an invoice, or corrected on the customer's page.
public struct CustomerDraft: Sendable, Equatable {
    public var name: String?
    public var phone: String?
    public var email: String?
    public var locale: String?
    public var timeZone: String?
    public var ref: String?

    public init() {}
}

/// A customer's details: the rules an invoice's customer and the customer page's form both meet.
public enum CustomerRules {
    /// `prefix` names the fields as the caller's input does (`customer.` inside an invoice).
    public static func check(_ draft: CustomerDraft, prefix: String = "") throws(FieldProblems) -> CustomerInput {
        var problems: [FieldProblems.Problem] = []
        func fail(_ field: String, _ code: FieldProblems.Problem.Code, _ message: String, _ arguments: [String] = []) {
            problems.append(.init(field: prefix + field, code: code, message: message, arguments: arguments))
        }
        func text(_ value: String?, _ field: String, max: Int, required: Bool) -> String? {
            InvoiceRules.text(value, field, max: max, required: required, fail: fail)
        }
        let name = text(draft.name, "name", max: InvoiceRules.Limit.customerName, required: true)
        var phone: PhoneNumber?
        if let raw = text(draft.phone, "phone", max: InvoiceRules.Limit.phone, required: false) {
            // Strict: the API documents E.164, and the dashboard's forms hand over `PhoneNumber.compact` of
            // what was typed.
            phone = PhoneNumber(raw)
            if phone == nil { fail("phone", .phone, "must be in E.164 form, such as +33612345678") }
        }
        let email = text(draft.email, "email", max: InvoiceRules.Limit.email, required: false)
        if let email, !EmailAddress.isValid(email) { fail("email", .email, "is not an email address") }
        let locale = text(draft.locale, "locale", max: InvoiceRules.Limit.locale, required: false)
        if let locale, !InvoiceRules.looksLikeLocale(locale) {
            fail("locale", .locale, "must be a language tag such as fr or en-GB")
        }
        let zone = text(draft.timeZone, "time_zone", max: InvoiceRules.Limit.timeZone, required: false)
        if let zone, TimeZoneName.zone(zone) == nil {
            fail("time_zone", .timeZone, "must be an IANA time zone such as Europe/Paris")
        }
        let ref = text(draft.ref, "external_ref", max: InvoiceRules.Limit.externalRef, required: false)
        guard problems.isEmpty, let name else { throw FieldProblems(problems) }
        return CustomerInput(
            name: name, phone: phone, email: email, locale: locale, timeZone: zone, externalRef: ref)
    }
}

public enum InvoiceRules {
    /// The longest text each field takes, in Unicode scalars: the same for the API, the dashboard's forms
    /// and the import (which words a refusal its own way).
    public enum Limit {
        public static let number = 64
        public static let customerName = 200
        /// E.164 at its longest, `+` and 15 digits (a form's spaces are gone by then).
        public static let phone = 16
        public static let email = 254
        public static let locale = 35
        public static let timeZone = 64
        /// An invoice's and a customer's reference in the billing system.
        public static let externalRef = 100
        public static let paymentURL = 2000
    }

    /// Trimmed; nil when absent or blank (a problem when `required`); too long or with control characters
    /// is a problem.
    static func text(
        _ value: String?, _ field: String, max: Int, required: Bool,
        fail: (String, FieldProblems.Problem.Code, String, [String]) -> Void
    ) -> String? {
        guard let value else {
            if required { fail(field, .required, "is required", []) }
            return nil
        }
        let trimmed = PlainText.trimmed(value)
        if trimmed.isEmpty {
            if required { fail(field, .empty, "must not be empty", []) }
            return nil
        }
        // Never fewer bytes than scalars: most texts are shorter than their limit in bytes already.
        if trimmed.utf8.count > max && trimmed.unicodeScalars.count > max {
            fail(field, .tooLong, "must be at most \(max) characters", [String(max)])
        }
        if PlainText.hasControlCharacters(trimmed) {
            fail(field, .controlCharacters, "must not contain control characters", [])
        }
        return trimmed
    }

    /// The invoice a draft describes, or every problem with it.
    public static func check(_ draft: InvoiceDraft) throws(FieldProblems) -> NewInvoice {
        var problems: [FieldProblems.Problem] = []
        func fail(_ field: String, _ code: FieldProblems.Problem.Code, _ message: String, _ arguments: [String] = []) {
            problems.append(.init(field: field, code: code, message: message, arguments: arguments))
        }
        func text(_ value: String?, _ field: String, max: Int, required: Bool) -> String? {
            InvoiceRules.text(value, field, max: max, required: required, fail: fail)
        }
        let number = text(draft.number, "number", max: Limit.number, required: true)
        var customer: CustomerInput?
        if let draft = draft.customer {
            do throws(FieldProblems) {
                customer = try CustomerRules.check(draft, prefix: "customer.")
            } catch {
                problems += error.list
            }
        } else {
            fail("customer", .required, "is required")
        }
        var currency: Currency?
        if let code = text(draft.currency, "currency", max: 3, required: true) {
            currency = Currency(code: code)
            if currency == nil { fail("currency", .currency, "'\(code)' is not an ISO 4217 currency code", [code]) }
        }
        if let problem = draft.amountProblem {
            let code = draft.amountProblemCode ?? (problem.hasPrefix("is required") ? .required : .amount)
            fail("amount", code, problem, draft.amountProblemArguments)
        } else if let amount = draft.amount, !Money.acceptedMinorUnits.contains(amount) {
            fail(
                "amount", .amount, "must be from 1 to \(Money.maximumMinorUnits) minor units",
                [String(amount), currency?.code ?? ""])
        }
        func date(_ value: String?, _ field: String) -> CalendarDate? {
            guard let raw = text(value, field, max: 10, required: true) else { return nil }
            guard let parsed = CalendarDate(iso: raw) else {
                fail(field, .date, "must be a calendar date YYYY-MM-DD")
                return nil
            }
            return parsed
        }
        let issuedOn = date(draft.issuedOn, "issued_on")
        let dueOn = date(draft.dueOn, "due_on")
        if let issuedOn, let dueOn, dueOn < issuedOn {
            fail("due_on", .dueBeforeIssued, "must not be before issued_on")
        }
        let externalRef = text(draft.externalRef, "external_ref", max: Limit.externalRef, required: false)
        let paymentURL = text(draft.paymentURL, "payment_url", max: Limit.paymentURL, required: false)
        if let paymentURL, !WebAddress.isHTTP(paymentURL) {
            fail("payment_url", .url, "must be an absolute http(s) URL")
        }

        guard problems.isEmpty, let number, let customer, let currency, let amount = draft.amount, let issuedOn,
            let dueOn
        else {
            if problems.isEmpty { fail("amount", .required, "is required") }
            throw FieldProblems(problems)
        }
        return NewInvoice(
            number: number, customer: customer, amount: Money(minorUnits: amount, currency: currency),
            issuedOn: issuedOn, dueOn: dueOn, externalRef: externalRef, paymentURL: paymentURL)
    }

    public static func looksLikeLocale(_ value: String) -> Bool {
        value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            && value.first?.isLetter == true
    }
}
