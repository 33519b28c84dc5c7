import Foundation

/// Stripe's webhook signature: `Stripe-Signature: t=TIMESTAMP,v1=HEX[,v1=HEX…]`, where each `v1` is
/// HMAC-SHA256(endpoint secret, "TIMESTAMP.BODY") in lowercase hex. Several `v1` appear while Stripe
/// rolls a secret; any one matching is enough. Other schemes (`v0`) are ignored, as Stripe advises.
public enum StripeSignature {
    public enum Verdict: Equatable, Sendable {
        case valid
        case missing
        case malformed
        case tooOld
        case mismatch
    }

    /// Events older (or newer) than this, in seconds, are refused: a replayed capture gets nowhere.
    public static let tolerance: TimeInterval = 300

    public static func verify(header: String?, payload: [UInt8], secret: String, now: Date) -> Verdict {
        guard let header, !header.isEmpty else { return .missing }
        var timestamp: Int?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return .malformed }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            if key == "t" {
                timestamp = Int(value)
            } else if key == "v1", let bytes = hexBytes(value), bytes.count == 32 {
                signatures.append(bytes)
            }
        }
        guard let timestamp, !signatures.isEmpty else { return .malformed }
        guard abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance else { return .tooOld }
        let expected = Crypto.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + payload)
        // Every candidate is compared in full, in constant time.
        var matched = false
        for signature in signatures where Crypto.constantTimeEqual(signature, expected) { matched = true }
        return matched ? .valid : .mismatch
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var index = 0
        while index < characters.count {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
