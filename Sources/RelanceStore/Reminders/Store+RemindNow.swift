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

    /// The text of the stage due now (or the next one), and its email too when the stage goes by
    /// email, email is set up and the customer has an address and has not unsubscribed: the slot is
    /// used once sent, so an email left out here would never go.
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
        guard row.paidAt == nil, row.voidedAt == nil else { throw RemindRefusal.settled }
        if try PlanRecord.active(invoiceID: invoiceID).fetchCount(db) > 0 { throw RemindRefusal.onPlan }
        // Policy, rules, business and templates, read once for the whole call.
        let context = try TickContext(db, links: links, phrases: phrases, now: now)
        let policy = context.policy
        let business = context.business
        let zone = row.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZoneName.zone(business.timeZone) ?? .gmt
        let today = CalendarDate(instant: now, timeZone: zone)
        let dueOn = try Store.date(row.dueOn)
        let baseOn = row.remindersRebasedOn.flatMap(CalendarDate.init(iso:)) ?? dueOn
        let sent = Set(
            try ReminderRecord.Slot.fetchAll(
                db, sql: "SELECT stage, occurrence FROM reminder WHERE invoice_id = ?", arguments: [invoiceID]
            )
            .map(\.key))
        let all = ReminderPlanner.slots(policy: policy, dueOn: baseOn)
        let afterSent = (all.lastIndex { sent.contains(SlotKey($0)) }).map { $0 + 1 } ?? 0
        let planned =
            ReminderPlanner.due(policy: policy, dueOn: baseOn, today: today, sent: sent)
            ?? all[afterSent...].first
        guard let planned else { throw RemindRefusal.nothingLeft }
        let balance = Money(minorUnits: row.amount - row.paid, currency: try Store.currency(row.currency))
        let item = DueInvoice(
            id: invoiceID, number: row.number, balance: balance, dueOn: dueOn, baseOn: baseOn, planned: planned)
        let language = Language(locale: row.locale) ?? Language(locale: business.defaultLocale) ?? .fr
        // The stage's own channels, each when the customer can get it.
        let channels = planned.stage.channels
        let phone = row.phone
        let address =
            channels.contains(.email)
            ? try? Store.emailRecipient(row.email, optedOut: row.emailOptedOutAt != nil, emailEnabled: emailEnabled)
                .get() : nil
        let byEmail = address != nil
        let bySMS = channels.contains(.sms) && phone != nil && row.smsOptedOutAt == nil
        guard bySMS || byEmail else {
            if !channels.contains(.sms) { throw RemindRefusal.noEmail }
            throw phone == nil ? RemindRefusal.noPhone : RemindRefusal.optedOut
        }
        var email: QueuedReminder?
        if byEmail, let address {
            email = try Store.queueEmail(
                db, customerID: row.customerID, customerName: row.name, address: address, items: [item],
                language: language, context: context)
        }
        guard bySMS, let phone else {
            // By email alone: what was queued is the email.
            guard let email else { throw RemindRefusal.noEmail }
            try finish()
            return email
        }
        var queued = try Store.queueMessage(
            db, customerID: row.customerID, customerName: row.name, phone: phone, items: [item],
            language: language, context: context)
        queued.email = email.map {
            QueuedEmail(messageID: $0.messageID, recipient: $0.recipient, subject: $0.subject ?? "")
        }
        try finish()
        return queued

        /// The invoice's next look, past the slot just used.
        func finish() throws {
            let next = ReminderPlanner.nextAction(
                policy: policy, dueOn: baseOn, sent: sent.union([SlotKey(planned)]), now: now, timeZone: zone,
                rules: context.rules)
            try db.execute(sql: "UPDATE invoice SET next_action_at = ? WHERE id = ?", arguments: [next, invoiceID])
        }
    }

    /// Why a customer cannot get an email reminder, in the words the skipped slot records.
    public struct EmailSkip: Error, Equatable {
        public var text: String
    }

    /// The address a customer's email reminders go to, or why there is none: one rule for the tick and
    /// for "send now".
    static func emailRecipient(_ email: String?, optedOut: Bool, emailEnabled: Bool) -> Result<String, EmailSkip> {
        guard emailEnabled else { return .failure(EmailSkip(text: "email is not set up (RELANCE_SMTP_URL)")) }
        guard let address = email?.trimmingCharacters(in: .whitespaces) else {
            return .failure(EmailSkip(text: "no email address"))
        }
        guard EmailAddress.isValid(address) else { return .failure(EmailSkip(text: "email address is not valid")) }
        guard !optedOut else { return .failure(EmailSkip(text: "opted out of email")) }
        return .success(address)
    }
}
