import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// "New invoice": an invoice typed in by hand, for a customer picked from the list or a new one, checked
/// with the API's rules (`InvoiceRules`), each problem shown beside its field.
extension Dashboard {
    /// Currencies offered first; any ISO 4217 code is accepted by the rules.
    static let formCurrencies = ["EUR", "GBP", "CHF", "USD", "CAD", "XOF"]

    /// The form's input for each of `InvoiceRules`' fields (the page names them with `Words.field`).
    static let newInvoiceFields: [String: String] = [
        "number": "number", "customer": "customer_id", "customer.name": "customer_name",
        "customer.phone": "customer_phone", "customer.email": "customer_email", "customer.locale": "customer_locale",
        "customer.time_zone": "customer_time_zone", "currency": "currency", "amount": "amount",
        "issued_on": "issued_on", "due_on": "due_on",
    ]

    /// `GET /dashboard/invoices/new`
    @Sendable func newInvoiceForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let today = try await today()
        let business = try await store.business()
        return try await newInvoicePage(
            session: session,
            values: [
                "issued_on": today.iso, "due_on": today.adding(days: 30).iso, "currency": "EUR",
                "customer_locale": business.defaultLocale, "customer_time_zone": business.timeZone,
            ], problems: [], status: .ok)
    }

    /// `POST /dashboard/invoices/new` — `customer_id` (or the new customer's fields), `number`, `amount` as
    /// typed, `currency`, `issued_on`, `due_on`.
    @Sendable func createInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        var values: [String: String] = [:]
        for name in [
            "customer_id", "customer_name", "customer_phone", "customer_email", "customer_locale", "customer_time_zone",
            "number", "amount", "currency", "issued_on", "due_on",
        ] {
            values[name] = fields[name] ?? ""
        }
        var problems: [FieldProblems.Problem] = []
        var chosen: Int64?
        if let raw = fields["customer_id"], !raw.isEmpty {
            if let id = Int64(raw), id > 0 {
                chosen = id
            } else {
                // Problems only this form has are worded at once, in the person's language.
                problems.append(.init(field: "customer", message: session.t("dash.problem.pick_customer")))
            }
        }
        var draft = InvoiceDraft()
        draft.number = fields["number"]
        if chosen != nil {
            // The customer as stored; a name is needed only to pass the rules, and is not used.
            draft.customer?.name = "—"
        } else {
            draft.customer?.name = fields["customer_name"]
            // People type phone numbers with spaces, dots and dashes.
            draft.customer?.phone = fields["customer_phone"].map(PhoneNumber.compact)
            draft.customer?.email = fields["customer_email"]
            draft.customer?.locale = fields["customer_locale"]
            draft.customer?.timeZone = fields["customer_time_zone"]
        }
        draft.currency = fields["currency"]
        draft.issuedOn = fields["issued_on"]
        draft.dueOn = fields["due_on"]
        Dashboard.readAmount(fields["amount"], currency: fields["currency"], into: &draft)
        var checked: NewInvoice?
        do throws(FieldProblems) {
            checked = try InvoiceRules.check(draft)
        } catch {
            problems += error.list
        }
        // A "new" customer whose number is already someone's would be merged into them, renaming them:
        // say so, and let the person pick them instead.
        if chosen == nil, let phone = checked?.customer.phone,
            let owner = try await store.customer(phone: phone.e164)
        {
            problems.append(
                .init(field: "customer.phone", message: session.t("dash.problem.phone_taken", owner.name)))
        }
        if let checked, problems.isEmpty {
            let now = settings.clock.now()
            do {
                let invoice = try await store.createInvoice(
                    checked, customerID: chosen, now: now,
                    audit: session.audit("invoice.created", detail: checked.number, at: now))
                return redirect(
                    "/dashboard/invoices/\(invoice.id)",
                    notice: session.t("dash.invoice.notice.created", invoice.number))
            } catch StoreError.duplicateInvoiceNumber {
                problems.append(.init(field: "number", message: session.t("dash.problem.number_taken")))
            } catch StoreError.notFound {
                problems.append(.init(field: "customer", message: session.t("dash.problem.customer_gone")))
            }
        }
        return try await newInvoicePage(
            session: session, values: values, problems: problems, status: .unprocessableContent)
    }

    func newInvoicePage(
        session: DashboardContext, values: [String: String], problems: [FieldProblems.Problem],
        status: HTTPResponse.Status
    ) async throws -> Response {
        let chosen = Int64(values["customer_id"] ?? "")
        let customers = try await store.customerChoices().map { customer -> [String: Any] in
            [
                "id": customer.id, "name": customer.name, "phone": customer.phone ?? "",
                "selected": customer.id == chosen,
            ]
        }
        var byInput: [String: String] = [:]
        var errors: [[String: Any]] = []
        for problem in problems {
            let input = Dashboard.newInvoiceFields[problem.field] ?? problem.field
            let message = session.t.problem(problem)
            if byInput[input] == nil { byInput[input] = message }
            errors.append(
                [
                    "input": input,
                    "text": session.t("dash.invoice.new.error_line", session.t.field(problem.field), message),
                ])
        }
        var shown: [String: Any] = values
        let locale = values["customer_locale"] ?? "fr"
        shown["fr"] = locale != "en"
        shown["en"] = locale == "en"
        let currency = (values["currency"] ?? "EUR").uppercased()
        let codes =
            Dashboard.formCurrencies.contains(currency)
            ? Dashboard.formCurrencies : Dashboard.formCurrencies + [currency]
        return views.page(
            "invoice-new",
            [
                "section": "invoices", "customers": customers, "values": shown, "problems": byInput,
                "has_errors": !errors.isEmpty, "errors": errors,
                "currencies": codes.map { ["code": $0, "selected": $0 == currency] as [String: Any] },
            ], session: session, status: status)
    }

    /// The amount as typed, read in the currency into `draft`, or why it cannot be.
    static func readAmount(_ text: String?, currency code: String?, into draft: inout InvoiceDraft) {
        let typed = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if typed.isEmpty {
            draft.amountProblem = "is required"
            draft.amountProblemCode = .required
        } else if let currency = Currency(code: (code ?? "").uppercased()) {
            if let minor = TypedAmount.parse(typed, currency: currency), Money.acceptedMinorUnits.contains(minor) {
                draft.amount = minor
            } else {
                let shown = String(typed.prefix(30))
                draft.amountProblem = "'\(shown)' is not an amount of \(currency.code), such as 1 234,56"
                draft.amountProblemCode = .amount
                draft.amountProblemArguments = [shown, currency.code]
            }
        }
    }
}
