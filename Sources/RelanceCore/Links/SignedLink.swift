import Foundation

/// One HMAC key of the link keyring, named by a small id carried in every token it signs.
public struct LinkKey: Sendable {
    public let id: UInt8
    let secret: [UInt8]
    let mac: HMACKey

    public init(id: UInt8, secret: [UInt8]) throws(LinkKeyError) {
        guard id <= SignedLink.maximumKeyID else { throw .badKeyID(Int(id)) }
        guard secret.count >= 32 else { throw .keyTooShort(id: Int(id)) }
        self.id = id
        self.secret = secret
        mac = HMACKey(secret)
    }
}

public enum LinkKeyError: Error, Equatable, CustomStringConvertible {
    case badKeyID(Int)
    case keyTooShort(id: Int)
    case malformed(entry: Int)
    case duplicateID(Int)
    case empty
    case allIDsInUse

    public var description: String {
        switch self {
        case .badKeyID(let id): "link key id \(id) is out of range (0...\(SignedLink.maximumKeyID))"
        case .keyTooShort(let id): "link key \(id) is shorter than 32 bytes"
        case .malformed(let entry): "link key entry \(entry) is not ID:BASE64URL"
        case .duplicateID(let id): "link key id \(id) is listed twice"
        case .empty: "no link key is configured"
        case .allIDsInUse:
            "all \(Int(SignedLink.maximumKeyID) + 1) link key ids are in use; remove the oldest keys from the end of the"
                + " file first (links they signed stop working)"
        }
    }
}

/// The keys that sign and verify links: the first signs new links, every one verifies, so a key
/// can be rotated in without breaking links already sent and dropped once those have expired.
public struct LinkKeyring: Sendable {
    public let signingKey: LinkKey
    let byID: [LinkKey?]
    /// Signs email unsubscribe links when set (derived from the instance secret): unlike link keys it
    /// is never rotated out, so an unsubscribe link in a years-old email keeps working.
    public var unsubscribeKey: HMACKey?

    public init(keys: [LinkKey]) throws(LinkKeyError) {
        guard let first = keys.first else { throw .empty }
        var table = [LinkKey?](repeating: nil, count: Int(SignedLink.maximumKeyID) + 1)
        for key in keys {
            guard table[Int(key.id)] == nil else { throw .duplicateID(Int(key.id)) }
            table[Int(key.id)] = key
        }
        signingKey = first
        byID = table
    }

    /// Parses `ID:SECRET[,ID:SECRET…]`, newest first, each secret base64url of at least 32 bytes:
    /// the format of `RELANCE_LINK_KEYS` and of the key file.
    public init(parsing text: String) throws(LinkKeyError) {
        var keys: [LinkKey] = []
        let entries = text.split(whereSeparator: { $0 == "," || $0 == "\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for (index, entry) in entries.enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let id = UInt8(parts[0]), let secret = Base64URL.decode(String(parts[1])) else {
                throw .malformed(entry: index + 1)
            }
            keys.append(try LinkKey(id: id, secret: secret))
        }
        try self.init(keys: keys)
    }

    /// The keyring text with one new random key put first under the next free id; fails when every
    /// id is taken (the oldest keys must be removed first, which ends the links they signed).
    public func rotated() throws(LinkKeyError) -> String {
        let used = Set(byID.compactMap { $0?.id })
        guard used.count <= Int(SignedLink.maximumKeyID) else { throw .allIDsInUse }
        var next = signingKey.id
        repeat {
            next = next == SignedLink.maximumKeyID ? 0 : next + 1
        } while used.contains(next)
        let fresh = "\(next):" + Base64URL.encode(Crypto.randomBytes(32))
        return ([fresh] + serialized()).joined(separator: "\n") + "\n"
    }

    /// A new keyring text with one random key, for a first start.
    public static func generate() -> String { "1:" + Base64URL.encode(Crypto.randomBytes(32)) + "\n" }

    /// The keyring in the key file's format, newest first.
    public var text: String { serialized().joined(separator: "\n") + "\n" }

    func serialized() -> [String] {
        var ordered = [signingKey]
        ordered += byID.compactMap { $0 }.filter { $0.id != signingKey.id }
        return ordered.map { "\($0.id):" + Base64URL.encode($0.secret) }
    }

    func key(id: UInt8) -> LinkKey? { id <= SignedLink.maximumKeyID ? byID[Int(id)] : nil }
}

/// What a valid token says: which link row, and until when.
public struct SignedLink: Equatable, Sendable {
    public let linkID: Int64
    public let expiresAt: Date
    public let keyID: UInt8

    public init(linkID: Int64, expiresAt: Date, keyID: UInt8 = 0) {
        self.linkID = linkID
        self.expiresAt = expiresAt
        self.keyID = keyID
    }

    public enum Verdict: Equatable, Sendable {
        case valid(SignedLink)
        /// Authentic but past its expiry: the link row may still be used to offer a fresh link.
        case expired(SignedLink)
        /// Malformed, signed by an unknown key, or forged. Nothing about it can be trusted.
        case invalid
    }

    // Token layout, 22 bytes, base64url to 30 characters:
    //   byte 0      format version (3 bits, currently 1) and key id (5 bits)
    //   bytes 1-5   link id, unsigned big-endian (40 bits)
    //   bytes 6-9   expiry, Unix seconds, unsigned big-endian (32 bits, good until 2106)
    //   bytes 10-21 HMAC-SHA256 over "relance-link" ‖ bytes 0-9, first 12 bytes (96 bits)
    static let version: UInt8 = 1
    public static let maximumKeyID: UInt8 = 31
    public static let maximumLinkID: Int64 = (1 << 40) - 1
    static let payloadLength = 10
    static let tagLength = 12
    public static let tokenLength = 30
    static let domain = Array("relance-link".utf8)

    /// The token for link `linkID` expiring at `expiresAt`, signed with the keyring's newest key.
    public static func token(linkID: Int64, expiresAt: Date, keyring: LinkKeyring) -> String {
        precondition(linkID >= 0 && linkID <= maximumLinkID, "link id out of token range")
        let key = keyring.signingKey
        let expiry = UInt32(clamping: Int64(expiresAt.timeIntervalSince1970.rounded(.down)))
        var bytes: [UInt8] = [version << 5 | key.id]
        for shift in stride(from: 32, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: linkID >> Int64(shift)))
        }
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: expiry >> UInt32(shift)))
        }
        bytes += tag(bytes, key: key)
        return Base64URL.encode(bytes)
    }

    /// Checks a token without touching the database: shape, key, tag (constant time), expiry.
    public static func verify<S: StringProtocol>(_ token: S, keyring: LinkKeyring, now: Date) -> Verdict {
        let utf8 = token.utf8
        guard utf8.count == tokenLength, let bytes = Base64URL.decode(utf8), bytes.count == payloadLength + tagLength
        else { return .invalid }
        guard bytes[0] >> 5 == version, let key = keyring.key(id: bytes[0] & 0x1f) else { return .invalid }
        let payload = Array(bytes[0..<payloadLength])
        guard Crypto.constantTimeEqual(tag(payload, key: key), Array(bytes[payloadLength...])) else { return .invalid }
        var linkID: Int64 = 0
        for byte in bytes[1...5] { linkID = linkID << 8 | Int64(byte) }
        var expiry: UInt32 = 0
        for byte in bytes[6...9] { expiry = expiry << 8 | UInt32(byte) }
        let link = SignedLink(
            linkID: linkID, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiry)), keyID: key.id)
        return now < link.expiresAt ? .valid(link) : .expired(link)
    }

    static func tag(_ payload: [UInt8], key: LinkKey) -> [UInt8] {
        Array(key.mac.tag(domain, payload).prefix(tagLength))
    }
}

extension LinkKeyring {
    /// This keyring with its unsubscribe key, derived from the instance secret.
    public func withUnsubscribeKey(instanceSecret: [UInt8]) -> LinkKeyring {
        var keyring = self
        keyring.unsubscribeKey = HMACKey(
            Crypto.hmacSHA256(key: instanceSecret, message: Array("unsubscribe-links".utf8)))
        return keyring
    }

    /// The token of a customer's email unsubscribe link: `u.CUSTOMERID.TAG` under the unsubscribe key
    /// (or `KEYID.CUSTOMERID.TAG` under the newest link key, without one). It does not expire, since
    /// an unsubscribe link in an old email must still work (RFC 8058); it can do nothing else.
    public func unsubscribeToken(customerID: Int64) -> String {
        if let unsubscribeKey {
            return "u.\(customerID)." + Base64URL.encode(Self.unsubscribeTag(unsubscribeKey, customerID))
        }
        return "\(signingKey.id).\(customerID)." + Base64URL.encode(Self.unsubscribeTag(signingKey.mac, customerID))
    }

    /// The customer an unsubscribe token names, when the unsubscribe key or one of the link keys
    /// (tokens from before the unsubscribe key) signed it.
    public func verifyUnsubscribe(_ token: String) -> Int64? {
        guard token.utf8.count <= 64 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let customerID = Int64(parts[1]), customerID > 0,
            let tag = Base64URL.decode(String(parts[2]))
        else { return nil }
        let key: HMACKey
        if parts[0] == "u", let unsubscribeKey {
            key = unsubscribeKey
        } else if let keyID = UInt8(parts[0]), keyID <= SignedLink.maximumKeyID, let linkKey = byID[Int(keyID)] {
            key = linkKey.mac
        } else {
            return nil
        }
        return Crypto.constantTimeEqual(tag, Self.unsubscribeTag(key, customerID)) ? customerID : nil
    }

    private static func unsubscribeTag(_ key: HMACKey, _ customerID: Int64) -> [UInt8] {
        Array(key.tag(Array("unsubscribe:\(customerID)".utf8)).prefix(16))
    }
}
