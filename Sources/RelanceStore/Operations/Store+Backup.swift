import Foundation
import GRDB

extension Store {
    /// Copies the whole database to a new file at `path` through SQLite's online backup, from one
    /// read snapshot: consistent, while the server goes on reading and writing (WAL lets writers on).
    /// The copy is a plain file (no WAL), made with the process's umask (owner-only under `relance`).
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw BackupError.exists(path) }
        let destination = try DatabaseQueue(path: path)
        try pool.backup(to: destination)
        try destination.close()
    }

    /// SQLite's own verdict on a database file: "ok", or what is wrong, with the migrations it lacks.
    public static func check(path: String) throws -> (integrity: String, pendingMigrations: [String]) {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            let applied = try Store.migrator.appliedIdentifiers(db)
            return (rows.joined(separator: "; "), Store.migrator.migrations.filter { !applied.contains($0) })
        }
    }
}

/// What stops a backup or a restore before it writes anything.
public enum BackupError: Error, Equatable, CustomStringConvertible {
    case exists(String)
    case missing(String)
    case damaged(String, String)

    public var description: String {
        switch self {
        case .exists(let path): "\(path) exists already; choose a new place (nothing is overwritten)"
        case .missing(let path): "\(path) is missing"
        case .damaged(let path, let reason): "\(path) fails SQLite's integrity check: \(reason)"
        }
    }
}
