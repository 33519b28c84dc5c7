import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A second wording for a stage, sent to a share of customers so the business can see which gets paid.
public struct TemplateVariant: Sendable, Equatable {
    public var stage: String
    public var language: Language
    public var combined: Bool
    public var body: String
    /// Percent of messages (1–99) that get this wording, "B"; the others get the stage's own, "A".
    public var share: Int

    public init(stage: String, language: Language, combined: Bool, body: String, share: Int) {
        self.stage = stage
        self.language = language
        self.combined = combined
        self.body = body
        self.share = share
    }
}

extension Store {
    static func variantsMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                -- The "B" wording of a template; the stage's own wording is "A". One B per template.
                CREATE TABLE template_variant (
                    stage TEXT NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
                    locale TEXT NOT NULL CHECK (locale IN ('fr', 'en')),
                    combined INTEGER NOT NULL CHECK (combined IN (0, 1)),
                    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
                    share INTEGER NOT NULL CHECK (share BETWEEN 1 AND 99),
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (stage, channel, locale, combined)
                );
                -- Which wording a reminder got, when its stage had two.
                ALTER TABLE message ADD COLUMN variant TEXT CHECK (variant IS NULL OR variant IN ('A', 'B'));
                """)
    }

    /// Stores (or replaces) the B wording of a template; the text is parsed first.
    public func saveVariant(_ variant: TemplateVariant, now: Date, audit: AuditNote? = nil) async throws {
        _ = try MessageTemplate(variant.body)
        try await write(audit: audit) { db in
            try db.execute(
                sql: """
                    INSERT INTO template_variant (stage, channel, locale, combined, body, share, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (stage, channel, locale, combined) DO UPDATE SET body = excluded.body,
                        share = excluded.share, updated_at = excluded.updated_at
                    """,
                arguments: [
                    variant.stage, Channel.sms, variant.language, variant.combined, variant.body, variant.share, now,
                ])
        }
    }

    /// Ends a test: every message gets the stage's own wording again.
    public func deleteVariant(stage: String, language: Language, combined: Bool, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            _ = try TemplateVariantRecord.deleteOne(
                db, key: ["stage": stage, "channel": Channel.sms, "locale": language, "combined": combined])
        }
    }

    /// The B wording of a template, if the business set one.
    public func variant(stage: String, language: Language, combined: Bool) async throws -> TemplateVariant? {
        try await pool.read { db in try Store.variant(db, stage: stage, language: language, combined: combined) }
    }

    static func variant(_ db: Database, stage: String, language: Language, combined: Bool) throws -> TemplateVariant? {
        guard
            let stored = try TemplateVariantRecord.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM template_variant
                        WHERE stage = ? AND channel = ? AND locale = ? AND combined = ?
                        """), arguments: [stage, Channel.sms, language, combined])
        else { return nil }
        return TemplateVariant(
            stage: stage, language: language, combined: combined, body: stored.body, share: stored.share)
    }
}
