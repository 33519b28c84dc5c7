import Foundation
import RelanceCore
import RelanceServices
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
        /// Which came first among uploads made in the same instant.
        var sequence = 0
        /// The last check, the column choices it was made with, and how many of its invoices exist.
        var review: Review?
        /// The columns chosen for this upload (title → field, "" left out); nil until first checked.
        var overrides: [String: String]?
        var state: State = .waiting
    }

    struct Review: Sendable {
        /// The columns as this upload reads them: chosen once (the remembered ones its header has, when it
        /// is first checked), then only through its own column form, so a confirmation imports what was shown.
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
        /// Stopped: why, and how many rows were written before.
        case failed(InvoiceFile.Failure?, done: Int, counts: ImportCounts)
    }

    /// Uploads are forgotten (and their files deleted) after this long.
    static let lifetime: TimeInterval = 24 * 3600
    /// The largest file the dashboard takes; larger ones go through `relance import` on the server.
    static let maximumBytes = 16 * 1024 * 1024

    /// Uploads waiting at once, per person (the oldest gives way) and in all: each is a file on disk and a
    /// little memory.
    static let perPerson = 5
    static let inAll = 50

    private let uploads = Mutex<[String: Upload]>([:])
    /// Whether an upload's body is being taken in now: one at a time, so a few large ones sent together
    /// hold one file's copies in memory, not several.
    private let receiving = Mutex(false)

    /// `imports/` beside the database file.
    static func directory(for store: Store) -> URL {
        URL(fileURLWithPath: store.path).deletingLastPathComponent().appendingPathComponent("imports")
    }

    /// Takes the one place for receiving an upload, or false when another is being received.
    func startReceiving() -> Bool {
        receiving.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
    }

    func doneReceiving() { receiving.withLock { $0 = false } }

    /// Why a new upload cannot be kept now: too many being looked at or imported, in all.
    enum Full: Error { case all }

    /// Keeps `bytes` as a new upload: its id.
    func add(_ bytes: [UInt8], name: String, userID: Int64, store: Store, now: Date) throws -> String {
        guard !bytes.isEmpty else { throw CocoaError(.fileWriteUnknown) }
        forgetOld(now: now)
        // (`add` runs inside the one-at-a-time receiving section, so no other upload slips in between.)
        let replaced = try uploads.withLock { all -> URL? in
            func pending(_ upload: Upload) -> Bool {
                switch upload.state {
                case .waiting, .writing: true
                case .finished, .failed: false
                }
            }
            if all.values.filter(pending).count >= ImportUploads.inAll { throw Full.all }
            // A person at their limit (a file uploaded again and again while it is being fixed) lets go of
            // their oldest file waiting, rather than being turned away for a day.
            let mine = all.filter {
                $0.value.userID == userID && { if case .waiting = $0.state { true } else { false } }($0.value)
            }
            guard mine.count >= ImportUploads.perPerson,
                let oldest = mine.min(by: {
                    ($0.value.uploadedAt, $0.value.sequence) < ($1.value.uploadedAt, $1.value.sequence)
                })
            else { return nil }
            all[oldest.key] = nil
            return oldest.value.file
        }
        if let replaced { try? FileManager.default.removeItem(at: replaced) }
        let directory = ImportUploads.directory(for: store)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Files a restart left behind (no upload names them), once they are a day old.
        let known = Set(uploads.withLock { $0.values.map(\.file.lastPathComponent) })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".csv") && !known.contains(name) {
            let path = directory.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, now.timeIntervalSince(modified) > ImportUploads.lifetime {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let id = Base64URL.encode(Crypto.randomBytes(16))
        let file = directory.appendingPathComponent(id + ".csv")
        let written = bytes.withUnsafeBytes { buffer in
            FileManager.default.createFile(
                atPath: file.path,
                contents: Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: buffer.baseAddress!),
                    count: buffer.count, deallocator: .none),
                attributes: [.posixPermissions: 0o600])
        }
        guard written else { throw CocoaError(.fileWriteUnknown) }
        var upload = Upload(file: file, name: String(name.prefix(120)), userID: userID, uploadedAt: now)
        uploads.withLock { all in
            upload.sequence = (all.values.map(\.sequence).max() ?? 0) + 1
            all[id] = upload
        }
        return id
    }

    /// An upload by id: only the one who uploaded it may see it, and only for a day.
    func upload(_ id: String, userID: Int64, now: Date) -> Upload? {
        guard ImportUploads.isID(id), let upload = uploads.withLock({ $0[id] }), upload.userID == userID else {
            return nil
        }
        if case .writing = upload.state { return upload }
        return now.timeIntervalSince(upload.uploadedAt) > ImportUploads.lifetime ? nil : upload
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

    /// Forgets what is older than a day, and deletes the files of those forgotten (an import being
    /// written is neither).
    func forgetOld(now: Date) {
        let old = uploads.withLock { all -> [URL] in
            var removed: [URL] = []
            for (id, upload) in all where now.timeIntervalSince(upload.uploadedAt) > ImportUploads.lifetime {
                if case .writing = upload.state { continue }
                all[id] = nil
                removed.append(upload.file)
            }
            return removed
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
