import GRDB

extension Store {
    /// Policy, templates, sending rules, the scheduler's bookmark on invoices, and the message log.
    static func remindersMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                -- The policy: ordered stages relative to the due date. Templates that differ from the
                -- built-in wording are rows of message_template; the others use the defaults.
                CREATE TABLE reminder_stage (
                    key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 32),
                    position INTEGER NOT NULL UNIQUE,
                    offset_days INTEGER NOT NULL CHECK (offset_days BETWEEN -365 AND 365),
                    repeat_every_days INTEGER CHECK (repeat_every_days IS NULL OR repeat_every_days BETWEEN 1 AND 90),
                    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
                    channels TEXT NOT NULL CHECK (channels IN ('sms', 'email', 'sms,email'))
                );
                INSERT INTO reminder_stage (key, position, offset_days, channels) VALUES
                    ('courtesy', 1, -7, 'sms'), ('due', 2, 0, 'sms'), ('late', 3, 7, 'sms'), ('final', 4, 30, 'sms');

                CREATE TABLE message_template (
                    stage TEXT NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
                    locale TEXT NOT NULL CHECK (locale IN ('fr', 'en')),
                    combined INTEGER NOT NULL CHECK (combined IN (0, 1)),
                    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (stage, channel, locale, combined)
                );

                -- When messages may go out: quiet hours, weekdays, holidays, frequency cap.
                CREATE TABLE sending_rules (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    window_start_hour INTEGER NOT NULL DEFAULT 9 CHECK (window_start_hour BETWEEN 0 AND 23),
                    window_end_hour INTEGER NOT NULL DEFAULT 19 CHECK (window_end_hour BETWEEN 1 AND 24),
                    weekdays TEXT NOT NULL DEFAULT '1,2,3,4,5,6',
                    holidays TEXT NOT NULL DEFAULT '',
                    sms_minimum_interval_hours INTEGER NOT NULL DEFAULT 72
                        CHECK (sms_minimum_interval_hours BETWEEN 0 AND 2160),
                    CHECK (window_start_hour < window_end_hour)
                );
                INSERT INTO sending_rules (id) VALUES (1);

                -- When the scheduler should look at an invoice again; NULL once nothing is left to send.
                ALTER TABLE invoice ADD COLUMN next_action_at TEXT;
                ALTER TABLE invoice ADD COLUMN reminders_paused_at TEXT;
                ALTER TABLE invoice ADD COLUMN reminders_paused_reason TEXT;
                CREATE INDEX invoice_next_action ON invoice (next_action_at) WHERE next_action_at IS NOT NULL;

                ALTER TABLE message ADD COLUMN stage TEXT;
                ALTER TABLE message ADD COLUMN encoding TEXT CHECK (encoding IS NULL OR encoding IN ('gsm7', 'ucs2'));
                ALTER TABLE message ADD COLUMN segments INTEGER;
                ALTER TABLE message ADD COLUMN provider TEXT;
                ALTER TABLE message ADD COLUMN provider_id TEXT;
                ALTER TABLE message ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE message ADD COLUMN next_attempt_at TEXT;
                ALTER TABLE message ADD COLUMN updated_at TEXT;
                CREATE UNIQUE INDEX message_provider_id ON message (provider, provider_id) WHERE provider_id IS NOT NULL;
                CREATE INDEX message_customer_channel ON message (customer_id, channel, created_at);

                -- Every status a message went through, with its time: the proof of what was sent when.
                CREATE TABLE message_event (
                    id INTEGER PRIMARY KEY,
                    message_id INTEGER NOT NULL REFERENCES message (id),
                    status TEXT NOT NULL,
                    at TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX message_event_message ON message_event (message_id, id);

                -- Which reminder slot of which invoice a message served; one message may serve several
                -- invoices of one customer. A slot is handled once per channel, even when nothing could
                -- be sent (then message_id is NULL and skipped_reason says why).
                CREATE TABLE reminder (
                    id INTEGER PRIMARY KEY,
                    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
                    stage TEXT NOT NULL,
                    occurrence INTEGER NOT NULL CHECK (occurrence >= 1),
                    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
                    message_id INTEGER REFERENCES message (id),
                    skipped_reason TEXT,
                    created_at TEXT NOT NULL,
                    UNIQUE (invoice_id, stage, occurrence, channel),
                    CHECK ((message_id IS NULL) <> (skipped_reason IS NULL))
                );
                CREATE INDEX reminder_message ON reminder (message_id);

                -- Texts customers sent back: STOP and START change their consent, anything else is kept for
                -- the business and (by default) pauses that customer's reminders until someone looks.
                CREATE TABLE inbound (
                    id INTEGER PRIMARY KEY,
                    customer_id INTEGER REFERENCES customer (id),
                    from_number TEXT NOT NULL,
                    to_number TEXT,
                    body TEXT NOT NULL,
                    keyword TEXT NOT NULL CHECK (keyword IN ('stop', 'start', 'other')),
                    provider TEXT NOT NULL,
                    received_at TEXT NOT NULL,
                    read_at TEXT
                );
                CREATE INDEX inbound_customer ON inbound (customer_id, received_at);

                ALTER TABLE sending_rules ADD COLUMN pause_on_reply INTEGER NOT NULL DEFAULT 1
                    CHECK (pause_on_reply IN (0, 1));
                """)
    }
}
