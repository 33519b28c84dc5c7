import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    // MARK: - The tick

    /// One scheduler tick at `now`: every invoice whose next action has come (through the index on
    /// `next_action_at`, at most `batchSize`) gets the reminder its stage calls for, in one transaction.
    /// Invoices of one customer due together become one message with a statement link. With `dryRun`
    /// the same work is done and rolled back, so the summary shows exactly what would be sent.
    public func runScheduler(
        now: Date, links: LinkSettings, dryRun: Bool = false, batchSize: Int = 10_000, emailEnabled: Bool = true
    ) async throws -> TickSummary {
        let phrases = phraseSource
        return try await pool.writeWithoutTransaction { db in
            var summary = TickSummary()
            try db.inTransaction {
                summary = try Store.tick(
                    db, now: now, links: links, phrases: phrases, batchSize: batchSize, emailEnabled: emailEnabled)
                return dryRun ? .rollback : .commit
            }
            return summary
        }
    }

    struct DueInvoice {
        var id: Int64
        var number: String
        var balance: Money
        /// The date shown in the message.
        var dueOn: CalendarDate
        /// The date the stages count from: the due date, or where a broken plan restarted them.
        var baseOn: CalendarDate
        var planned: PlannedReminder
    }

    /// A row of the tick's SELECT, and of "send now"'s (which leaves out the pause and the plan: nil
    /// here): an invoice, what it has received, and how its customer can be reached. The dates and the
    /// currency stay as stored, so the tick sets aside an invoice it cannot read instead of failing.
    struct InvoiceToRemind: Decodable, FetchableRecord {
        var id: Int64
        var number: String
        var currency: String
        var amount: Int64
        var dueOn: String
        var paidAt: Date?
        var voidedAt: Date?
        var remindersPausedAt: Date?
        var customerID: Int64
        /// The customer's.
        var name: String
        var phone: String?
        var locale: String?
        var timeZone: String?
        var smsOptedOutAt: Date?
        var email: String?
        var emailOptedOutAt: Date?
        /// Everything received, in minor units.
        var paid: Int64
        var remindersRebasedOn: String?
        /// The active plan, if any.
        var planID: Int64?

        enum CodingKeys: String, CodingKey {
            case id
            case number
            case currency
            case amount
            case dueOn = "due_on"
            case paidAt = "paid_at"
            case voidedAt = "voided_at"
            case remindersPausedAt = "reminders_paused_at"
            case customerID = "customer_id"
            case name
            case phone
            case locale
            case timeZone = "time_zone"
            case smsOptedOutAt = "sms_opted_out_at"
            case email
            case emailOptedOutAt = "email_opted_out_at"
            case paid
            case remindersRebasedOn = "reminders_rebased_on"
            case planID = "plan_id"
        }
    }

    /// What a tick reads once and reuses for every invoice: parsing a template or preparing a statement
    /// ten thousand times was most of a tick's cost.
    final class TickContext {
        let policy: ReminderPolicy
        let rules: SendingRules
        let business: Business
        let planSettings: PlanSettings
        let links: LinkSettings
        /// Read when an email is written (its button and footer), not before: a tick of texts only
        /// runs without `templates/`.
        let phrases: PhraseSource
        let now: Date
        let nowText: String
        private var templates: [String: MessageTemplate] = [:]
        private var zones: [String: TimeZone] = [:]

        init(_ db: Database, links: LinkSettings, phrases: PhraseSource, now: Date) throws {
            policy = try Store.policy(db)
            rules = try Store.sendingRules(db)
            business = try Store.business(db)
            planSettings = try Store.planSettings(db)
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

        private var variants: [String: (share: Int, template: MessageTemplate)?] = [:]

        /// The B wording of a template and its share, parsed once per tick (nil when no test runs).
        func variant(_ db: Database, stage: String, language: Language, combined: Bool) throws
            -> (share: Int, template: MessageTemplate)?
        {
            let key = "\(stage)/\(language.rawValue)/\(combined)"
            if let cached = variants[key] { return cached }
            let found = try Store.variant(db, stage: stage, language: language, combined: combined).map {
                (share: $0.share, template: try MessageTemplate($0.body))
            }
            variants[key] = .some(found)
            return found
        }

        func zone(_ identifier: String?) -> TimeZone {
            let name = identifier ?? business.timeZone
            if let zone = zones[name] { return zone }
            let zone = TimeZoneName.zone(name) ?? TimeZoneName.zone(business.timeZone) ?? .gmt
            zones[name] = zone
            return zone
        }
    }

    static func tick(
        _ db: Database, now: Date, links: LinkSettings, phrases: PhraseSource, batchSize: Int, emailEnabled: Bool = true
    ) throws -> TickSummary {
        var summary = TickSummary()
        let context = try TickContext(db, links: links, phrases: phrases, now: now)
        let policy = context.policy
        let rules = context.rules
        let business = context.business
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
                """, arguments: [now, batchSize])
        summary.examined = rows.count
        let setNextAction = try db.cachedStatement(sql: "UPDATE invoice SET next_action_at = ? WHERE id = ?")

        var byCustomer: [(customerID: Int64, rows: [InvoiceToRemind])] = []
        var position: [Int64: Int] = [:]
        for row in rows {
            let customerID = row.customerID
            if let index = position[customerID] {
                byCustomer[index].rows.append(row)
            } else {
                position[customerID] = byCustomer.count
                byCustomer.append((customerID, [row]))
            }
        }

        for (customerID, group) in byCustomer {
            let first = group[0]
            let zone = context.zone(first.timeZone)
            let today = CalendarDate(instant: now, timeZone: zone)
            let opening = rules.nextOpening(atOrAfter: now, in: zone)
            let lastSMS = try Date.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MAX(created_at) FROM message
                        WHERE customer_id = ? AND channel = 'sms' AND status NOT IN ('cancelled', 'failed')
                            AND kind = 'reminder'
                        """), arguments: [customerID])
            var capUntil = lastSMS.map { $0.addingTimeInterval(rules.smsMinimumInterval) }
            var due: [DueInvoice] = []
            var sentByInvoice: [Int64: Set<SlotKey>] = [:]

            for row in group {
                let id = row.id
                guard row.paidAt == nil, row.voidedAt == nil, row.remindersPausedAt == nil,
                    let dueOn = CalendarDate(iso: row.dueOn), let currency = Currency(code: row.currency)
                else {
                    try setNextAction.execute(arguments: [nil as Date?, id])
                    continue
                }
                if row.planID != nil {
                    try Store.remindInstalments(
                        db, row: row, context: context, zone: zone, opening: opening, capUntil: &capUntil,
                        summary: &summary)
                    continue
                }
                let baseOn = row.remindersRebasedOn.flatMap(CalendarDate.init(iso:)) ?? dueOn
                let sent = Set(
                    try ReminderRecord.Slot.fetchAll(
                        db, sql: "SELECT stage, occurrence FROM reminder WHERE invoice_id = ?", arguments: [id]
                    )
                    .map(\.key))
                sentByInvoice[id] = sent
                guard let planned = ReminderPlanner.due(policy: policy, dueOn: baseOn, today: today, sent: sent) else {
                    let next = ReminderPlanner.nextAction(
                        policy: policy, dueOn: baseOn, sent: sent, now: now, timeZone: zone, rules: rules)
                    try setNextAction.execute(arguments: [next, id])
                    continue
                }
                if opening > now {
                    // Night, Sunday or a holiday where the customer lives: wait for the window.
                    try setNextAction.execute(arguments: [opening, id])
                    summary.deferred += 1
                    continue
                }
                let balance = Money(minorUnits: row.amount - row.paid, currency: currency)
                due.append(
                    DueInvoice(
                        id: id, number: row.number, balance: balance, dueOn: dueOn, baseOn: baseOn, planned: planned))
            }
            if due.isEmpty { continue }

            // SMS: one message per customer and currency, unless nothing can reach them.
            let smsDue = due.filter { $0.planned.stage.channels.contains(.sms) }
            let phone = first.phone
            var handled: [Int64: [SlotKey]] = [:]
            let language = Language(locale: first.locale) ?? Language(locale: business.defaultLocale) ?? .fr
            /// One message per currency (amounts are never added across currencies).
            func queueByCurrency(_ items: [DueInvoice], _ queue: ([DueInvoice]) throws -> QueuedReminder) throws {
                for batch in Dictionary(grouping: items, by: { $0.balance.currency.code }).values {
                    summary.queued.append(try queue(batch))
                    for item in batch { handled[item.id, default: []].append(SlotKey(item.planned)) }
                }
            }
            /// Slots that no message can serve on this channel: recorded once, with why.
            func skip(_ items: [DueInvoice], _ channel: Channel, _ reason: String) throws {
                for item in items {
                    try Store.recordSkipped(db, item.id, item.planned, channel, reason: reason, now: now)
                    summary.skipped.append((item.id, item.planned.stage.key, reason))
                    handled[item.id, default: []].append(SlotKey(item.planned))
                }
            }
            if !smsDue.isEmpty {
                if phone == nil || first.smsOptedOutAt != nil {
                    let reason = phone == nil ? "no phone number" : "opted out of SMS"
                    try skip(smsDue, .sms, reason)
                } else if let capUntil, capUntil > now {
                    let retry = rules.nextOpening(atOrAfter: capUntil, in: zone)
                    for item in smsDue { try setNextAction.execute(arguments: [retry, item.id]) }
                    summary.deferred += smsDue.count
                    due.removeAll { item in smsDue.contains { $0.id == item.id } }
                } else if let phone {
                    try queueByCurrency(smsDue) { batch in
                        try Store.queueMessage(
                            db, customerID: customerID, customerName: first.name, phone: phone, items: batch,
                            language: language, context: context)
                    }
                }
            }
            // Email: one message per customer and currency, like the SMS, with its own link.
            let emailDue = due.filter { $0.planned.stage.channels.contains(.email) }
            if !emailDue.isEmpty {
                switch Store.emailRecipient(
                    first.email, optedOut: first.emailOptedOutAt != nil, emailEnabled: emailEnabled)
                {
                case .failure(let reason):
                    try skip(emailDue, .email, reason.text)
                case .success(let address):
                    try queueByCurrency(emailDue) { batch in
                        try Store.queueEmail(
                            db, customerID: customerID, customerName: first.name, address: address, items: batch,
                            language: language, context: context)
                    }
                }
            }
            for item in due {
                let sent = (sentByInvoice[item.id] ?? []).union(handled[item.id] ?? [])
                let next = ReminderPlanner.nextAction(
                    policy: policy, dueOn: item.baseOn, sent: sent, now: now, timeZone: zone, rules: rules,
                    notBefore: handled[item.id] == nil ? nil : now.addingTimeInterval(rules.smsMinimumInterval))
                try setNextAction.execute(arguments: [next, item.id])
            }
        }
        return summary
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

    /// What every reminder message starts with: the most advanced stage among its invoices (which sets
    /// the tone of a combined message), and its own link (a statement link for several invoices), so a
    /// payment can be traced to the message.
    static func reminderLink(_ db: Database, customerID: Int64, items: [DueInvoice], context: TickContext) throws
        -> (stage: String, combined: Bool, link: IssuedLink)
    {
        let business = context.business
        let order = Dictionary(uniqueKeysWithValues: context.policy.stages.enumerated().map { ($1.key, $0) })
        let stage =
            items.map(\.planned.stage.key).max { (order[$0] ?? 0) < (order[$1] ?? 0) } ?? items[0].planned.stage.key
        let combined = items.count > 1
        let link: IssuedLink
        if combined {
            link = try Store.createStatementLink(
                db, customerID: customerID, business: business, keyring: context.links.keyring, now: context.now)
        } else {
            link = try Store.insertLink(
                db, invoiceID: items[0].id,
                expiresAt: Store.defaultExpiry(dueOn: items[0].dueOn, business: business, now: context.now),
                purpose: .reminder, renewedFrom: nil, keyring: context.links.keyring, now: context.now)
        }
        return (stage, combined, link)
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

    static func queueMessage(
        _ db: Database, customerID: Int64, customerName: String, phone: String, items: [DueInvoice],
        language: Language, context: TickContext, templateStage: String? = nil
    ) throws -> QueuedReminder {
        let business = context.business
        let links = context.links
        let nowText = context.nowText
        let (stage, combined, link) = try reminderLink(db, customerID: customerID, items: items, context: context)
        let currency = items[0].balance.currency
        let total = Money(minorUnits: Money.total(items.map(\.balance.minorUnits)), currency: currency)
        var template = try context.template(db, stage: templateStage ?? stage, language: language, combined: combined)
        // An A/B test on this wording: a stable share of customers gets B, and the message says which.
        var variant: WordingVariant?
        if let other = try context.variant(db, stage: templateStage ?? stage, language: language, combined: combined) {
            if Store.getsVariantB(customerID: customerID, stage: templateStage ?? stage, share: other.share) {
                template = other.template
                variant = .b
            } else {
                variant = .a
            }
        }
        let text = template.render([
            .customer_name: customerName, .business_name: business.name,
            .amount: Format.amount(items[0].balance, language), .invoice_number: items[0].number,
            .due_date: Format.shortDate(items[0].dueOn, language), .link: links.urls.invoicePage(token: link.token),
            .business_phone: business.phone ?? "", .invoice_count: String(items.count),
            .total: Format.amount(total, language),
        ])
        let analysis = SMSText.analyze(text)
        try db.cachedStatement(
            sql: """
                INSERT INTO message (customer_id, invoice_id, link_id, kind, channel, recipient, body, status, stage,
                    encoding, segments, created_at, updated_at, variant)
                VALUES (?, ?, ?, 'reminder', 'sms', ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            customerID, combined ? nil : items[0].id, link.linkID, phone, analysis.text, stage,
            analysis.encoding.rawValue, analysis.segments, nowText, nowText, variant,
        ])
        let messageID = db.lastInsertedRowID
        try recordQueuedReminder(
            db, messageID: messageID, linkID: link.linkID, items: items, channel: .sms, nowText: nowText)
        return QueuedReminder(
            messageID: messageID, customerID: customerID, invoiceIDs: items.map(\.id), stage: stage, channel: .sms,
            recipient: phone, body: analysis.text, encoding: analysis.encoding, segments: analysis.segments)
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
