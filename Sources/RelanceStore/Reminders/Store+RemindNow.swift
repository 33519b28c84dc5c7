import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    /// "Send the next reminder now": the stage that applies today, or else the next one, queued at once
    /// regardless of the sending window and the frequency cap, but never to a customer who opted out.
    public func remindNow(
        invoiceID: Int64, now: Date, links: LinkSettings, emailEnabled: Bool = false, audit: AuditNote? = nil
    ) async throws
        -> QueuedReminder
    {
        let phrases = phraseSource
        return try await write(
            audit: audit, fill: { note, queued in note.detail = note.detail ?? queued.stage }
        ) { db in
            try Store.remindNow(
                db, invoiceID: invoiceID, now: now, links: links, phrases: phrases, emailEnabled: emailEnabled)
        }
    }

    /// What "send a reminder now" would send — text, encoding, segments — without sending or keeping anything.
    public func previewReminder(invoiceID: Int64, now: Date, links: LinkSettings, emailEnabled: Bool = false)
        async throws -> QueuedReminder
    {
        let phrases = phraseSource
        return try await pool.writeWithoutTransaction { db in
            var preview: QueuedReminder?
            try db.inTransaction {
                preview = try Store.remindNow(
                    db, invoiceID: invoiceID, now: now, links: links, phrases: phrases, emailEnabled: emailEnabled)
                return .rollback
            }
            guard let preview else { throw RemindRefusal.nothingLeft }
            return preview
        }
    }

    /// The reminder `TickRule.sendNow` decides, written with its links, and the invoice's next look set
    /// past the slot it used. What comes back is the text, with the email beside it, or the email alone.
    static func remindNow(
        _ db: Database, invoiceID: Int64, now: Date, links: LinkSettings, phrases: PhraseSource, emailEnabled: Bool
    ) throws -> QueuedReminder {
        guard
            let row = try InvoiceToRemind.fetchOne(
                db,
                sql: """
                    SELECT i.id, i.number, i.currency, i.amount, i.due_on, i.paid_at, i.voided_at, i.customer_id,
                        i.reminders_rebased_on,
                        c.name, c.phone, c.locale, c.time_zone, c.sms_opted_out_at, c.email, c.email_opted_out_at,
                        (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id) AS paid
                    FROM invoice i JOIN customer c ON c.id = i.customer_id WHERE i.id = ?
                    """, arguments: [invoiceID])
        else { throw StoreError.notFound("invoice \(invoiceID)") }
        let context = try TickContext(db, links: links, phrases: phrases, now: now)
        var rule = TickRule(settings: context.settings, now: now, emailEnabled: emailEnabled)
        let decision: SendNowDecision
        do {
            decision = try rule.sendNow(
                row, onPlan: try PlanRecord.active(invoiceID: invoiceID).fetchCount(db) > 0,
                used: try usedSlots(db, invoiceID: invoiceID))
        } catch let unreadable as UnreadableInvoice {
            // Corrupt data, counted with the database's own errors.
            throw DatabaseError(message: unreadable.description)
        }
        var queued = try decision.sends.map { try queue(db, $0, context: context) }
        try setNextAction(db, invoiceID: invoiceID, at: decision.nextAction)
        guard var last = queued.popLast() else { throw RemindRefusal.nothingLeft }
        if last.channel == .sms, let email = queued.first {
            last.email = QueuedEmail(
                messageID: email.messageID, recipient: email.recipient, subject: email.subject ?? "")
        }
        return last
    }
}
