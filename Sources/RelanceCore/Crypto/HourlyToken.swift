import Foundation

/// Proof that a form came from this site: the hour it was drawn and an HMAC of what it is for and that
/// hour (`HOUR.MAC`). Customer forms bind it to their link and form, the sign-in form to "login".
public struct HourlyToken: Sendable {
    let key: [UInt8]
    /// How many hours a token stays good.
    public let validHours: Int

    public init(key: [UInt8], validHours: Int) {
        self.key = key
        self.validHours = validHours
    }

    public func make(for subject: String, now: Date) -> String {
        let hour = Int(now.timeIntervalSince1970 / 3600)
        return String(hour) + "." + Base64URL.encode(mac(subject, hour))
    }

    public func verify(_ value: String, for subject: String, now: Date) -> Bool {
        // An hour has at most a dozen digits and the tag 22 characters: anything longer is not ours.
        guard value.utf8.count <= 64 else { return false }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let hour = Int(parts[0]), let sent = Base64URL.decode(String(parts[1])) else {
            return false
        }
        let current = Int(now.timeIntervalSince1970 / 3600)
        // `hour` is whatever was posted: compare without subtracting, so Int.min cannot overflow.
        guard hour <= current, hour >= current - validHours else { return false }
        return Crypto.constantTimeEqual(sent, mac(subject, hour))
    }

    func mac(_ subject: String, _ hour: Int) -> [UInt8] {
        Array(Crypto.hmacSHA256(key: key, message: Array("\(subject):\(hour)".utf8)).prefix(16))
    }
}
