import ArgumentParser
import Foundation
import RelanceCore
import RelanceStore
import RelanceWeb

/// `relance backup DEST`: a consistent copy while the server runs and writes, with what it needs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database (SQLite's online backup), the link keys and the instance secret to a new folder.")

    @Argument(help: "A folder that does not exist yet; created owner-only.")
    var destination: String

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw CommandFailure("\(destination) exists already; name a new folder (nothing is overwritten)")
        }
        let store = try storage.openStore()
        let keyring = try storage.keyring()
        let secret = try storage.instanceSecret()
        try FileManager.default.createDirectory(
            atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = (destination as NSString).appendingPathComponent(Backup.databaseName)
        try store.backup(to: database)
        let (integrity, _) = try Store.check(path: database)
        guard integrity == "ok" else { throw CommandFailure(BackupError.damaged(database, integrity).description) }
        // Without the link keys, links already sent open nothing; without the secret, webhook secrets and
        // unsubscribe links cannot be read. They go with the copy, owner-only.
        try SecretFiles.create(
            path: (destination as NSString).appendingPathComponent(Backup.keysName), contents: keyring.text)
        try SecretFiles.create(
            path: (destination as NSString).appendingPathComponent(Backup.secretName),
            contents: Base64URL.encode(secret) + "\n")
        let size = (try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
        printError(
            "backed up \(size) bytes to \(database) (integrity ok), with \(Backup.keysName) and \(Backup.secretName)")
    }
}

/// `relance restore SOURCE`: puts a backup in place of the configured files, the server stopped.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup made by `relance backup` in place (stop the server first).",
        discussion: """
            Checks the backup with SQLite's integrity check, then copies its database, link keys and \
            instance secret to the configured paths. Files already there are kept beside, renamed \
            *.before-restore-TIME, and only with --force.
            """)

    @Argument(help: "The folder `relance backup` wrote.")
    var source: String

    @Flag(help: "Replace the files already in place (they are kept, renamed).")
    var force = false

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        let files = [
            (Backup.databaseName, storage.database),
            (
                Backup.keysName,
                storage.path(storage.linkKeyFile, env: "RELANCE_LINK_KEY_FILE", default: Backup.keysName)
            ),
            (
                Backup.secretName,
                storage.path(storage.secretFile, env: "RELANCE_SECRET_FILE", default: Backup.secretName)
            ),
        ].map { ((source as NSString).appendingPathComponent($0.0), $0.1) }
        for (from, _) in files where !FileManager.default.fileExists(atPath: from) {
            throw CommandFailure(BackupError.missing(from).description)
        }
        let (integrity, _) = try Store.check(path: files[0].0)
        guard integrity == "ok" else { throw CommandFailure(BackupError.damaged(files[0].0, integrity).description) }
        let present = files.map(\.1).filter { FileManager.default.fileExists(atPath: $0) }
        if !present.isEmpty && !force {
            throw CommandFailure(
                "\(present.joined(separator: ", ")) already there; stop the server and run again with --force "
                    + "(they are kept, renamed *.before-restore-TIME)")
        }
        let stamp = Instant.format(Date()).replacingOccurrences(of: ":", with: "")
        if !storage.directory.isEmpty {
            try FileManager.default.createDirectory(atPath: storage.directory, withIntermediateDirectories: true)
        }
        for (from, to) in files {
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: to + suffix) {
                try FileManager.default.moveItem(atPath: to + suffix, toPath: to + suffix + ".before-restore-" + stamp)
            }
            try FileManager.default.copyItem(atPath: from, toPath: to)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: to)
        }
        // Opening it applies any migration a newer version brings, and proves the keys load.
        _ = try storage.openStore()
        _ = try storage.keyring()
        printError("restored \(files[0].1) from \(source); start the server")
    }
}

enum Backup {
    static let databaseName = "relance.sqlite"
    static let keysName = "relance-link-keys"
    static let secretName = "relance-secret"
}
