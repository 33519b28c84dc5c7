import GRDB

extension Store {
    /// Replies known by the provider's own id, so a signed request replayed is recorded once; and the
    /// audit trail readable by API key.
    static func hardeningMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE inbound ADD COLUMN provider_message_id TEXT;
                CREATE UNIQUE INDEX inbound_provider_message ON inbound (provider, provider_message_id)
                    WHERE provider_message_id IS NOT NULL;
                CREATE INDEX audit_api_key ON audit (api_key_id, at) WHERE api_key_id IS NOT NULL;
                """)
    }
}
