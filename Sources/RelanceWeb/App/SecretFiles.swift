import Foundation
import RelanceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Secrets that live in small files beside the database, created on first start, readable by the
/// owner only (0600). Their contents never reach a log.
public enum SecretFiles {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        case tooOpen(String, mode: Int)
        case invalid(String, String)

        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read or create \(path)"
            case .tooOpen(let path, let mode):
                "\(path) is readable by others (mode \(String(mode, radix: 8))); run: chmod 600 \(path)"
            case .invalid(let path, let reason): "\(path): \(reason)"
            }
        }
    }

    /// The link keyring: from `environment` when set, else from `path`, created with one key if absent.
    public static func linkKeyring(environment: String?, path: String) throws -> LinkKeyring {
        if let environment, !environment.isEmpty {
            do { return try LinkKeyring(parsing: environment) } catch {
                throw Failure.invalid("RELANCE_LINK_KEYS", error.description)
            }
        }
        let text = try readOrCreate(path: path) { LinkKeyring.generate() }
        do { return try LinkKeyring(parsing: text) } catch { throw Failure.invalid(path, error.description) }
    }

    /// Puts a new signing key first in the key file; older keys keep verifying links already sent.
    public static func rotateLinkKeys(path: String) throws -> UInt8 {
        let current: LinkKeyring
        let rotated: String
        let fresh: LinkKeyring
        do {
            current = try LinkKeyring(parsing: try readOrCreate(path: path) { LinkKeyring.generate() })
            rotated = try current.rotated()
            // The file is replaced only by a keyring that loads: a server must start on it.
            fresh = try LinkKeyring(parsing: rotated)
        } catch let error as LinkKeyError {
            throw Failure.invalid(path, error.description)
        }
        let temporary = path + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        try create(path: temporary, contents: rotated)
        guard rename(temporary, path) == 0 else { throw Failure.unreadable(path) }
        return fresh.signingKey.id
    }

    /// The instance secret (32 random bytes, base64url): from `environment`, else from `path`.
    public static func instanceSecret(environment: String?, path: String) throws -> [UInt8] {
        let text: String
        if let environment, !environment.isEmpty {
            text = environment
        } else {
            text = try readOrCreate(path: path) { Base64URL.encode(Crypto.randomBytes(32)) + "\n" }
        }
        guard let bytes = Base64URL.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32
        else { throw Failure.invalid(path, "the instance secret must be at least 32 bytes of base64url") }
        return bytes
    }

    /// Throws when the file at `path` exists and its group or others may read or write it.
    public static func requireOwnerOnly(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw Failure.tooOpen(path, mode: mode) }
    }

    static func readOrCreate(path: String, generate: () -> String) throws -> String {
        if !FileManager.default.fileExists(atPath: path) {
            try create(path: path, contents: generate())
        }
        guard FileManager.default.fileExists(atPath: path) else { throw Failure.unreadable(path) }
        try requireOwnerOnly(path)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw Failure.unreadable(path) }
        return text
    }

    /// Writes a new file readable by its owner only (0600); an existing file is never replaced.
    public static func create(path: String, contents: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw Failure.unreadable(path) }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw Failure.unreadable(path) }
    }
}
