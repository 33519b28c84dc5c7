import Foundation
import GRDB
import RelanceCore
import RelanceServices

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
}
