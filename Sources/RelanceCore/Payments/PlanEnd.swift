/// Why a payment plan ended, as `plan.end_reason` keeps it: in English, like the audit trail and the
/// invoice's history, and read back here so the dashboard can say it in the reader's language.
public enum PlanEnd: Sendable, Equatable {
    /// The customer's new plan took its place.
    case replaced
    case paidInFull
    case invoiceCancelled
    /// Instalment `instalment` (counted from 1), due on `dueOn`, was still unpaid `days` days later.
    case missed(instalment: Int, dueOn: CalendarDate, days: Int)

    /// The stored text.
    public var text: String {
        switch self {
        case .replaced: "replaced by a new plan"
        case .paidInFull: "invoice paid in full"
        case .invoiceCancelled: "invoice cancelled"
        case .missed(let instalment, let dueOn, let days):
            "instalment \(instalment) of \(dueOn.iso) unpaid \(days) days after its date"
        }
    }

    /// The end a stored text names; nil for a text Relance did not write this way.
    public init?(text: String) {
        if let simple = [PlanEnd.replaced, .paidInFull, .invoiceCancelled].first(where: { $0.text == text }) {
            self = simple
            return
        }
        // "instalment 3 of 2026-10-30 unpaid 10 days after its date"
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 10, let instalment = Int(words[1]), let days = Int(words[5]),
            let dueOn = CalendarDate(iso: String(words[3]))
        else { return nil }
        // Written again, it must be the very text: the other words, and no "+3" or "03" where 3 stands.
        let missed = PlanEnd.missed(instalment: instalment, dueOn: dueOn, days: days)
        guard missed.text == text else { return nil }
        self = missed
    }
}
