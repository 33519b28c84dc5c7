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
        /// Checks begun and not yet ended: guesses sent side by side count before their answers.
        var inFlight = 0
    }

    enum Outcome { case failed, succeeded, unchecked }

    /// Failures before waits begin, and the longest wait.
    static let freeFailures = 5
    static let longestWait: TimeInterval = 60

    private let lock = NSLock()
    private var records = BoundedLRU<String, Record>(capacity: 50_000)

    /// Takes a place to check a password for `key`; false when it must wait. Past the free failures,
    /// counting checks still running, only one check at a time.
    func begin(_ key: String, now: Date) -> Bool {
        lock.withLock {
            var record = records.value(for: key) ?? Record()
            guard record.nextAttempt <= now else { return false }
            if record.inFlight > 0 && record.failures + record.inFlight >= SignInThrottle.freeFailures { return false }
            record.inFlight += 1
            records.set(key, record)
            return true
        }
    }

    /// Gives the place back with what the check found.
    func end(_ key: String, _ outcome: Outcome, now: Date) {
        lock.withLock {
            var record = records.value(for: key) ?? Record()
            record.inFlight = max(0, record.inFlight - 1)
            switch outcome {
            case .succeeded:
                record.failures = 0
                record.nextAttempt = .distantPast
            case .failed:
                record.failures = min(record.failures + 1, 1_000)
                let beyond = record.failures - SignInThrottle.freeFailures
                if beyond > 0 {
                    record.nextAttempt = now.addingTimeInterval(
                        min(SignInThrottle.longestWait, pow(2, Double(min(beyond, 16)) - 1)))
                }
            case .unchecked:
                break
            }
            records.set(key, record)
        }
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
