import Foundation
import RelanceCore

/// The words of a reminder, written once its link exists (the text carries the link's signed token).
/// Pure, so every store writes the same message from the same decision.
public enum ReminderText {
    /// The business's B wording of a template and the share of customers who get it.
    public typealias VariantB = (share: Int, template: MessageTemplate)

    /// A reminder text: the template (or its B wording, for a stable share of customers) filled in,
    /// with its encoding and segments, and which wording it used (nil when no A/B test runs on it).
    public static func sms(
        _ message: ReminderToSend, template: MessageTemplate, variantB: VariantB?, business: Business, link: String
    ) -> (analysis: SMSAnalysis, variant: WordingVariant?) {
        var template = template
        var variant: WordingVariant?
        if let variantB {
            if getsVariantB(customerID: message.customerID, stage: message.wording, share: variantB.share) {
                template = variantB.template
                variant = .b
            } else {
                variant = .a
            }
        }
        let text = template.render(values(message, business: business, link: link, phone: business.phone ?? ""))
        return (SMSText.analyze(text), variant)
    }

    /// A reminder email, in the parts the outbox sends.
    public struct Email: Sendable, Equatable {
        public var subject: String
        /// The plain-text part: the business's words, then who writes and how to stop these emails.
        public var text: String
        public var html: String
    }

    /// A reminder email: the business's template filled in, inside the catalogue's words around it
    /// (button, footer, unsubscribe), which are not the business's to edit.
    public static func email(
        _ message: ReminderToSend, template: EmailTemplate, words: Words, business: Business, urls: PublicURLs,
        link: String, unsubscribeURL: String
    ) -> Email {
        let values = values(
            message, business: business, link: link, phone: business.phone.map(PhoneDisplay.format) ?? "")
        let body = template.body.render(values)
        let unsubscribe = words("email_unsubscribe")
        let footer = [business.name, business.address ?? "", business.legal ?? ""].filter { !$0.isEmpty }
        let html = EmailHTML.render(
            text: body, link: link, buttonLabel: words(message.combined ? "email_button_many" : "email_button"),
            businessName: business.name, footer: footer, unsubscribe: (unsubscribeURL, unsubscribe),
            language: message.language, logoURL: business.logoHash.map { urls.logo(version: $0) })
        // The text part ends as the HTML part does.
        let text =
            body + "\n\n-- \n"
            + (footer + [words("email_unsubscribe_line", unsubscribe, unsubscribeURL)]).joined(separator: "\n")
        return Email(subject: template.subject.render(values), text: text, html: html)
    }

    static func values(_ message: ReminderToSend, business: Business, link: String, phone: String)
        -> [MessageVariable: String]
    {
        let first = message.items[0]
        let language = message.language
        let total = Money(
            minorUnits: Money.total(message.items.map(\.balance.minorUnits)), currency: first.balance.currency)
        return [
            .customer_name: message.customerName, .business_name: business.name,
            .amount: Format.amount(first.balance, language), .invoice_number: first.number,
            .due_date: Format.shortDate(first.dueOn, language), .link: link, .business_phone: phone,
            .invoice_count: String(message.items.count), .total: Format.amount(total, language),
        ]
    }

    /// Whether a customer gets B for a stage: a stable draw from the customer and the stage, so the same
    /// person always reads the same wording for it and the split follows `share`.
    public static func getsVariantB(customerID: Int64, stage: String, share: Int) -> Bool {
        let digest = Crypto.sha256(Array("variant:\(customerID):\(stage)".utf8))
        let draw = (Int(digest[0]) << 8 | Int(digest[1])) % 100
        return draw < share
    }
}
