import COpenSSL
import Foundation

/// Passwords stored as scrypt (memory-hard, through the system's OpenSSL), in one self-describing
/// string: `scrypt$LOG2N$R$P$SALT$KEY`, salt and key in base64url. Old parameters keep verifying
/// after the defaults change.
public enum PasswordHash {
    /// 2^15 × 8 × 128 bytes = 32 MiB and about a tenth of a second per check on this kind of machine.
    public static let defaultLogN: UInt8 = 15
    static let r: UInt64 = 8
    static let p: UInt64 = 1
    static let keyLength = 32

    /// A new hash of `password` with a random salt.
    public static func hash(_ password: String, logN: UInt8 = defaultLogN) -> String? {
        let salt = Crypto.randomBytes(16)
        guard let key = derive(password, salt: salt, logN: logN, r: r, p: p) else { return nil }
        return "scrypt$\(logN)$\(r)$\(p)$" + Base64URL.encode(salt) + "$" + Base64URL.encode(key)
    }

    /// Whether `password` matches `stored`; compares in constant time; false for anything malformed.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logN = UInt8(parts[1]), (10...20).contains(logN),
            let r = UInt64(parts[2]), (1...32).contains(r), let p = UInt64(parts[3]), (1...16).contains(p),
            let salt = Base64URL.decode(String(parts[4])), let expected = Base64URL.decode(String(parts[5])),
            !expected.isEmpty, let key = derive(password, salt: salt, logN: logN, r: r, p: p, length: expected.count)
        else { return false }
        return Crypto.constantTimeEqual(key, expected)
    }

    /// Spends the same time as a real check, for unknown accounts, so timing does not tell which exist.
    public static func verifyNothing(_ password: String) {
        _ = derive(password, salt: Array(repeating: 0, count: 16), logN: defaultLogN, r: r, p: p)
    }

    static func derive(
        _ password: String, salt: [UInt8], logN: UInt8, r: UInt64, p: UInt64, length: Int = keyLength
    ) -> [UInt8]? {
        let n = UInt64(1) << UInt64(logN)
        let memory = 128 * n * r * p + 2 * 1024 * 1024
        var key = [UInt8](repeating: 0, count: length)
        let bytes = Array(password.utf8)
        let status = bytes.withUnsafeBufferPointer { passwordBuffer in
            salt.withUnsafeBufferPointer { saltBuffer in
                passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                    EVP_PBE_scrypt(
                        passwordChars.baseAddress, passwordChars.count, saltBuffer.baseAddress, saltBuffer.count, n, r,
                        p, memory, &key, length)
                }
            }
        }
        return status == 1 ? key : nil
    }
}

/// Where password hashes are computed: off the threads that serve requests, a fixed number at a
/// time. One scrypt check is about a tenth of a second of a core and 32 MiB; run on the request
/// threads, a handful of sign-in attempts at once stalled every page. Work beyond `waitingLimit` is
/// not queued at all (nil), so a flood of attempts cannot grow memory or the wait without bound.
public final class PasswordWork: @unchecked Sendable {
    /// One lane for a two-core machine, so a core is always left for pages.
    public static let shared = PasswordWork(
        lanes: max(1, ProcessInfo.processInfo.activeProcessorCount / 2), waitingLimit: 64)
    /// A lane for browsers that signed in to the account before (a signed cookie strangers cannot make),
    /// so a flood of strangers' attempts filling `shared` never keeps the owner out.
    public static let knownBrowsers = PasswordWork(lanes: 1, waitingLimit: 16)

    private let queues: [DispatchQueue]
    private let lock = NSLock()
    private var waiting = 0
    private var nextLane = 0
    let waitingLimit: Int

    public init(lanes: Int, waitingLimit: Int) {
        queues = (0..<max(1, lanes)).map { DispatchQueue(label: "relance.passwords.\($0)", qos: .utility) }
        self.waitingLimit = waitingLimit
    }

    /// How many checks are running or waiting now.
    public var waitingCount: Int { lock.withLock { waiting } }

    /// Runs `work` on a password lane; nil when too much is already waiting.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        let queue: DispatchQueue? = lock.withLock {
            guard waiting < waitingLimit else { return nil }
            waiting += 1
            nextLane = (nextLane + 1) % queues.count
            return queues[nextLane]
        }
        guard let queue else { return nil }
        return await withCheckedContinuation { continuation in
            queue.async {
                let result = work()
                self.lock.withLock { self.waiting -= 1 }
                continuation.resume(returning: result)
            }
        }
    }

    /// Whether `password` matches `stored` (false for no account: the same work is spent, so timing
    /// does not tell which accounts exist); nil when too busy to check.
    public func verify(_ password: String, against stored: String?) async -> Bool? {
        await run {
            guard let stored else {
                PasswordHash.verifyNothing(password)
                return false
            }
            return PasswordHash.verify(password, against: stored)
        }
    }

    /// A new hash of `password`, or nil when too busy or OpenSSL refused.
    public func hash(_ password: String) async -> String? {
        await run { PasswordHash.hash(password) } ?? nil
    }
}
