import Foundation

/// Twilio's request signature: base64 of HMAC-SHA1, keyed with the account's auth token, over the full
/// URL Twilio requested followed by every POST parameter name and value, sorted by name.
public enum TwilioSignature {
    public static func compute(authToken: String, url: String, parameters: [(String, String)]) -> String {
        var message = url
        for (name, value) in parameters.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            message += name + value
        }
        return Data(Crypto.hmacSHA1(key: Array(authToken.utf8), message: Array(message.utf8))).base64EncodedString()
    }

    /// Compares in constant time; a missing or malformed signature is simply not valid.
    public static func isValid(
        signature: String?, authToken: String, url: String, parameters: [(String, String)]
    ) -> Bool {
        guard let signature, let given = Data(base64Encoded: signature) else { return false }
        let expected = Data(base64Encoded: compute(authToken: authToken, url: url, parameters: parameters)) ?? Data()
        return Crypto.constantTimeEqual(Array(given), Array(expected))
    }
}
