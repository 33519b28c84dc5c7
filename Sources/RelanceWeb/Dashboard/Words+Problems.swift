import RelanceCore

/// A problem with what a person typed, in their language: the rules in RelanceCore say each problem in
/// English for the API (`message`), and give it a `code` the dashboard words here. The English phrases
/// are the API's messages, so the dashboard reads the same in English.
extension Words {
    /// A phrase whose placeholders are the bounds of `ranges`, each range's lowest then highest: the
    /// limits come from Core's rules rather than being written out in the catalogues.
    func phrase(_ key: String, bounds ranges: ClosedRange<Int>...) -> String {
        phrase(key, ranges.flatMap { [String($0.lowerBound), String($0.upperBound)] })
    }

    /// The problem in this language, without the field's name ("must not be empty").
    func problem(_ problem: FieldProblems.Problem) -> String {
        let first = problem.arguments.first ?? ""
        switch problem.code {
        case .required: return self("dash.problem.required")
        case .empty: return self("dash.problem.empty")
        case .tooLong:
            guard let limit = problem.limit else { return problem.message }
            return self("dash.problem.too_long", problemNumber(limit))
        case .controlCharacters: return self("dash.problem.control_characters")
        case .phone: return self("dash.problem.phone")
        case .email: return self("dash.problem.email")
        case .locale: return self("dash.problem.locale")
        case .timeZone: return self("dash.problem.time_zone")
        case .currency: return self("dash.problem.currency", first)
        case .date: return self("dash.problem.date")
        case .dueBeforeIssued: return self("dash.problem.due_before_issued")
        case .url: return self("dash.problem.url")
        case .amount:
            // The dashboard's own reading of a typed amount says what was typed and in which currency;
            // the API's (minor units in JSON) only that it is not an amount.
            guard problem.arguments.count >= 2 else { return self("dash.problem.amount_other") }
            return self("dash.problem.amount", problem.arguments[0], problem.arguments[1])
        case .other: return problem.message
        }
    }

    /// How a form names a field of the rules (`customer.phone`, `due_on`…; a customer's own fields
    /// without the `customer.` prefix), or the name itself when it is not one of them.
    func field(_ name: String) -> String {
        switch name {
        case "number": self("dash.problem.field.number")
        case "customer": self("dash.problem.field.customer")
        case "customer.name": self("dash.problem.field.customer_name")
        case "name": self("dash.problem.field.name")
        case "customer.phone", "phone": self("dash.problem.field.phone")
        case "customer.email", "email": self("dash.problem.field.email")
        case "customer.locale", "locale": self("dash.problem.field.locale")
        case "customer.time_zone", "time_zone": self("dash.problem.field.time_zone")
        case "customer.external_ref", "external_ref": self("dash.problem.field.external_ref")
        case "currency": self("dash.problem.field.currency")
        case "amount": self("dash.problem.field.amount")
        case "issued_on": self("dash.problem.field.issued_on")
        case "due_on": self("dash.problem.field.due_on")
        case "payment_url": self("dash.problem.field.payment_url")
        default: name
        }
    }

    /// A limit as this language writes a count (`2000` / `2 000`).
    fileprivate func problemNumber(_ value: Int) -> String {
        guard language == .fr, value.magnitude >= 1_000 else { return String(value) }
        var digits = Array(String(value.magnitude))
        var out = ""
        while digits.count > 3 {
            out = "\u{202F}" + String(digits.suffix(3)) + out
            digits.removeLast(3)
        }
        return (value < 0 ? "-" : "") + String(digits) + out
    }
}
