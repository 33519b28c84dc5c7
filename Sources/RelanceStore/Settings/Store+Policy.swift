import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    // MARK: - Policy, rules, templates

    /// The reminder policy as stored.
    public func policy() async throws -> ReminderPolicy {
        try await pool.read { db in try Store.policy(db) }
    }

    static func policy(_ db: Database) throws -> ReminderPolicy {
        let stages = try ReminderStageRecord.order(ReminderStageRecord.Columns.position).fetchAll(db).map { stage in
            ReminderStage(
                key: stage.key, offsetDays: stage.offsetDays, repeatEveryDays: stage.repeatEveryDays,
                enabled: stage.enabled,
                channels: stage.channels.split(separator: ",").compactMap { Channel(rawValue: String($0)) })
        }
        return try ReminderPolicy(stages: stages)
    }

    /// Replaces the policy. Every open invoice is looked at again on the next tick.
    public func savePolicy(_ policy: ReminderPolicy, now: Date, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            try db.execute(sql: "DELETE FROM reminder_stage")
            for (index, stage) in policy.stages.enumerated() {
                try ReminderStageRecord(
                    key: stage.key, position: index + 1, offsetDays: stage.offsetDays,
                    repeatEveryDays: stage.repeatEveryDays, enabled: stage.enabled,
                    channels: stage.channels.map(\.rawValue).sorted().reversed().joined(separator: ",")
                ).insert(db)
            }
            try db.execute(
                sql: """
                    UPDATE invoice SET next_action_at = ?
                    WHERE paid_at IS NULL AND voided_at IS NULL AND reminders_paused_at IS NULL
                    """, arguments: [now])
        }
    }

    /// Quiet hours, weekdays, holidays and the frequency cap.
    public func sendingRules() async throws -> SendingRules {
        try await pool.read { db in try Store.sendingRules(db) }
    }

    /// Replaces the sending rules; open invoices are looked at again on the next tick.
    public func saveSendingRules(_ rules: SendingRules, pauseOnReply: Bool, now: Date, audit: AuditNote? = nil)
        async throws
    {
        try await write(audit: audit) { db in
            try Store.writeSendingRules(db, rules, pauseOnReply: pauseOnReply, now: now)
        }
    }

    static func writeSendingRules(_ db: Database, _ rules: SendingRules, pauseOnReply: Bool, now: Date) throws {
        try db.execute(
            sql: """
                UPDATE sending_rules SET window_start_hour = ?, window_end_hour = ?, weekdays = ?, holidays = ?,
                    sms_minimum_interval_hours = ?, pause_on_reply = ?
                WHERE id = 1
                """,
            arguments: [
                rules.windowStartHour, rules.windowEndHour,
                rules.weekdays.sorted().map(String.init).joined(separator: ","),
                rules.holidays.sorted().map(\.iso).joined(separator: ","), Int(rules.smsMinimumInterval / 3600),
                pauseOnReply,
            ])
        try db.execute(
            sql: """
                UPDATE invoice SET next_action_at = ?
                WHERE paid_at IS NULL AND voided_at IS NULL AND reminders_paused_at IS NULL
                """, arguments: [now])
    }

    /// Whether any reply other than STOP/START pauses the customer's reminders.
    public func pausesOnReply() async throws -> Bool {
        try await pool.read { db in try SendingRulesRecord.fetchOne(db, key: 1)?.pauseOnReply ?? true }
    }

    static func sendingRules(_ db: Database) throws -> SendingRules {
        guard let stored = try SendingRulesRecord.fetchOne(db, key: 1) else { return .standard }
        let weekdays = Set(stored.weekdays.split(separator: ",").compactMap { Int($0) })
        let holidays = Set(stored.holidays.split(separator: ",").compactMap { CalendarDate(iso: String($0)) })
        return SendingRules(
            windowStartHour: stored.windowStartHour, windowEndHour: stored.windowEndHour, weekdays: weekdays,
            holidays: holidays, smsMinimumInterval: TimeInterval(stored.smsMinimumIntervalHours) * 3600)
    }

    /// The template for a stage, channel, language and kind: the business's own, else the default.
    public func messageTemplate(stage: String, channel: Channel, language: Language, combined: Bool) async throws
        -> MessageTemplate
    {
        try await pool.read { db in
            try Store.messageTemplate(db, stage: stage, channel: channel, language: language, combined: combined)
        }
    }

    static func messageTemplate(_ db: Database, stage: String, channel: Channel, language: Language, combined: Bool)
        throws -> MessageTemplate
    {
        if let own = try MessageTemplateRecord.fetchOne(
            db, key: ["stage": stage, "channel": channel, "locale": language, "combined": combined])
        {
            return try MessageTemplate(own.body)
        }
        let key = DefaultTemplates.Key(stage: stage, channel: channel, language: language, combined: combined)
        if let source = DefaultTemplates.sms[key] { return try MessageTemplate(source) }
        let fallback = DefaultTemplates.Key(
            stage: try nearestStandardStage(db, stage), channel: .sms, language: language, combined: combined)
        return try MessageTemplate(DefaultTemplates.sms[fallback] ?? "{{business_name}}: {{link}}")
    }

    /// A stage the business added has no default wording: it borrows that of the standard stage
    /// nearest to its day.
    static func nearestStandardStage(_ db: Database, _ stage: String) throws -> String {
        let offset = try ReminderStageRecord.fetchOne(db, key: stage)?.offsetDays ?? 0
        return offset < 0 ? "courtesy" : offset == 0 ? "due" : offset < 30 ? "late" : "final"
    }

    /// Stores a business's wording for a stage; the template is parsed first, so a broken one is refused.
    public func saveTemplate(
        stage: String, channel: Channel, language: Language, combined: Bool, body: String, now: Date,
        audit: AuditNote? = nil
    ) async throws {
        _ = try MessageTemplate(body)
        try await write(audit: audit) { db in
            try db.execute(
                sql: """
                    INSERT INTO message_template (stage, channel, locale, combined, body, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (stage, channel, locale, combined) DO UPDATE SET body = excluded.body,
                        updated_at = excluded.updated_at
                    """, arguments: [stage, channel, language, combined, body, now])
        }
    }
}
