import GRDB

extension Store {
    /// Email reminders: what each email said (subject, text and HTML parts as sent, its unsubscribe
    /// link), the business's own subjects, and the final notice by email as well as SMS by default.
    static func emailMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE message ADD COLUMN subject TEXT;
                ALTER TABLE message ADD COLUMN html TEXT;
                ALTER TABLE message ADD COLUMN unsubscribe_url TEXT;
                ALTER TABLE message_template ADD COLUMN subject TEXT
                    CHECK (subject IS NULL OR length(subject) BETWEEN 1 AND 200);
                -- Only where the business never chose the final notice's channels itself.
                UPDATE reminder_stage SET channels = 'sms,email' WHERE key = 'final' AND channels = 'sms';
                """)
    }
}
