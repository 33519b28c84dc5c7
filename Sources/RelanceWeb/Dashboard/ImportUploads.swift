import Foundation
import RelanceCore
import RelanceStore
import Synchronization

/// Spreadsheets uploaded to the dashboard's import: each kept as a file (owner-only, beside the
/// database) under a random id until it is imported or a day has passed, with what its first reading
/// found and, once confirmed, how far its writing has got.
final class ImportUploads: Sendable {
    struct Upload: Sendable {
        var file: URL
        /// The name the browser gave, for people to recognise it.
        var name: String
        var userID: Int64
        var uploadedAt: Date
        /// The last check, the column choices it was made with, and how many of its invoices exist.
        var review: Review?
        var state: State = .waiting
    }

    struct Review: Sendable {
        var overrides: [String: String]
        /// The business's day the rows were checked on (an invoice's issue date defaults to it).
        var today: CalendarDate
        var check: InvoiceFile.Check
        var known: Int
    }

    enum State: Sendable {
        case waiting
        case writing(done: Int, total: Int)
        case finished(ImportCounts)
        case failed(String)
    }

    /// Uploads are forgotten (and their files deleted) after this long.
    static let lifetime: TimeInterval = 24 * 3600
    /// The largest file the dashboard takes; larger ones go through `relance import` on the server.
    static let maximumBytes = 16 * 1024 * 1024

    private let uploads = Mutex<[String: Upload]>([:])

    /// `imports/` beside the database file.
    static func directory(for store: Store) -> URL {
        URL(fileURLWithPath: store.path).deletingLastPathComponent().appendingPathComponent("imports")
    }

    /// Keeps `bytes` as a new upload: its id.
    func add(_ bytes: [UInt8], name: String, userID: Int64, store: Store, now: Date) throws -> String {
        forgetOld(now: now)
        let directory = ImportUploads.directory(for: store)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Files a restart left behind, once they are a day old.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".csv") {
            let path = directory.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, now.timeIntervalSince(modified) > ImportUploads.lifetime {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let id = Base64URL.encode(Crypto.randomBytes(16))
        let file = directory.appendingPathComponent(id + ".csv")
        guard
            FileManager.default.createFile(
                atPath: file.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown) }
        let upload = Upload(file: file, name: String(name.prefix(120)), userID: userID, uploadedAt: now)
        uploads.withLock { $0[id] = upload }
        return id
    }

    /// An upload by id: only the one who uploaded it may see it.
    func upload(_ id: String, userID: Int64) -> Upload? {
        guard ImportUploads.isID(id) else { return nil }
        return uploads.withLock { $0[id] }.flatMap { $0.userID == userID ? $0 : nil }
    }

    func update(_ id: String, _ change: (inout Upload) -> Void) {
        uploads.withLock { all in
            if var upload = all[id] {
                change(&upload)
                all[id] = upload
            }
        }
    }

    /// Starts writing `id` unless it is already being written or done; false when it was not waiting, or
    /// when another import is being written (one at a time keeps memory within its bound).
    func begin(_ id: String, total: Int) -> Bool {
        uploads.withLock { all in
            guard case .waiting = all[id]?.state else { return false }
            for upload in all.values { if case .writing = upload.state { return false } }
            all[id]?.state = .writing(done: 0, total: total)
            return true
        }
    }

    /// Whether an import is being written now.
    var busy: Bool {
        uploads.withLock { all in all.values.contains { if case .writing = $0.state { true } else { false } } }
    }

    /// Deletes what is older than a day (its file too), and files no upload names (left by a restart).
    func forgetOld(now: Date) {
        let old = uploads.withLock { all -> [URL] in
            let expired = all.filter { now.timeIntervalSince($0.value.uploadedAt) > ImportUploads.lifetime }
            for id in expired.keys {
                if case .writing = all[id]?.state { continue }
                all[id] = nil
            }
            return expired.values.map(\.file)
        }
        for file in old { try? FileManager.default.removeItem(at: file) }
    }

    /// Deletes the file of a finished upload; what it did stays to be shown.
    func removeFile(_ id: String) {
        guard let file = uploads.withLock({ $0[id]?.file }) else { return }
        try? FileManager.default.removeItem(at: file)
    }

    /// 22 characters of base64url: what `add` makes. Anything else is no upload.
    static func isID(_ text: String) -> Bool {
        text.utf8.count == 22 && Base64URL.decode(text) != nil
    }
}
