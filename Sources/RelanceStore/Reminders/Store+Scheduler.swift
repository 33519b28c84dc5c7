import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension InvoiceToRemind: FetchableRecord {}

extension Store {
    // MARK: - The tick

    /// One scheduler tick at `now`: every invoice whose next action has come (through the index on
    /// `next_action_at`, at most `batchSize`), read customer by customer, judged by `TickRule` and its
    /// steps carried out, in one transaction. With `dryRun` the same work is done and rolled back, so
    /// the summary shows exactly what would be sent.
    public func runScheduler(
        now: Date, links: LinkSettings, dryRun: Bool = false, batchSize: Int = 10_000, emailEnabled: Bool = true
    ) async throws -> TickSummary {
        let phrases = phraseSource
        return try await pool.writeWithoutTransaction { db in
            var summary = TickSummary()
            try db.inTransaction {
                let context = try TickContext(db, links: links, phrases: phrases, now: now)
                var rule = TickRule(settings: context.settings, now: now, emailEnabled: emailEnabled)
                summary = try Store.tick(db, rule: &rule, context: context, batchSize: batchSize)
                return dryRun ? .rollback : .commit
            }
            return summary
        }
    }

    /// What a tick reads once and reuses for every invoice: parsing a template or preparing a statement
    /// ten thousand times was most of a tick's cost.
    final class TickContext {
        let settings: TickSettings
        let links: LinkSettings
        /// Read when an email is written (its button and footer), not before: a tick of texts only
        /// runs without `templates/`.
        let phrases: PhraseSource
        let now: Date
        let nowText: String
        private var templates: [String: MessageTemplate] = [:]

        init(_ db: Database, links: LinkSettings, phrases: PhraseSource, now: Date) throws {
            settings = TickSettings(
                policy: try Store.policy(db), rules: try Store.sendingRules(db), business: try Store.business(db),
                planSettings: try Store.planSettings(db))
            self.links = links
            self.phrases = phrases
            self.now = now
            nowText = Store.timestamp(now)
        }

        func template(_ db: Database, stage: String, language: Language, combined: Bool) throws -> MessageTemplate {
            let key = "\(stage)/\(language.rawValue)/\(combined)"
            if let cached = templates[key] { return cached }
            let template = try Store.messageTemplate(
                db, stage: stage, channel: .sms, language: language, combined: combined)
            templates[key] = template
            return template
        }

        private var emailTemplates: [String: EmailTemplate] = [:]

        func emailTemplate(_ db: Database, stage: String, language: Language, combined: Bool) throws -> EmailTemplate {
            let key = "\(stage)/\(language.rawValue)/\(combined)"
            if let cached = emailTemplates[key] { return cached }
            let template = try Store.emailTemplate(db, stage: stage, language: language, combined: combined)
            emailTemplates[key] = template
            return template
        }

        private var variants: [String: ReminderText.VariantB?] = [:]

        /// The B wording of a template and its share, parsed once per tick (nil when no test runs).
        func variant(_ db: Database, stage: String, language: Language, combined: Bool) throws
            -> ReminderText.VariantB?
        {
            let key = "\(stage)/\(language.rawValue)/\(combined)"
            if let cached = variants[key] { return cached }
            let found = try Store.variant(db, stage: stage, language: language, combined: combined).map {
                (share: $0.share, template: try MessageTemplate($0.body))
            }
            variants[key] = .some(found)
            return found
        }
    }

    static func tick(_ db: Database, rule: inout TickRule, context: TickContext, batchSize: Int) throws -> TickSummary {
        var summary = TickSummary()
        let rows = try InvoiceToRemind.fetchAll(
            db,
            sql: """
                SELECT i.id, i.number, i.currency, i.amount, i.due_on, i.paid_at, i.voided_at, i.reminders_paused_at,
                    i.customer_id, c.name, c.phone, c.locale, c.time_zone, c.sms_opted_out_at,
                    c.email, c.email_opted_out_at,
                    (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.invoice_id = i.id) AS paid,
                    i.reminders_rebased_on, (SELECT id FROM plan WHERE invoice_id = i.id AND status = 'active') AS plan_id
                FROM invoice i JOIN customer c ON c.id = i.customer_id
                WHERE i.next_action_at <= ?
                ORDER BY i.next_action_at, i.id
                LIMIT ?
                """, arguments: [context.now, batchSize])
        summary.examined = rows.count
        let lastSMS = try db.cachedStatement(
            sql: """
                SELECT MAX(created_at) FROM message
                WHERE customer_id = ? AND channel = 'sms' AND status NOT IN ('cancelled', 'failed')
                    AND kind = 'reminder'
                """)
        for group in byCustomer(rows) {
            var used: [Int64: Set<SlotKey>] = [:]
            var plans: [Int64: PlanView] = [:]
            for row in group where row.paidAt == nil && row.voidedAt == nil && row.remindersPausedAt == nil {
                used[row.id] = try usedSlots(db, invoiceID: row.id)
                if row.planID != nil { plans[row.id] = try planView(db, invoiceID: row.id) }
            }
            let due = CustomerDue(
                invoices: group, lastReminderSMS: try Date.fetchOne(lastSMS, arguments: [group[0].customerID]),
                used: used, plans: plans)
            for step in rule.decide(due) {
                summary.count(step, queued: try carryOut(db, step, context: context))
            }
        }
        return summary
    }

    /// The rows grouped by customer, in the order each customer first appears.
    static func byCustomer(_ rows: [InvoiceToRemind]) -> [[InvoiceToRemind]] {
        var groups: [[InvoiceToRemind]] = []
        var position: [Int64: Int] = [:]
        for row in rows {
            if let index = position[row.customerID] {
                groups[index].append(row)
            } else {
                position[row.customerID] = groups.count
                groups.append([row])
            }
        }
        return groups
    }

    /// The slots an invoice has used, sent or skipped.
    static func usedSlots(_ db: Database, invoiceID: Int64) throws -> Set<SlotKey> {
        Set(
            try ReminderRecord.Slot.fetchAll(
                db.cachedStatement(sql: "SELECT stage, occurrence FROM reminder WHERE invoice_id = ?"),
                arguments: [invoiceID]
            )
            .map(\.key))
    }

    /// Writes one step of the rule; what a `.send` queued comes back.
    static func carryOut(_ db: Database, _ step: TickStep, context: TickContext) throws -> QueuedReminder? {
        switch step {
        case .setNextAction(let invoiceID, let at):
            try setNextAction(db, invoiceID: invoiceID, at: at)
        case .postpone(let invoiceID, let until):
            try setNextAction(db, invoiceID: invoiceID, at: until)
        case .skip(let invoiceID, let planned, let channel, let reason):
            try recordSkipped(db, invoiceID, planned, channel, reason: reason, now: context.now)
        case .send(let message):
            return try queue(db, message, context: context)
        case .breakPlan(let broken):
            try breakPlan(db, broken, now: context.now)
        }
        return nil
    }

    static func setNextAction(_ db: Database, invoiceID: Int64, at: Date?) throws {
        try db.cachedStatement(sql: "UPDATE invoice SET next_action_at = ? WHERE id = ?").execute(arguments: [
            at, invoiceID,
        ])
    }

    /// Ends a plan whose instalment is too late, says so to webhooks, and restarts the invoice's own
    /// stages where its late stage is due today.
    static func breakPlan(_ db: Database, _ broken: BrokenPlan, now: Date) throws {
        try endPlan(
            db, planID: broken.planID, invoiceID: broken.invoiceID, status: .broken, reason: broken.reason, now: now)
        try emitInvoiceEvent(
            db, .planBroken, invoiceID: broken.invoiceID,
            extra: [
                "instalment": ["number": broken.instalment, "due_on": broken.instalmentDueOn.iso] as [String: Any]
            ], now: now)
        if let rebased = broken.rebasedOn {
            try db.execute(
                sql: "UPDATE invoice SET reminders_rebased_on = ? WHERE id = ?",
                arguments: [rebased.iso, broken.invoiceID])
        }
    }

    static func recordSkipped(
        _ db: Database, _ invoiceID: Int64, _ planned: PlannedReminder, _ channel: Channel, reason: String, now: Date
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO reminder (invoice_id, stage, occurrence, channel, skipped_reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (invoice_id, stage, occurrence, channel) DO NOTHING
                """,
            arguments: [invoiceID, planned.stage.key, planned.occurrence, channel.rawValue, reason, now])
    }

    /// What follows the message row: the link points back to it, its first event, and the slots it serves.
    static func recordQueuedReminder(
        _ db: Database, messageID: Int64, linkID: Int64, items: [DueInvoice], channel: Channel, nowText: String
    ) throws {
        try db.cachedStatement(sql: "UPDATE link SET message_id = ? WHERE id = ?").execute(arguments: [
            messageID, linkID,
        ])
        try db.cachedStatement(sql: "INSERT INTO message_event (message_id, status, at) VALUES (?, 'queued', ?)")
            .execute(arguments: [messageID, nowText])
        let insertReminder = try db.cachedStatement(
            sql: """
                INSERT INTO reminder (invoice_id, stage, occurrence, channel, message_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        for item in items {
            try insertReminder.execute(arguments: [
                item.id, item.planned.stage.key, item.planned.occurrence, channel.rawValue, messageID, nowText,
            ])
        }
    }

    /// Writes a reminder the rule decided: its own link first (a statement link for several invoices), so
    /// a payment can be traced to the message, then its words, the message row, its first event and the
    /// slots it uses.
    static func queue(_ db: Database, _ message: ReminderToSend, context: TickContext) throws -> QueuedReminder {
        let business = context.settings.business
        let urls = context.links.urls
        let link = try reminderLink(db, message, context: context)
        let page = urls.invoicePage(token: link.token)
        let nowText = context.nowText
        let combined = message.combined
        let customerID = message.customerID
        let invoiceID = combined ? nil : message.items[0].id
        let queued: QueuedReminder
        switch message.channel {
        case .sms:
            let words = ReminderText.sms(
                message,
                template: try context.template(
                    db, stage: message.wording, language: message.language, combined: combined),
                variantB: try context.variant(
                    db, stage: message.wording, language: message.language, combined: combined),
                business: business, link: page)
            let analysis = words.analysis
            try db.cachedStatement(
                sql: """
                    INSERT INTO message (customer_id, invoice_id, link_id, kind, channel, recipient, body, status, stage,
                        encoding, segments, created_at, updated_at, variant)
                    VALUES (?, ?, ?, 'reminder', 'sms', ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                customerID, invoiceID, link.linkID, message.recipient, analysis.text, message.stage,
                analysis.encoding.rawValue, analysis.segments, nowText, nowText, words.variant,
            ])
            queued = QueuedReminder(
                messageID: db.lastInsertedRowID, customerID: customerID, invoiceIDs: message.items.map(\.id),
                stage: message.stage, channel: .sms, recipient: message.recipient, body: analysis.text,
                encoding: analysis.encoding, segments: analysis.segments)
        case .email:
            let unsubscribeURL = urls.unsubscribe(token: context.links.keyring.unsubscribeToken(customerID: customerID))
            let email = ReminderText.email(
                message,
                template: try context.emailTemplate(
                    db, stage: message.wording, language: message.language, combined: combined),
                words: try context.phrases.catalogue().words(message.language), business: business, urls: urls,
                link: page, unsubscribeURL: unsubscribeURL)
            try db.cachedStatement(
                sql: """
                    INSERT INTO message (customer_id, invoice_id, link_id, kind, channel, recipient, body, status, stage,
                        subject, html, unsubscribe_url, created_at, updated_at)
                    VALUES (?, ?, ?, 'reminder', 'email', ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                customerID, invoiceID, link.linkID, message.recipient, email.text, message.stage, email.subject,
                email.html, unsubscribeURL, nowText, nowText,
            ])
            queued = QueuedReminder(
                messageID: db.lastInsertedRowID, customerID: customerID, invoiceIDs: message.items.map(\.id),
                stage: message.stage, channel: .email, recipient: message.recipient, body: email.text,
                encoding: .gsm7, segments: 0, subject: email.subject)
        }
        try recordQueuedReminder(
            db, messageID: queued.messageID, linkID: link.linkID, items: message.items, channel: message.channel,
            nowText: nowText)
        return queued
    }

    /// A reminder's own link: to its invoice, or to the customer's statement when it is about several.
    static func reminderLink(_ db: Database, _ message: ReminderToSend, context: TickContext) throws -> IssuedLink {
        let business = context.settings.business
        let keyring = context.links.keyring
        guard !message.combined else {
            return try createStatementLink(
                db, customerID: message.customerID, business: business, keyring: keyring, now: context.now)
        }
        let item = message.items[0]
        return try insertLink(
            db, invoiceID: item.id, expiresAt: defaultExpiry(dueOn: item.dueOn, business: business, now: context.now),
            purpose: .reminder, renewedFrom: nil, keyring: keyring, now: context.now)
    }

    static func recordEvent(_ db: Database, messageID: Int64, status: MessageEventStatus, at: Date, detail: String?)
        throws
    {
        try db.execute(
            sql: "INSERT INTO message_event (message_id, status, at, detail) VALUES (?, ?, ?, ?)",
            arguments: [messageID, status, at, detail])
    }

    /// A signed link to a customer's statement of open invoices, for a message about several of them.
    static func createStatementLink(
        _ db: Database, customerID: Int64, business: Business, keyring: LinkKeyring, now: Date
    ) throws -> IssuedLink {
        let expiry = Date(
            timeIntervalSince1970: now.addingTimeInterval(TimeInterval(max(business.linkLifetimeDays, 14)) * 86_400)
                .timeIntervalSince1970.rounded(.down))
        try db.execute(
            sql: """
                INSERT INTO link (customer_id, purpose, key_id, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [customerID, LinkPurpose.reminder, keyring.signingKey.id, now, expiry])
        let linkID = db.lastInsertedRowID
        return IssuedLink(
            linkID: linkID, invoiceID: 0, token: SignedLink.token(linkID: linkID, expiresAt: expiry, keyring: keyring),
            expiresAt: expiry)
    }
}
