import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The columns a person mapped by hand in the dashboard's import, remembered by their title so the next
/// spreadsheet from the same billing program is read the same way.
extension Store {
    static func importColumnsMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE import_column (
                    title TEXT PRIMARY KEY COLLATE NOCASE CHECK (length(title) BETWEEN 1 AND 200),
                    field TEXT NOT NULL CHECK (length(field) <= 40),
                    updated_at TEXT NOT NULL
                )
                """)
    }

    /// Column title → field name ("" for a column left out), as last chosen.
    public func importColumns() async throws -> [String: String] {
        try await pool.read { db in
            var mapping: [String: String] = [:]
            for column in try ImportColumnRecord.fetchAll(db) { mapping[column.title] = column.field }
            return mapping
        }
    }

    /// Remembers these choices (title → field name, "" for left out), replacing earlier ones for the same
    /// titles; titles longer than 200 characters are not remembered.
    public func rememberImportColumns(_ mapping: [String: String], now: Date, audit: AuditNote? = nil) async throws {
        try await pool.write { db in
            for (title, field) in mapping where (1...200).contains(title.count) && field.count <= 40 {
                try db.execute(
                    sql: """
                        INSERT INTO import_column (title, field, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (title) DO UPDATE SET field = excluded.field, updated_at = excluded.updated_at
                        """, arguments: [title, field, now])
            }
            if let audit { try Store.audit(db, audit) }
        }
    }
}
