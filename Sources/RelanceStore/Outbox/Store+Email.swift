import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// An email template parsed: its subject and its text, from which the HTML part is made.
public struct EmailTemplate: Sendable, Equatable {
    public var subject: MessageTemplate
    public var body: MessageTemplate

    public init(subject: MessageTemplate, body: MessageTemplate) {
        self.subject = subject
        self.body = body
    }
}

extension Store {
    /// The email wording for a stage, language and kind: the business's own, else the default (for a
    /// stage the business added, the default of the nearest standard stage).
    public func emailTemplate(stage: String, language: Language, combined: Bool) async throws -> EmailTemplate {
        try await pool.read { db in try Store.emailTemplate(db, stage: stage, language: language, combined: combined) }
    }

    static func emailTemplate(_ db: Database, stage: String, language: Language, combined: Bool) throws
        -> EmailTemplate
    {
        if let own = try MessageTemplateRecord.fetchOne(
            db, key: ["stage": stage, "channel": Channel.email, "locale": language, "combined": combined]),
            let subject = own.subject
        {
            return EmailTemplate(subject: try MessageTemplate(subject), body: try MessageTemplate(own.body))
        }
        var key = DefaultTemplates.Key(stage: stage, channel: .email, language: language, combined: combined)
        if DefaultTemplates.email[key] == nil { key.stage = try nearestStandardStage(db, stage) }
        let wording =
            DefaultTemplates.email[key]
            ?? EmailWording(subject: "{{business_name}}", body: "{{customer_name}}\n\n{{link}}\n\n{{business_name}}")
        return EmailTemplate(subject: try MessageTemplate(wording.subject), body: try MessageTemplate(wording.body))
    }

    /// Stores a business's email wording for a stage; both parts are parsed first.
    public func saveEmailTemplate(
        stage: String, language: Language, combined: Bool, subject: String, body: String, now: Date,
        audit: AuditNote? = nil
    ) async throws {
        _ = try MessageTemplate(subject)
        _ = try MessageTemplate(body)
        try await write(audit: audit) { db in
            try db.execute(
                sql: """
                    INSERT INTO message_template (stage, channel, locale, combined, subject, body, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (stage, channel, locale, combined) DO UPDATE SET subject = excluded.subject,
                        body = excluded.body, updated_at = excluded.updated_at
                    """, arguments: [stage, Channel.email, language, combined, subject, body, now])
        }
    }

    /// Records that a customer asked for no more email reminders; true when it changed anything.
    @discardableResult
    public func optOutOfEmail(customerID: Int64, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE customer SET email_opted_out_at = ? WHERE id = ? AND email_opted_out_at IS NULL",
                arguments: [now, customerID])
            guard db.changesCount > 0 else { return false }
            try Store.cancelQueuedEmails(db, customerID: customerID, now: now)
            try Store.emitOptedOut(db, customerID: customerID, channel: .email, now: now)
            return true
        }
    }

    static func cancelQueuedEmails(_ db: Database, customerID: Int64, now: Date) throws {
        let ids = try MessageRecord.queued(customerID: customerID, channel: .email)
            .select(MessageRecord.Columns.id, as: Int64.self)
            .fetchAll(db)
        try cancelMessages(db, ids: ids, now: now, reason: "customer opted out")
    }

    /// A customer's locale and whether they still get email reminders, for the unsubscribe page.
    public func emailConsent(customerID: Int64) async throws -> (locale: String?, optedOut: Bool)? {
        try await pool.read { db in
            try CustomerTableRecord.fetchOne(db, key: customerID).map { ($0.locale, $0.emailOptedOutAt != nil) }
        }
    }

    /// Queues one email reminder about `items` (one invoice, or several of one customer with a
    /// statement link), with its own link so a payment can be traced to this email.
    static func queueEmail(
        _ db: Database, customerID: Int64, customerName: String, address: String, items: [DueInvoice],
        language: Language, context: TickContext
    ) throws -> QueuedReminder {
        let business = context.business
        let links = context.links
        let (stage, combined, link) = try reminderLink(db, customerID: customerID, items: items, context: context)
        let currency = items[0].balance.currency
        let total = Money(minorUnits: Money.total(items.map(\.balance.minorUnits)), currency: currency)
        let template = try context.emailTemplate(db, stage: stage, language: language, combined: combined)
        let url = links.urls.invoicePage(token: link.token)
        let values: [MessageVariable: String] = [
            .customer_name: customerName, .business_name: business.name,
            .amount: Format.amount(items[0].balance, language), .invoice_number: items[0].number,
            .due_date: Format.shortDate(items[0].dueOn, language), .link: url,
            .business_phone: business.phone.map(PhoneDisplay.format) ?? "", .invoice_count: String(items.count),
            .total: Format.amount(total, language),
        ]
        let subject = template.subject.render(values)
        let words = template.body.render(values)
        let unsubscribeURL = links.urls.unsubscribe(token: links.keyring.unsubscribeToken(customerID: customerID))
        // The words around the business's own: not theirs to edit, so from the catalogue.
        let chrome = try context.phrases.catalogue().words(language)
        let unsubscribe = chrome("email_unsubscribe")
        let footer = [business.name, business.address ?? "", business.legal ?? ""].filter { !$0.isEmpty }
        let html = EmailHTML.render(
            text: words, link: url, buttonLabel: chrome(combined ? "email_button_many" : "email_button"),
            businessName: business.name, footer: footer, unsubscribe: (unsubscribeURL, unsubscribe), language: language,
            logoURL: business.logoHash.map { links.urls.logo(version: $0) })
        // The text part ends as the HTML part does: who writes, and how to stop these emails.
        let text =
            words + "\n\n-- \n"
            + (footer + [chrome("email_unsubscribe_line", unsubscribe, unsubscribeURL)]).joined(separator: "\n")
        let nowText = context.nowText
        try db.cachedStatement(
            sql: """
                INSERT INTO message (customer_id, invoice_id, link_id, kind, channel, recipient, body, status, stage,
                    subject, html, unsubscribe_url, created_at, updated_at)
                VALUES (?, ?, ?, 'reminder', 'email', ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            customerID, combined ? nil : items[0].id, link.linkID, address, text, stage, subject, html,
            unsubscribeURL, nowText, nowText,
        ])
        let messageID = db.lastInsertedRowID
        try recordQueuedReminder(
            db, messageID: messageID, linkID: link.linkID, items: items, channel: .email, nowText: nowText)
        return QueuedReminder(
            messageID: messageID, customerID: customerID, invoiceIDs: items.map(\.id), stage: stage, channel: .email,
            recipient: address, body: text, encoding: .gsm7, segments: 0, subject: subject)
    }
}
