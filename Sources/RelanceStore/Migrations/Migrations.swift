import GRDB

extension Store {
    // Append-only: a migration that has shipped is never edited; change the schema with a new one.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE business (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
                        phone TEXT CHECK (phone IS NULL OR phone GLOB '+[1-9][0-9]*'),
                        email TEXT,
                        address TEXT,
                        payment_url TEXT,
                        bank_beneficiary TEXT,
                        bank_iban TEXT,
                        bank_bic TEXT,
                        default_locale TEXT NOT NULL DEFAULT 'fr',
                        time_zone TEXT NOT NULL DEFAULT 'Europe/Paris',
                        link_lifetime_days INTEGER NOT NULL DEFAULT 60
                            CHECK (link_lifetime_days BETWEEN 1 AND 3650)
                    );
                    INSERT INTO business (id, name) VALUES (1, 'My business');

                    CREATE TABLE customer (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                        phone TEXT CHECK (phone IS NULL OR (phone GLOB '+[1-9][0-9]*' AND length(phone) BETWEEN 9 AND 16)),
                        email TEXT CHECK (email IS NULL OR length(email) <= 254),
                        locale TEXT,
                        time_zone TEXT,
                        external_ref TEXT UNIQUE,
                        sms_opted_out_at TEXT,
                        email_opted_out_at TEXT,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX customer_phone ON customer (phone);

                    CREATE TABLE invoice (
                        id INTEGER PRIMARY KEY,
                        number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 64),
                        customer_id INTEGER NOT NULL REFERENCES customer (id),
                        currency TEXT NOT NULL CHECK (length(currency) = 3),
                        amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
                        issued_on TEXT NOT NULL CHECK (issued_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                        due_on TEXT NOT NULL CHECK (due_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                        payment_url TEXT,
                        external_ref TEXT UNIQUE,
                        paid_at TEXT,
                        voided_at TEXT,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        CHECK (due_on >= issued_on)
                    );
                    CREATE INDEX invoice_customer ON invoice (customer_id);
                    CREATE INDEX invoice_open ON invoice (id) WHERE paid_at IS NULL AND voided_at IS NULL;

                    CREATE TABLE payment (
                        id INTEGER PRIMARY KEY,
                        invoice_id INTEGER NOT NULL REFERENCES invoice (id),
                        amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
                        method TEXT NOT NULL CHECK (length(method) BETWEEN 1 AND 40),
                        reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 200),
                        received_at TEXT NOT NULL,
                        recorded_at TEXT NOT NULL,
                        UNIQUE (invoice_id, reference)
                    );

                    CREATE TABLE link (
                        id INTEGER PRIMARY KEY,
                        -- An invoice's page, or a customer's statement of open invoices: exactly one.
                        invoice_id INTEGER REFERENCES invoice (id),
                        customer_id INTEGER REFERENCES customer (id),
                        purpose TEXT NOT NULL CHECK (purpose IN ('api', 'cli', 'demo', 'renewal', 'reminder')),
                        key_id INTEGER NOT NULL,
                        created_at TEXT NOT NULL,
                        expires_at TEXT NOT NULL,
                        revoked_at TEXT,
                        renewed_from INTEGER REFERENCES link (id),
                        -- The message that carried the link, for "which reminder got paid".
                        message_id INTEGER REFERENCES message (id),
                        CHECK ((invoice_id IS NULL) <> (customer_id IS NULL))
                    );
                    CREATE INDEX link_invoice ON link (invoice_id, created_at);
                    CREATE INDEX link_customer ON link (customer_id) WHERE customer_id IS NOT NULL;

                    CREATE TABLE click (
                        id INTEGER PRIMARY KEY,
                        link_id INTEGER NOT NULL REFERENCES link (id),
                        at TEXT NOT NULL,
                        agent TEXT NOT NULL CHECK (agent IN ('person', 'preview')),
                        ip_hash TEXT
                    );
                    CREATE INDEX click_link ON click (link_id, agent);

                    CREATE TABLE message (
                        id INTEGER PRIMARY KEY,
                        customer_id INTEGER NOT NULL REFERENCES customer (id),
                        invoice_id INTEGER REFERENCES invoice (id),
                        link_id INTEGER REFERENCES link (id),
                        kind TEXT NOT NULL,
                        channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
                        recipient TEXT NOT NULL,
                        body TEXT NOT NULL,
                        status TEXT NOT NULL DEFAULT 'queued'
                            CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'unknown', 'cancelled')),
                        error TEXT,
                        created_at TEXT NOT NULL,
                        sent_at TEXT
                    );
                    CREATE INDEX message_queued ON message (id) WHERE status = 'queued';
                    CREATE INDEX message_invoice ON message (invoice_id);

                    CREATE TABLE api_key (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                        prefix TEXT NOT NULL,
                        hash TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT
                    );

                    CREATE TABLE idempotency (
                        id INTEGER PRIMARY KEY,
                        api_key_id INTEGER NOT NULL REFERENCES api_key (id),
                        key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
                        request_hash TEXT NOT NULL,
                        response_status INTEGER NOT NULL,
                        response_body BLOB NOT NULL,
                        created_at TEXT NOT NULL,
                        UNIQUE (api_key_id, key)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-29-reminders", migrate: remindersMigration)
        migrator.registerMigration("2026-11-29-requests", migrate: requestsMigration)
        migrator.registerMigration("2026-11-29-accounts", migrate: accountsMigration)
        migrator.registerMigration("2026-11-29-variants", migrate: variantsMigration)
        migrator.registerMigration("2026-11-29-email", migrate: emailMigration)
        migrator.registerMigration("2026-11-29-webhooks", migrate: webhooksMigration)
        migrator.registerMigration("2026-12-01-hardening", migrate: hardeningMigration)
        migrator.registerMigration("2026-12-01-wording-history", migrate: wordingHistoryMigration)
        migrator.registerMigration("2026-12-02-user-language", migrate: userLanguageMigration)
        migrator.registerMigration("2026-12-02-import-columns", migrate: importColumnsMigration)
        migrator.registerMigration("2026-12-02-amount-covers-payments", migrate: amountCoversPaymentsMigration)
        migrator.registerMigration("2026-12-02-kind-checks", migrate: kindChecksMigration)
        return migrator
    }()
}
