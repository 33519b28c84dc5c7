import Foundation
import RelanceCore

/// Slows password guessing without letting anyone lock the owner out.
///
/// Each account (by the email typed, whether or not it exists, so the answer tells nothing) gets a few
/// free failures; after that each failure doubles the wait before the next attempt counts, up to a
/// minute, and attempts during the wait are refused without checking anything. A browser that has
/// signed in to the account before carries a signed "known browser" cookie: its attempts are counted
/// on that browser alone, so a stranger hammering the account slows only strangers. In memory, with a
/// fixed size, like the rate limiters.
final class SignInThrottle: @unchecked Sendable {
    struct Record {
        var failures = 0
        var nextAttempt = Date.distantPast
    }

    /// Failures before waits begin, and the longest wait.
    static let freeFailures = 5
    static let longestWait: TimeInterval = 60

    private let lock = NSLock()
    private var records = BoundedLRU<String, Record>(capacity: 50_000)

    /// Whether an attempt on `key` may be checked now.
    func mayTry(_ key: String, now: Date) -> Bool {
        lock.withLock { (records.value(for: key)?.nextAttempt ?? .distantPast) <= now }
    }

    func failed(_ key: String, now: Date) {
        lock.withLock {
            var record = records.value(for: key) ?? Record()
            record.failures = min(record.failures + 1, 1_000)
            let beyond = record.failures - SignInThrottle.freeFailures
            if beyond > 0 {
                record.nextAttempt = now.addingTimeInterval(
                    min(SignInThrottle.longestWait, pow(2, Double(min(beyond, 16)) - 1)))
            }
            records.set(key, record)
        }
    }

    func succeeded(_ key: String) {
        lock.withLock { records.set(key, Record()) }
    }
}

/// The "known browser" cookie: a random id and a MAC binding it to one account's email, so it proves
/// only that this browser signed in to that account before. It opens nothing by itself.
struct KnownBrowser: Sendable {
    static let cookieName = "relance_browser"
    /// Kept for a year; every sign-in renews it.
    static let lifetime = 365 * 86_400
    let key: HMACKey

    /// A cookie value for `email`, keeping the browser's id when it already has one.
    func cookie(for email: String, id: String?) -> String {
        let id = id ?? Base64URL.encode(Crypto.randomBytes(12))
        return id + "." + tag(id, email)
    }

    /// The browser's id when `value` was issued for `email`.
    func id(in value: String?, for email: String) -> String? {
        guard let value, value.utf8.count <= 64 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == 16 else { return nil }
        let id = String(parts[0])
        return Crypto.constantTimeEqual(Array(parts[1].utf8), Array(tag(id, email).utf8)) ? id : nil
    }

    /// The browser's id, whatever account it was issued for (to keep it on the next sign-in).
    static func anyID(in value: String?) -> String? {
        guard let value, value.utf8.count <= 64, let dot = value.firstIndex(of: ".") else { return nil }
        let id = String(value[..<dot])
        return id.utf8.count == 16 && Base64URL.decode(id) != nil ? id : nil
    }

    private func tag(_ id: String, _ email: String) -> String {
        Base64URL.encode(Array(key.tag(Array("\(id):\(email.lowercased())".utf8)).prefix(16)))
    }
}
