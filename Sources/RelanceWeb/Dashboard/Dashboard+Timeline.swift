import Foundation
import RelanceCore
import RelanceStore

/// The invoice's history as sentences a person reads ("“late” reminder delivered by text to +33 6 12 …"),
/// the technical detail (provider id, encoding, the text itself) kept for who opens it.
extension Dashboard {
    static func sentence(_ item: HistoryItem) -> String {
        let facts = item.facts
        let what: String = {
            if facts["message_kind"] == "reminder", let stage = facts["stage"] { return "“\(stage)” reminder" }
            if let stage = facts["stage"], stage.hasPrefix("plan") { return "instalment reminder" }
            switch facts["message_kind"] {
            case "renewal": return "new link"
            case "request_notice": return "answer to the customer's request"
            case "opt_out_confirmation": return "opt-out confirmation"
            case let kind?: return kind.replacingOccurrences(of: "_", with: " ")
            case nil: return "message"
            }
        }()
        let channel = facts["channel"] == "email" ? "by email" : "by text"
        let to =
            facts["recipient"].map { " to " + (facts["channel"] == "email" ? $0 : Dashboard.maskedPhone($0)) } ?? ""
        let size = facts["segments"].map { $0 == "1" ? " (1 segment)" : " (\($0) segments)" } ?? ""
        let wording = facts["variant"].map { ", wording \($0)" } ?? ""
        switch item.kind {
        case "invoice.created": return "Invoice created"
        case "message.queued": return "\(what.capitalizedFirst) written \(channel)\(to)\(size)\(wording)"
        case "message.sending": return "\(what.capitalizedFirst) being handed over \(channel)"
        case "message.sent": return "\(what.capitalizedFirst) sent \(channel)\(to)"
        case "message.delivered":
            return
                "\(what.capitalizedFirst) delivered \(facts["channel"] == "email" ? "to the mailbox" : "to the phone")"
        case "message.failed": return "\(what.capitalizedFirst) could not be delivered"
        case "message.retry": return "\(what.capitalizedFirst) not sent yet: trying again later"
        case "message.unknown": return "Unknown whether the \(what) went out (the server stopped while sending)"
        case "message.skipped": return "\(what.capitalizedFirst) not sent"
        case "link.opened": return "Link opened by the customer"
        case "link.previewed": return "Link preview shown by a messaging app"
        case "payment.received":
            guard let minor = facts["amount"].flatMap({ Int64($0) }),
                let currency = facts["currency"].flatMap(Currency.init)
            else { return "Payment received" }
            let method = Dashboard.paymentMethodNames[facts["method"] ?? ""] ?? facts["method"] ?? ""
            return "Payment of \(Format.amount(Money(minorUnits: minor, currency: currency), .en)) received \(method)"
        case let kind where kind.hasPrefix("action."):
            let action = String(kind.dropFirst("action.".count)).replacingOccurrences(of: "_", with: " ")
                .replacingOccurrences(of: ".", with: " ")
            return "\(action.capitalizedFirst), by \(facts["who"] ?? "someone")"
        default:
            return item.kind.replacingOccurrences(of: ".", with: " ").replacingOccurrences(of: "_", with: " ")
                .capitalizedFirst
        }
    }

    static let paymentMethodNames = [
        "card": "by card", "transfer": "by transfer", "direct_debit": "by direct debit", "cash": "in cash",
        "cheque": "by cheque", "check": "by check", "other": "",
    ]

    /// `+33 6 12 … 78`: enough to recognise a number, not to copy it from over a shoulder.
    static func maskedPhone(_ e164: String) -> String {
        let digits = Array(e164.dropFirst())
        guard e164.hasPrefix("+"), digits.count >= 8 else { return e164 }
        return "+\(String(digits[0..<2])) \(digits[2]) \(String(digits[3..<5])) … \(String(digits.suffix(2)))"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
