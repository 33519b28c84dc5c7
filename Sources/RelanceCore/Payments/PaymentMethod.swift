import Foundation

/// How a payment was made: the one list the API, the dashboard's payment form, the Stripe webhook and the
/// store share. `check` is the American spelling of `cheque`, accepted from billing systems that write it
/// and shown as such once stored; the dashboard's form offers `cheque` alone (`offered`), so a person
/// does not choose between two words for one thing.
public enum PaymentMethod: String, CaseIterable, Sendable {
    case card, transfer
    case directDebit = "direct_debit"
    case cash, cheque, check, other

    /// A method as sent or typed: around spaces and case do not matter. Nil when empty or not a method.
    public init?(typed: String) {
        self.init(rawValue: typed.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Every accepted name in alphabetical order, as a refusal lists them: `card, cash, check, …`.
    public static let listing = allCases.map(\.rawValue).sorted().joined(separator: ", ")

    /// What a person picks from, in alphabetical order of the names: every method but `check`.
    public static let offered = allCases.filter { $0 != .check }.sorted { $0.rawValue < $1.rawValue }
}

/// A payment's reference (a transfer's label, a card payment's id), as the API and the dashboard's
/// payment form both take it; each words a problem its own way.
public enum PaymentReference {
    /// The longest reference, in Unicode scalars.
    public static let maximumLength = 200

    /// What keeps a reference from being recorded.
    public enum Problem: Sendable, Equatable {
        case tooLong, controlCharacters
    }

    /// Without the white space around it; nil when nothing is left.
    public static func trimmed(_ raw: String?) -> String? {
        guard let trimmed = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// Everything wrong with a trimmed reference, in that order; empty when it may be recorded.
    public static func problems(_ reference: String) -> [Problem] {
        var problems: [Problem] = []
        if reference.unicodeScalars.count > maximumLength { problems.append(.tooLong) }
        if PlainText.hasControlCharacters(reference) { problems.append(.controlCharacters) }
        return problems
    }
}
