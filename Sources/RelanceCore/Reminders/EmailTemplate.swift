import Foundation

/// An email template parsed: its subject and its text, from which the HTML part is made.
public struct EmailTemplate: Sendable, Equatable {
    public var subject: MessageTemplate
    public var body: MessageTemplate

    public init(subject: MessageTemplate, body: MessageTemplate) {
        self.subject = subject
        self.body = body
    }
}
