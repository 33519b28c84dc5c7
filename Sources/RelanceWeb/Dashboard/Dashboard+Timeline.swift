import Foundation
import RelanceCore
import RelanceStore

/// The invoice's history as sentences a person reads in their language ("“late” reminder delivered by
/// text to +33 6 12 …", "Rappel « en retard » envoyé par SMS au +33 6 12 …"), the technical detail
/// (provider id, encoding, the text itself) kept, as the store wrote it, for who opens it.
extension Dashboard {
    static func sentence(_ item: HistoryItem, t: Words) -> String {
        let facts = item.facts
        let email = facts["channel"] == "email"
        // What the message was, lowercase: every French noun here is masculine, for the participles below.
        let what: String = {
            if facts["message_kind"] == "reminder", let stage = facts["stage"] {
                return t("dash.timeline.what.reminder", Dashboard.stageName(stage, t))
            }
            if let stage = facts["stage"], stage.hasPrefix("plan") { return t("dash.timeline.what.instalment") }
            guard let kind = facts["message_kind"] else { return t("dash.timeline.what.message") }
            switch MessageKind(rawValue: kind) {
            case .optOutConfirmation: return t("dash.timeline.what.opt_out_confirmation")
            case .optInConfirmation: return t("dash.timeline.what.opt_in_confirmation")
            case .linkRenewal: return t("dash.timeline.what.link_renewal")
            case .requestConfirmation: return t("dash.timeline.what.request_confirmation")
            case .requestAnswer: return t("dash.timeline.what.request_answer")
            case .test: return t("dash.timeline.what.test")
            // A reminder without its stage (never written so), or a kind this version does not know.
            case .reminder, nil: return t("dash.timeline.what.other", kind.replacingOccurrences(of: "_", with: " "))
            }
        }()
        let subject = what.capitalizedFirst
        let channel = email ? t("dash.timeline.by_email") : t("dash.timeline.by_text")
        let to = facts["recipient"].map {
            email ? t("dash.timeline.to_email", $0) : t("dash.timeline.to_phone", Dashboard.maskedPhone($0))
        }
        let size = facts["segments"].map {
            $0 == "1" ? t("dash.timeline.segments_one") : t("dash.timeline.segments_many", $0)
        }
        let wording = facts["variant"].map { t("dash.timeline.wording", $0) }
        // "by text to +33 6 12 … 78 (1 segment), wording B": each piece only when known.
        let how = channel + (to.map { " " + $0 } ?? "")
        switch item.kind {
        case "invoice.created": return t("dash.timeline.invoice_created")
        case "invoice.voided": return t("dash.timeline.invoice_voided")
        case "message.queued":
            return t(
                "dash.timeline.message_queued", subject,
                how + (size.map { " " + $0 } ?? "") + (wording.map { ", " + $0 } ?? ""))
        case "message.sending": return t("dash.timeline.message_sending", subject, channel)
        case "message.sent": return t("dash.timeline.message_sent", subject, how)
        case "message.delivered":
            return email
                ? t("dash.timeline.message_delivered_email", subject)
                : t("dash.timeline.message_delivered_phone", subject)
        case "message.failed": return t("dash.timeline.message_failed", subject)
        case "message.retry": return t("dash.timeline.message_retry", subject)
        case "message.unknown": return t("dash.timeline.message_unknown", what)
        case "message.skipped": return t("dash.timeline.message_skipped", subject)
        case "message.cancelled": return t("dash.timeline.message_cancelled")
        case "message.report": return t("dash.timeline.message_report")
        case "link.opened": return t("dash.timeline.link_opened")
        case "link.previewed": return t("dash.timeline.link_previewed")
        case "payment.received":
            guard let minor = facts["amount"].flatMap({ Int64($0) }),
                let currency = facts["currency"].flatMap(Currency.init)
            else { return t("dash.timeline.payment_received") }
            let method = facts["method"] ?? ""
            return t(
                "dash.timeline.payment_received_amount", t.amount(Money(minorUnits: minor, currency: currency)),
                timelineMethod(method, t: t) ?? method)
        case "reminders.paused": return t("dash.timeline.reminders_paused")
        case "reminders.resumed": return t("dash.timeline.reminders_resumed")
        case "request.created": return t("dash.timeline.request_created")
        case "request.accepted": return t("dash.timeline.request_accepted")
        case "request.declined": return t("dash.timeline.request_declined")
        case "request.answered": return t("dash.timeline.request_answered")
        case "request.replaced": return t("dash.timeline.request_replaced")
        case "request.cancelled": return t("dash.timeline.request_cancelled")
        case "plan.started": return t("dash.timeline.plan_started")
        case "plan.completed": return t("dash.timeline.plan_completed")
        case "plan.broken": return t("dash.timeline.plan_broken")
        case "plan.cancelled": return t("dash.timeline.plan_cancelled")
        case let kind where kind.hasPrefix("action."):
            let who =
                facts["who"].map { $0 == "the API" ? t("dash.timeline.the_api") : $0 } ?? t("dash.timeline.someone")
            return t("dash.timeline.action", timelineAction(String(kind.dropFirst("action.".count)), t: t), who)
        default:
            return item.kind.replacingOccurrences(of: ".", with: " ").replacingOccurrences(of: "_", with: " ")
                .capitalizedFirst
        }
    }

    /// A change someone made (the audit's action: `payment.recorded`, `api POST /api/v1/…`), capitalised.
    static func timelineAction(_ action: String, t: Words) -> String {
        func spaced(_ text: String) -> String {
            text.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: ".", with: " ")
        }
        switch action {
        case "payment.recorded": return t("dash.timeline.action.payment_recorded")
        case "reminders.paused": return t("dash.timeline.action.reminders_paused")
        case "reminders.resumed": return t("dash.timeline.action.reminders_resumed")
        case "reminder.sent_now": return t("dash.timeline.action.reminder_sent_now")
        case "link.created": return t("dash.timeline.action.link_created")
        case "links.revoked": return t("dash.timeline.action.links_revoked")
        case "invoice.voided": return t("dash.timeline.action.invoice_voided")
        case "invoice.created": return t("dash.timeline.action.invoice_created")
        case "invoice.corrected": return t("dash.timeline.action.invoice_corrected")
        case "invoices.imported": return t("dash.timeline.action.invoices_imported")
        default:
            if action.hasPrefix("api ") { return t("dash.timeline.action.api", spaced(String(action.dropFirst(4)))) }
            return spaced(action).capitalizedFirst
        }
    }

    /// How a payment came ("by transfer", « par virement »); "" for `other`, nil for a method it does not know.
    static func timelineMethod(_ method: String, t: Words) -> String? {
        guard let known = PaymentMethod(rawValue: method) else { return nil }
        switch known {
        case .card: return t("dash.timeline.method.card")
        case .transfer: return t("dash.timeline.method.transfer")
        case .directDebit: return t("dash.timeline.method.direct_debit")
        case .cash: return t("dash.timeline.method.cash")
        case .cheque: return t("dash.timeline.method.cheque")
        case .check: return t("dash.timeline.method.check")
        case .other: return ""
        }
    }

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
