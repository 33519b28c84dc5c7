import Foundation
import RelanceCore

/// Writes each SMS as a phone would show it, instead of sending it: the demo's and the default provider.
public struct ConsoleSMSProvider: MessageProvider {
    public let name = "console"
    let write: @Sendable (String) -> Void

    public init(
        write: @escaping @Sendable (String) -> Void = { line in
            print(line); fflush(nil)
        }
    ) {
        self.write = write
    }

    public func send(_ message: ClaimedMessage) async -> SendResult {
        write("[console sms] to \(message.recipient): \(message.body)")
        return .accepted(provider: name, providerID: "console-\(message.id)")
    }
}
