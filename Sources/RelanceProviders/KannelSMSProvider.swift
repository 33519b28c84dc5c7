import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RelanceCore

/// How to reach Kannel's smsbox, and where its delivery reports should come back.
public struct KannelConfiguration: Sendable {
    /// e.g. `http://127.0.0.1:13013/cgi-bin/sendsms`
    public var sendsmsURL: String
    public var username: String
    public var password: String
    public var from: String
    /// Relance's public origin; delivery reports go to `/webhooks/kannel/dlr` under it.
    public var callbackBaseURL: String
    /// Signs the delivery-report URL of each message, since Kannel itself signs nothing.
    public var callbackKey: HMACKey

    public init(
        sendsmsURL: String, username: String, password: String, from: String, callbackBaseURL: String,
        callbackKey: HMACKey
    ) {
        self.sendsmsURL = sendsmsURL
        self.username = username
        self.password = password
        self.from = from
        var base = callbackBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.callbackBaseURL = base
        self.callbackKey = callbackKey
    }

    /// The token that proves a delivery report for `messageID` came from a URL Relance handed out.
    public static func callbackToken(messageID: Int64, key: HMACKey) -> String {
        Base64URL.encode(Array(key.tag(Array("kannel-dlr:\(messageID)".utf8)).prefix(16)))
    }
}

/// Sends through Kannel's HTTP `sendsms` interface: GSM-7 texts as 7-bit, others as UCS-2, each with a
/// signed `dlr-url` so delivery reports find their message.
public struct KannelSMSProvider: MessageProvider {
    public let name = "kannel"
    let configuration: KannelConfiguration
    let client: HTTPClient
    /// For the whole exchange, the answer's body included.
    let timeout: Duration

    public init(
        configuration: KannelConfiguration, client: HTTPClient = OutboundHTTP.gatewayClient,
        timeout: Duration = .seconds(5)
    ) {
        self.configuration = configuration
        self.client = client
        self.timeout = timeout
    }

    /// Delivery reports wanted: delivered (1), failed (2), buffered (4), accepted by the SMSC (8), rejected (16).
    static let dlrMask = 31

    func requestURL(for message: ClaimedMessage) -> String {
        let token = KannelConfiguration.callbackToken(messageID: message.id, key: configuration.callbackKey)
        // Kannel substitutes %d (report type) and %A (SMSC answer) in the callback URL.
        let callback =
            configuration.callbackBaseURL
            + "/webhooks/kannel/dlr?message=\(message.id)&token=\(token)&type=%d&answer=%A"
        let parameters: [(String, String)] = [
            ("username", configuration.username), ("password", configuration.password), ("from", configuration.from),
            ("to", message.recipient), ("text", message.body), ("charset", "UTF-8"),
            ("coding", message.encoding == .ucs2 ? "2" : "0"), ("dlr-mask", String(KannelSMSProvider.dlrMask)),
            ("dlr-url", callback),
        ]
        return configuration.sendsmsURL + "?" + FormEncoding.encode(fields: parameters)
    }

    public func send(_ message: ClaimedMessage) async -> SendResult {
        let request = HTTPClientRequest(url: requestURL(for: message))
        do {
            let answer = try await OutboundHTTP.exchange(request, client: client, deadline: timeout, bodyLimit: 4096)
            let body = String(buffer: answer.body).trimmingCharacters(in: .whitespacesAndNewlines)
            switch answer.status {
            case 200..<300:
                return .accepted(provider: name, providerID: "kannel-\(message.id)")
            case 400, 404, 413, 414:
                // Kannel refuses the message itself (bad number, too long): trying again changes nothing.
                return .permanentFailure(provider: name, reason: "Kannel \(answer.status): \(body)")
            default:
                // 403 (credentials), 429, 5xx: a configuration or capacity problem that may be fixed.
                return .transientFailure(provider: name, reason: "Kannel \(answer.status): \(body)")
            }
        } catch {
            return OutboundHTTP.sendFailure(error, provider: name, gateway: "Kannel")
        }
    }
}

/// Percent-encoding for query values: only unreserved characters stay as they are (`+` becomes %2B).
public enum FormEncoding {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    public static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            if unreserved.contains(byte) {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// `name=value&…` with names and values both encoded: a query string, or a form body.
    static func encode(fields: [(String, String)]) -> String {
        fields.map { "\(encode($0))=\(encode($1))" }.joined(separator: "&")
    }
}
