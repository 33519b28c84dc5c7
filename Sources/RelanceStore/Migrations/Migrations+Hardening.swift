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

extension Store {
    /// The audit actions that change what customers are told, for the wording history.
    static let wordingActions = [
        "template.saved", "template.variant_saved", "template.variant_stopped", "email_template.saved", "policy.saved",
        "api PUT /api/v1/templates/{stage}/{channel}/{locale}", "api PUT /api/v1/policy",
    ]

    /// The history of wording changes is read newest first without scanning the whole audit trail.
    static func wordingHistoryMigration(_ db: Database) throws {
        let list = wordingActions.map { "'" + $0 + "'" }.joined(separator: ", ")
        try db.execute(sql: "CREATE INDEX audit_wording ON audit (id) WHERE action IN (\(list))")
    }
}

extension Store {
    /// `message.kind` and `invoice_event.kind` were created without a CHECK, and decoding them is strict,
    /// so one unknown value would stop every read of its table. SQLite cannot add a CHECK to a table in
    /// place; triggers refuse the same values on insert and update. The lists are written out here, as
    /// migrations never change once applied (RecordTests holds them to the enums).
    static func kindChecksMigration(_ db: Database) throws {
        let kinds = [
            (
                table: "message",
                values: [
                    "reminder", "link_renewal", "test", "opt_out_confirmation", "opt_in_confirmation",
                    "request_confirmation", "request_answer",
                ]
            ),
            (
                table: "invoice_event",
                values: [
                    "request.created", "request.replaced", "request.accepted", "request.declined",
                    "request.answered", "plan.started", "plan.completed", "plan.broken", "plan.cancelled",
                    "reminders.paused", "reminders.resumed",
                ]
            ),
        ]
        for (table, values) in kinds {
            let list = values.map { "'\($0)'" }.joined(separator: ", ")
            for (name, event) in [("insert", "INSERT"), ("update", "UPDATE OF kind")] {
                try db.execute(
                    sql: """
                        CREATE TRIGGER \(table)_kind_known_on_\(name) BEFORE \(event) ON \(table)
                        WHEN NEW.kind NOT IN (\(list))
                        BEGIN
                            SELECT RAISE(ABORT, '\(table).kind: not a kind Relance writes');
                        END
                        """)
            }
        }
    }
}
