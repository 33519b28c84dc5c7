import COpenSSL

/// Secrets Relance must keep readable (a webhook's signing secret signs every delivery) but that
/// should not sit in the database in clear: AES-256-GCM through the system's OpenSSL, under a key
/// derived from the instance secret. A copy of the database alone reveals none of them.
///
/// A sealed value is `enc1:` + base64url(nonce ‖ ciphertext ‖ tag), with a random 96-bit nonce; the
/// purpose is bound as associated data, so a value sealed for one column does not open in another.
public struct SecretBox: Sendable {
    static let prefix = "enc1:"
    let key: [UInt8]

    /// A box keyed by the instance secret (any length ≥ 32 bytes) for one purpose.
    public init(instanceSecret: [UInt8], purpose: String) {
        key = Crypto.hmacSHA256(key: instanceSecret, message: Array("secret-box:\(purpose)".utf8))
    }

    public static func isSealed(_ value: String) -> Bool { value.hasPrefix(prefix) }

    public func seal(_ plaintext: String, context: String) -> String {
        let nonce = Crypto.randomBytes(12)
        let message = Array(plaintext.utf8)
        var out = [UInt8](repeating: 0, count: message.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        let ok = SecretBox.run(
            encrypt: true, key: key, nonce: nonce, aad: Array(context.utf8), input: message, output: &out, tag: &tag)
        precondition(ok, "AES-256-GCM encryption failed in OpenSSL")
        return SecretBox.prefix + Base64URL.encode(nonce + Array(out.prefix(message.count)) + tag)
    }

    /// The plaintext, or nil when the value was not sealed by this box for this context (another
    /// key, another purpose, or changed bytes).
    public func open(_ sealed: String, context: String) -> String? {
        // A bound before decoding: far above any secret sealed here, well below anything costly.
        guard sealed.hasPrefix(SecretBox.prefix), sealed.utf8.count <= 65_536,
            let bytes = Base64URL.decode(String(sealed.dropFirst(SecretBox.prefix.count))), bytes.count >= 28
        else { return nil }
        let nonce = Array(bytes[0..<12])
        let body = Array(bytes[12..<(bytes.count - 16)])
        var tag = Array(bytes[(bytes.count - 16)...])
        var out = [UInt8](repeating: 0, count: body.count + 16)
        guard
            SecretBox.run(
                encrypt: false, key: key, nonce: nonce, aad: Array(context.utf8), input: body, output: &out, tag: &tag)
        else { return nil }
        return String(validating: out.prefix(body.count), as: UTF8.self)
    }

    private static func run(
        encrypt: Bool, key: [UInt8], nonce: [UInt8], aad: [UInt8], input: [UInt8], output: inout [UInt8],
        tag: inout [UInt8]
    ) -> Bool {
        guard let context = EVP_CIPHER_CTX_new() else { return false }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        let initialised =
            encrypt
            ? EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce)
            : EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce)
        guard initialised == 1 else { return false }
        if !aad.isEmpty {
            let added =
                encrypt
                ? EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count))
                : EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count))
            guard added == 1 else { return false }
        }
        var written: Int32 = 0
        if !input.isEmpty {
            let updated = output.withUnsafeMutableBufferPointer { buffer in
                encrypt
                    ? EVP_EncryptUpdate(context, buffer.baseAddress, &written, input, Int32(input.count))
                    : EVP_DecryptUpdate(context, buffer.baseAddress, &written, input, Int32(input.count))
            }
            guard updated == 1 else { return false }
        }
        if encrypt {
            let finished = output.withUnsafeMutableBufferPointer { buffer in
                EVP_EncryptFinal_ex(context, buffer.baseAddress.map { $0 + Int(written) }, &length)
            }
            guard finished == 1 else { return false }
            return tag.withUnsafeMutableBytes {
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, $0.baseAddress) == 1
            }
        }
        let tagSet = tag.withUnsafeMutableBytes {
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, $0.baseAddress) == 1
        }
        guard tagSet else { return false }
        // Only here is the tag checked: 1 means the ciphertext, nonce and associated data are intact.
        return output.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress.map { $0 + Int(written) }, &length)
        } == 1
    }
}
