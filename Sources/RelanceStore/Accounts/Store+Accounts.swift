import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// Who may use the dashboard: owners manage users and settings, staff do the daily work.
public enum UserRole: String, Sendable, Codable, CaseIterable {
    case owner, staff
}

/// A dashboard account.
public struct DashboardUser: Sendable, Equatable {
    public var id: Int64
    public var email: String
    public var role: UserRole
    /// The dashboard's language this person chose; nil follows the business's.
    public var language: Language?

    public init(id: Int64, email: String, role: UserRole, language: Language? = nil) {
        self.id = id
        self.email = email
        self.role = role
        self.language = language
    }
}

/// A signed-in browser: its user and the token its forms must carry.
public struct DashboardSession: Sendable, Equatable {
    public var id: Int64
    public var user: DashboardUser
    public var csrf: String
    public var expiresAt: Date
}

/// What a sign-in attempt led to. Unknown email and wrong password are one answer.
public enum SignInOutcome: Sendable, Equatable {
    /// `token` goes in the cookie; only its hash is stored.
    case signedIn(token: String, session: DashboardSession)
    case refused
    /// Too many password checks were waiting; nothing was checked.
    case busy
}

/// Failures a caller can cause around accounts.
public enum AccountError: Error, Equatable, Sendable {
    case duplicateEmail
    case invalidEmail
    case weakPassword
    case lastOwner
    /// Too many password checks were waiting to hash a new one; nothing was added.
    case busy
}

extension Store {
    /// A session ends after this long without use, and in any case after the absolute limit.
    public static let sessionIdle: TimeInterval = 8 * 3600
    public static let sessionLifetime: TimeInterval = 7 * 86_400

    static func accountsMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE user (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
                    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
                    locked_until TEXT,
                    created_at TEXT NOT NULL,
                    disabled_at TEXT
                );

                -- A browser signed in. The cookie holds a random token; only its SHA-256 is kept.
                CREATE TABLE session (
                    id INTEGER PRIMARY KEY,
                    token_hash TEXT NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL REFERENCES user (id),
                    csrf TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    last_seen_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    ip_hash TEXT,
                    ended_at TEXT
                );
                CREATE INDEX session_user ON session (user_id);

                -- Who did what, from the dashboard or the API: every business action.
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    user_id INTEGER REFERENCES user (id),
                    api_key_id INTEGER REFERENCES api_key (id),
                    action TEXT NOT NULL,
                    invoice_id INTEGER REFERENCES invoice (id),
                    detail TEXT
                );
                CREATE INDEX audit_invoice ON audit (invoice_id, id) WHERE invoice_id IS NOT NULL;
                CREATE INDEX audit_at ON audit (at);

                -- Company number, VAT number…: shown at the foot of customer pages.
                ALTER TABLE business ADD COLUMN legal TEXT CHECK (legal IS NULL OR length(legal) <= 300);
                -- The logo on customer pages: a small PNG or JPEG, and a hash of it for its URL.
                ALTER TABLE business ADD COLUMN logo BLOB CHECK (logo IS NULL OR length(logo) <= 65536);
                ALTER TABLE business ADD COLUMN logo_type TEXT CHECK (logo_type IS NULL OR logo_type IN ('image/png', 'image/jpeg'));
                ALTER TABLE business ADD COLUMN logo_hash TEXT;

                -- The dashboard's invoice list sorts and filters by due date.
                CREATE INDEX invoice_due ON invoice (due_on, id);
                """)
    }

    // MARK: - Users

    /// Adds a dashboard account; the password is hashed here (scrypt) and never stored.
    public func addUser(
        email: String, password: String, role: UserRole, now: Date, by actor: AuditNote.Actor = .operator,
        language: Language? = nil
    ) async throws -> DashboardUser {
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines)
        // The rule every address Relance takes meets, not a looser one of the accounts' own.
        guard EmailAddress.isValid(email) else { throw AccountError.invalidEmail }
        guard password.count >= 10 else { throw AccountError.weakPassword }
        guard let hash = await PasswordWork.shared.hash(password) else { throw AccountError.busy }
        return try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM user WHERE email = ?", arguments: [email]) != nil {
                throw AccountError.duplicateEmail
            }
            var user = UserRecord(
                email: email, passwordHash: hash, role: role, failedSignIns: 0, createdAt: now, language: language)
            try user.insert(db)
            let id = try user.storedID()
            try Store.audit(db, AuditNote(actor: actor, "user.added", detail: "\(email) as \(role.rawValue)", at: now))
            return DashboardUser(id: id, email: email, role: role, language: language)
        }
    }

    /// Every dashboard account.
    public func users() async throws -> [DashboardUser] {
        try await pool.read { db in
            // Without their language, as this list has always been read.
            try UserRecord.filter(UserRecord.Columns.disabledAt == nil)
                .order(UserRecord.Columns.id)
                .fetchAll(db)
                .map { user in try DashboardUser(id: user.storedID(), email: user.email, role: user.role) }
        }
    }

    // MARK: - Sessions

    /// Checks a password (on `PasswordWork`'s lanes) and, when right, opens a new session (a new id each
    /// time: a session id known before sign-in is worth nothing after). A failure is audited on the
    /// account; slowing down repeated failures is the caller's, since it must not lock the owner out.
    public func signIn(
        email: String, password: String, ipHash: String?, now: Date, passwords: PasswordWork = .shared
    ) async throws -> SignInOutcome {
        // The row is read into Sendable values inside the closure: a closure returning a GRDB `Row` (not
        // Sendable) makes Swift choose the blocking `read`, which holds a thread of the task pool while
        // it waits for a reader: with the pool's threads all waiting so, nothing ran any more (the soak
        // found the whole server stopped, SIGTERM included, under 200 dashboard connections).
        let found = try await pool.read { db -> UserRecord? in
            try UserRecord.filter(
                UserRecord.Columns.email == email.trimmingCharacters(in: .whitespacesAndNewlines)
                    && UserRecord.Columns.disabledAt == nil
            ).fetchOne(db)
        }
        guard let matches = await passwords.verify(password, against: found?.passwordHash) else { return .busy }
        guard let found else { return .refused }
        let userID = try found.storedID()
        let user = DashboardUser(id: userID, email: found.email, role: found.role, language: found.language)
        return try await pool.write { db in
            guard matches else {
                try Store.audit(db, AuditNote(actor: .user(userID), "sign_in.failed", at: now))
                return .refused
            }
            let token = Base64URL.encode(Crypto.randomBytes(32))
            let csrf = Base64URL.encode(Crypto.randomBytes(24))
            let expires = now.addingTimeInterval(Store.sessionLifetime)
            try db.execute(
                sql: """
                    INSERT INTO session (token_hash, user_id, csrf, created_at, last_seen_at, expires_at, ip_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [Crypto.sha256Hex(token), userID, csrf, now, now, expires, ipHash])
            let session = DashboardSession(id: db.lastInsertedRowID, user: user, csrf: csrf, expiresAt: expires)
            try Store.audit(db, AuditNote(actor: .user(userID), "sign_in", at: now))
            return .signedIn(token: token, session: session)
        }
    }

    /// Sets the language this person reads the dashboard in.
    public func setLanguage(_ language: Language, userID: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE user SET language = ? WHERE id = ?", arguments: [language, userID])
        }
    }

    static func userLanguageMigration(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE user ADD COLUMN language TEXT CHECK (language IN ('en', 'fr'))")
    }

    /// The live session behind a cookie token, if any; use keeps it alive (written at most once a minute).
    public func session(token: String, now: Date) async throws -> DashboardSession? {
        guard token.utf8.count == 43, Base64URL.decode(token) != nil else { return nil }
        let hash = Crypto.sha256Hex(token)
        // Sendable values out of the closure, so the async `read` is the one called (see `signIn`).
        guard
            let row = try await pool.read({ db -> SessionRow? in
                try SessionRow.fetchOne(
                    db,
                    sql: """
                        SELECT s.id, s.csrf, s.expires_at, s.last_seen_at, u.id AS user_id, u.email, u.role,
                            u.language
                        FROM session s JOIN user u ON u.id = s.user_id
                        WHERE s.token_hash = ? AND s.ended_at IS NULL AND u.disabled_at IS NULL
                        """, arguments: [hash])
            })
        else { return nil }
        let expires = row.expiresAt
        let lastSeen = row.lastSeenAt
        guard expires > now, now.timeIntervalSince(lastSeen) < Store.sessionIdle else { return nil }
        let sessionID = row.id
        if now.timeIntervalSince(lastSeen) > 60 {
            try await pool.write { db in
                try db.execute(sql: "UPDATE session SET last_seen_at = ? WHERE id = ?", arguments: [now, sessionID])
            }
        }
        return DashboardSession(
            id: sessionID,
            user: DashboardUser(id: row.userID, email: row.email, role: row.role, language: row.language),
            csrf: row.csrf, expiresAt: expires)
    }

    /// A row of `session`'s SELECT: the session and its account, in values that may cross tasks.
    struct SessionRow: Sendable, Decodable, FetchableRecord, SnakeCaseColumns {
        var id: Int64
        var csrf: String
        var expiresAt: Date
        var lastSeenAt: Date
        var userID: Int64
        var email: String
        var role: UserRole
        var language: Language?

    }

    /// Signs a session out.
    public func endSession(id: Int64, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE session SET ended_at = ? WHERE id = ? AND ended_at IS NULL", arguments: [now, id])
        }
    }

    // MARK: - Audit

    /// Records something that changed nothing (an export), on its own.
    public func audit(_ note: AuditNote) async throws {
        try await pool.write { db in try Store.audit(db, note) }
    }

    /// Runs a write and records `audit` in the same transaction: a change and its audit row are
    /// committed together or not at all.
    /// `fill` completes what the caller left blank (a detail, the invoice) from what only the change
    /// can tell.
    func write<T: Sendable>(
        audit: AuditNote?, fill: (@Sendable (inout AuditNote, T) -> Void)? = nil,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await pool.write { db in
            let result = try body(db)
            if var audit {
                fill?(&audit, result)
                try Store.audit(db, audit)
            }
            return result
        }
    }

    static func audit(_ db: Database, _ note: AuditNote) throws {
        // Only an invoice that exists is linked; the id in a path may name none.
        let invoice = try note.invoiceID.flatMap {
            try Int64.fetchOne(db, sql: "SELECT id FROM invoice WHERE id = ?", arguments: [$0])
        }
        var userID: Int64?
        var apiKeyID: Int64?
        switch note.actor {
        case .user(let id): userID = id
        case .apiKey(let id): apiKeyID = id
        case .operator: break
        }
        var line = AuditRecord(
            at: note.at, userID: userID, apiKeyID: apiKeyID, action: note.action, invoiceID: invoice,
            detail: note.detail)
        try line.insert(db)
    }

}

/// A change to stages or wording, as the templates page lists it.
public struct WordingChange: Sendable, Equatable {
    public var at: Date
    /// The account's email, or the API key's name.
    public var who: String
    /// What changed, in words.
    public var what: String
    public var detail: String?
}

extension Store {
    /// The latest changes to what customers are told, newest first.
    public func wordingChanges(limit: Int) async throws -> [WordingChange] {
        let list = Store.wordingActions.map { "'" + $0 + "'" }.joined(separator: ", ")
        return try await pool.read { db in
            try WordingRow.fetchAll(
                db,
                sql: """
                    SELECT a.at, a.action, a.detail, u.email, k.name AS key_name
                    FROM audit a LEFT JOIN user u ON u.id = a.user_id LEFT JOIN api_key k ON k.id = a.api_key_id
                    WHERE a.action IN (\(list))
                    ORDER BY a.id DESC LIMIT ?
                    """, arguments: [limit]
            ).map { row in
                let action = row.action
                let who = row.email ?? row.keyName.map { "API key “\($0)”" } ?? "the operator"
                var detail = row.detail
                var what =
                    switch action {
                    case "template.saved": "text wording"
                    case "template.variant_saved": "wording B test"
                    case "template.variant_stopped": "wording B test stopped"
                    case "email_template.saved": "email wording"
                    case "policy.saved", "api PUT /api/v1/policy": "stages"
                    default: "wording"
                    }
                // The API's line says `STAGE CHANNEL LOCALE`; shown as the dashboard's are.
                if let parts = detail?.split(separator: " "), parts.count == 3, what == "wording" {
                    what = Channel(rawValue: String(parts[1])) == .email ? "email wording" : "text wording"
                    detail = "\(parts[0]) \(parts[2])"
                }
                return WordingChange(at: row.at, who: who, what: what, detail: detail)
            }
        }
    }

    /// A row of `wordingChanges`'s SELECT: the audit line and who made it (an account, or an API key).
    struct WordingRow: Decodable, FetchableRecord, SnakeCaseColumns {
        var at: Date
        var action: String
        var detail: String?
        var email: String?
        var keyName: String?

    }
}

extension Store {
    /// Closes an account and its sessions. The last owner cannot be disabled: someone must manage users.
    public func disableUser(id: Int64, now: Date, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            guard
                let role = try UserRole.fetchOne(
                    db, sql: "SELECT role FROM user WHERE id = ? AND disabled_at IS NULL", arguments: [id])
            else { throw StoreError.notFound("user \(id)") }
            if role == .owner {
                let owners = try UserRecord.filter(
                    UserRecord.Columns.role == UserRole.owner && UserRecord.Columns.disabledAt == nil
                ).fetchCount(db)
                guard owners > 1 else { throw AccountError.lastOwner }
            }
            try db.execute(sql: "UPDATE user SET disabled_at = ? WHERE id = ?", arguments: [now, id])
            try db.execute(
                sql: "UPDATE session SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL", arguments: [now, id])
        }
    }
}
