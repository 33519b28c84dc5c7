import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// Putting a typed-in invoice right: its amount, dates and payment link until the first reminder names
/// them to the customer; its number, customer and currency never (a different one is a new invoice).
extension Dashboard {
    /// What the invoice page shows about corrections: the form with the current values, or why it is locked.
    func correctionValues(_ invoice: InvoiceSummary, t: Words, zone: TimeZone) async throws -> [String: Any] {
        let state = try await store.correctionState(invoiceID: invoice.id)
        guard let lock = state.lock else {
            return [
                "amount": Format.typedAmount(invoice.amount, t.language), "issued_on": invoice.issuedOn.iso,
                "due_on": invoice.dueOn.iso, "payment_url": state.paymentURL ?? "",
            ]
        }
        return ["locked": lockReason(lock, t: t, zone: zone)]
    }

    /// Why an invoice's details can no longer be corrected, in the person's language.
    func lockReason(_ lock: CorrectionLock, t: Words, zone: TimeZone) -> String {
        switch lock {
        case .reminded(let at): t("dash.correct.locked_reminded", t.date(CalendarDate(instant: at, timeZone: zone)))
        case .plan: t("dash.correct.locked_plan")
        case .paid, .void: t("dash.correct.locked_closed")
        }
    }

    /// `POST /dashboard/invoices/:id/correct` — `amount` (as typed), `issued_on`, `due_on`, `payment_url`.
    @Sendable func correctInvoice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let fields = try await form(request, context)
        let id = try pathID(context)
        let t = session.t
        let invoice = try await storedInvoice(id)
        let back = "/dashboard/invoices/\(id)"
        // The API's rules, on the invoice as it would be: what cannot change is taken as stored.
        var draft = InvoiceDraft()
        draft.number = invoice.number
        draft.customer?.name = invoice.customerName
        draft.currency = invoice.amount.currency.code
        Dashboard.readAmount(fields["amount"], currency: invoice.amount.currency.code, into: &draft)
        draft.issuedOn = fields["issued_on"]
        draft.dueOn = fields["due_on"]
        let url = (fields["payment_url"] ?? "").trimmingCharacters(in: .whitespaces)
        draft.paymentURL = url.isEmpty ? nil : url
        let checked: NewInvoice
        do throws(FieldProblems) {
            checked = try InvoiceRules.check(draft)
        } catch {
            let lines = error.list.map { t("dash.invoice.new.error_line", t.field($0.field), t.problem($0)) }
            return redirect(back, notice: t("dash.correct.not_saved", lines.joined(separator: "; ")))
        }
        let now = settings.clock.now()
        do {
            _ = try await store.correctInvoice(
                id: id,
                InvoiceCorrection(
                    amount: checked.amount.minorUnits, issuedOn: checked.issuedOn, dueOn: checked.dueOn,
                    paymentURL: checked.paymentURL),
                now: now, audit: session.audit("invoice.corrected", invoiceID: id, at: now))
        } catch CorrectionError.locked(let lock) {
            // Locked since the page was shown (a reminder went out meanwhile): the reason, as the page gives it.
            return redirect(
                back, notice: t("dash.correct.not_saved", lockReason(lock, t: t, zone: try await businessZone())))
        } catch CorrectionError.unchanged {
            return redirect(back, notice: t("dash.correct.unchanged"))
        } catch CorrectionError.belowPaid(let paid) {
            return redirect(
                back,
                notice: t(
                    "dash.correct.below_paid", t.amount(Money(minorUnits: paid, currency: invoice.amount.currency))))
        }
        return redirect(back, notice: t("dash.correct.saved"))
    }
}
