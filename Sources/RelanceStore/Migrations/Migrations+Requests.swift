import GRDB

extension Store {
    /// Customers' plan proposals and questions, accepted plans and their instalments, the business's
    /// rules for plans, and an invoice's history of what happened besides messages and payments.
    static func requestsMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                -- A customer's payment-plan proposal or question, and what the business answered.
                CREATE TABLE request (
                    id INTEGER PRIMARY KEY,
                    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
                    customer_id INTEGER NOT NULL REFERENCES customer (id),
                    link_id INTEGER REFERENCES link (id),
                    kind TEXT NOT NULL CHECK (kind IN ('plan', 'question')),
                    status TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'accepted', 'declined', 'answered', 'replaced', 'cancelled')),
                    -- The proposed instalments as `YYYY-MM-DD:minor units` separated by `;`; plans only.
                    schedule TEXT CHECK (schedule IS NULL OR length(schedule) <= 4000),
                    message TEXT CHECK (message IS NULL OR length(message) <= 1000),
                    contact TEXT CHECK (contact IS NULL OR contact IN ('sms', 'phone', 'email')),
                    callback TEXT CHECK (callback IS NULL OR callback IN ('morning', 'midday', 'afternoon', 'evening')),
                    -- What was submitted, hashed: the same form sent twice is one request.
                    fingerprint TEXT NOT NULL,
                    ip_hash TEXT,
                    auto_accepted INTEGER NOT NULL DEFAULT 0 CHECK (auto_accepted IN (0, 1)),
                    answer TEXT CHECK (answer IS NULL OR length(answer) <= 1000),
                    answered_at TEXT,
                    created_at TEXT NOT NULL,
                    CHECK ((kind = 'plan') = (schedule IS NOT NULL))
                );
                -- One open request of each kind per invoice: a new proposal replaces the pending one.
                CREATE UNIQUE INDEX request_pending ON request (invoice_id, kind) WHERE status = 'pending';
                CREATE INDEX request_status ON request (status, id);
                CREATE INDEX request_invoice ON request (invoice_id, created_at);

                -- An accepted plan. Payments received after it began pay its instalments, oldest first.
                CREATE TABLE plan (
                    id INTEGER PRIMARY KEY,
                    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
                    request_id INTEGER REFERENCES request (id),
                    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'broken', 'cancelled')),
                    -- What the invoice had received when the plan began, so earlier payments count for nothing here.
                    paid_before INTEGER NOT NULL CHECK (paid_before >= 0),
                    created_at TEXT NOT NULL,
                    ended_at TEXT,
                    end_reason TEXT,
                    CHECK ((status = 'active') = (ended_at IS NULL))
                );
                CREATE UNIQUE INDEX plan_active ON plan (invoice_id) WHERE status = 'active';
                CREATE INDEX plan_invoice ON plan (invoice_id, id);

                CREATE TABLE installment (
                    id INTEGER PRIMARY KEY,
                    plan_id INTEGER NOT NULL REFERENCES plan (id),
                    position INTEGER NOT NULL CHECK (position >= 1),
                    due_on TEXT NOT NULL CHECK (due_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                    amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
                    UNIQUE (plan_id, position)
                );

                -- What a business accepts in a proposal, what it accepts without looking, how instalments
                -- are reminded and when a missed one breaks the plan.
                CREATE TABLE plan_settings (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    maximum_instalments INTEGER NOT NULL DEFAULT 12 CHECK (maximum_instalments BETWEEN 2 AND 60),
                    maximum_span_days INTEGER NOT NULL DEFAULT 365 CHECK (maximum_span_days BETWEEN 7 AND 1095),
                    minimum_instalment INTEGER NOT NULL DEFAULT 1000 CHECK (minimum_instalment >= 0),
                    auto_accept INTEGER NOT NULL DEFAULT 0 CHECK (auto_accept IN (0, 1)),
                    auto_accept_maximum_instalments INTEGER NOT NULL DEFAULT 3
                        CHECK (auto_accept_maximum_instalments BETWEEN 2 AND 60),
                    auto_accept_maximum_span_days INTEGER NOT NULL DEFAULT 90
                        CHECK (auto_accept_maximum_span_days BETWEEN 7 AND 1095),
                    reminder_offsets TEXT NOT NULL DEFAULT '-3,0,3',
                    break_after_days INTEGER NOT NULL DEFAULT 10 CHECK (break_after_days BETWEEN 1 AND 90),
                    -- Shown after a question is sent; NULL keeps Relance's own wording.
                    reply_time_fr TEXT CHECK (reply_time_fr IS NULL OR length(reply_time_fr) <= 200),
                    reply_time_en TEXT CHECK (reply_time_en IS NULL OR length(reply_time_en) <= 200)
                );
                INSERT INTO plan_settings (id) VALUES (1);

                -- Requests, answers, plan events and pauses, with their time: an invoice's history beside
                -- its messages and payments.
                CREATE TABLE invoice_event (
                    id INTEGER PRIMARY KEY,
                    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    request_id INTEGER REFERENCES request (id),
                    detail TEXT
                );
                CREATE INDEX invoice_event_invoice ON invoice_event (invoice_id, id);

                -- After a broken plan the stages count from this date instead of the due date, so the
                -- late stage comes at once and the final notice as long after it as the policy says.
                ALTER TABLE invoice ADD COLUMN reminders_rebased_on TEXT;
                ALTER TABLE message ADD COLUMN request_id INTEGER REFERENCES request (id);
                """)
    }
}
