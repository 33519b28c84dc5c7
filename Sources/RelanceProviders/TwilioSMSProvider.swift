import AsyncHTTPClient
import Foundation
import NIOCore
import RelanceCore

/// How to reach Twilio's Messages resource, and where its status callbacks should go.
public struct TwilioConfiguration: Sendable {
    public var accountSID: String
    public var authToken: String
    /// A sending number in E.164, or nil when `messagingServiceSID` is used.
    public var from: String?
    public var messagingServiceSID: String?
    /// `https://api.twilio.com` in production; a local stand-in in tests.
    public var apiBaseURL: String
    /// Relance's public origin; status callbacks go to `/webhooks/twilio/status` under it.
    public var callbackBaseURL: String

    public init(
        accountSID: String, authToken: String, from: String?, messagingServiceSID: String?,
        apiBaseURL: String = "https://api.twilio.com", callbackBaseURL: String
    ) {
        self.accountSID = accountSID
        self.authToken = authToken
        self.from = from
        self.messagingServiceSID = messagingServiceSID
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.callbackBaseURL = callbackBaseURL.hasSuffix("/") ? String(callbackBaseURL.dropLast()) : callbackBaseURL
    }
}

/// Sends through Twilio's `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.
public struct TwilioSMSProvider: MessageProvider {
    public let name = "twilio"
    let configuration: TwilioConfiguration
    let client: HTTPClient
    /// For the whole exchange, the answer's body included.
    let timeout: Duration

    /// Twilio error codes that no retry will fix: the recipient opted out (21610), the number is not a
    /// valid phone number (21211), or cannot receive SMS (21614).
    static let permanentCodes: Set<Int> = [21610, 21211, 21614, 21408, 21612]

    public init(
        configuration: TwilioConfiguration, client: HTTPClient = OutboundHTTP.gatewayClient,
        timeout: Duration = .seconds(15)
    ) {
        self.configuration = configuration
        self.client = client
        self.timeout = timeout
    }

    func formBody(for message: ClaimedMessage) -> String {
        var fields: [(String, String)] = [
            ("To", message.recipient), ("Body", message.body),
            ("StatusCallback", configuration.callbackBaseURL + "/webhooks/twilio/status"),
        ]
        if let service = configuration.messagingServiceSID {
            fields.append(("MessagingServiceSid", service))
        } else if let from = configuration.from {
            fields.append(("From", from))
        }
        return FormEncoding.encode(fields: fields)
    }

    public func send(_ message: ClaimedMessage) async -> SendResult {
        var request = HTTPClientRequest(
            url: "\(configuration.apiBaseURL)/2010-04-01/Accounts/\(configuration.accountSID)/Messages.json")
        request.method = .POST
        let credentials = Data("\(configuration.accountSID):\(configuration.authToken)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: formBody(for: message)))
        do {
            let answer = try await OutboundHTTP.exchange(
                request, client: client, deadline: timeout, bodyLimit: 256 * 1024)
            let json = answer.jsonObject
            let status = answer.status
            if (200..<300).contains(status) {
                // Accepted is Twilio's word; an answer cut short only costs the id status callbacks match on.
                return .accepted(provider: name, providerID: json["sid"] as? String)
            }
            let code = json["code"] as? Int
            let reason =
                "Twilio \(status)" + (code.map { " error \($0)" } ?? "") + ": " + (json["message"] as? String ?? "")
            if status == 429 || status >= 500 { return .transientFailure(provider: name, reason: reason) }
            if let code, TwilioSMSProvider.permanentCodes.contains(code) {
                return .permanentFailure(provider: name, reason: reason)
            }
            // Authentication (20003) and account problems can be fixed by the operator; other 4xx cannot.
            if status == 401 || status == 403 { return .transientFailure(provider: name, reason: reason) }
            return .permanentFailure(provider: name, reason: reason)
        } catch {
            return OutboundHTTP.sendFailure(error, provider: name, gateway: "Twilio")
        }
    }
}
