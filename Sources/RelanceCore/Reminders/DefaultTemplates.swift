/// Relance's own wording for the standard stages, French and English: polite, specific, no emoji, and
/// each one GSM-7 segment with a 20-character name, `12 345,67 €`, a 12-character invoice number, a
/// 16-character business name and a full link (checked by the tests).
public enum DefaultTemplates {
    public struct Key: Hashable, Sendable {
        public var stage: String
        public var channel: Channel
        public var language: Language
        /// For one message about several invoices of the same customer.
        public var combined: Bool

        public init(stage: String, channel: Channel, language: Language, combined: Bool) {
            self.stage = stage
            self.channel = channel
            self.language = language
            self.combined = combined
        }
    }

    public static let sms: [Key: String] = {
        var table: [Key: String] = [:]
        func add(_ stage: String, _ language: Language, _ single: String, _ combined: String) {
            table[Key(stage: stage, channel: .sms, language: language, combined: false)] = single
            table[Key(stage: stage, channel: .sms, language: language, combined: true)] = combined
        }
        add(
            "courtesy", .fr,
            "{{business_name}}: {{customer_name}}, facture {{invoice_number}} de {{amount}} due le {{due_date}}. Merci {{link}}",
            "{{business_name}}: {{customer_name}}, {{invoice_count}} factures ({{total}}) arrivent à échéance. Merci {{link}}"
        )
        add(
            "due", .fr,
            "{{business_name}}: {{customer_name}}, la facture {{invoice_number}} de {{amount}} est due ce jour. Merci {{link}}",
            "{{business_name}}: {{customer_name}}, {{invoice_count}} factures ({{total}}) sont dues ce jour. Merci {{link}}"
        )
        add(
            "late", .fr,
            "{{business_name}}: {{customer_name}}, facture {{invoice_number}} de {{amount}} en retard. Pour régler: {{link}}",
            "{{business_name}}: {{customer_name}}, {{invoice_count}} factures ({{total}}) sont en retard. Pour régler: {{link}}"
        )
        add(
            "final", .fr,
            "{{business_name}}, dernier rappel: facture {{invoice_number}} de {{amount}} impayée. Réglez sous 8 jours: {{link}}",
            "{{business_name}}, dernier rappel: {{invoice_count}} factures ({{total}}) impayées. Réglez sous 8 jours: {{link}}"
        )
        add(
            "courtesy", .en,
            "{{business_name}}: {{customer_name}}, invoice {{invoice_number}} for {{amount}} is due {{due_date}}. Thank you {{link}}",
            "{{business_name}}: {{customer_name}}, {{invoice_count}} invoices ({{total}}) fall due soon. Thank you {{link}}"
        )
        add(
            "due", .en,
            "{{business_name}}: {{customer_name}}, invoice {{invoice_number}} for {{amount}} is due today. Thank you {{link}}",
            "{{business_name}}: {{customer_name}}, {{invoice_count}} invoices ({{total}}) are due today. Thank you {{link}}"
        )
        add(
            "late", .en,
            "{{business_name}}: {{customer_name}}, invoice {{invoice_number}} for {{amount}} is overdue. To pay: {{link}}",
            "{{business_name}}: {{customer_name}}, {{invoice_count}} invoices ({{total}}) are overdue. To pay: {{link}}"
        )
        add(
            "final", .en,
            "{{business_name}}, final notice: invoice {{invoice_number}} for {{amount}} is unpaid. Pay within 8 days: {{link}}",
            "{{business_name}}, final notice: {{invoice_count}} invoices ({{total}}) are unpaid. Pay within 8 days: {{link}}"
        )
        // Instalments of an accepted plan: one invoice each, so the combined wording is the same.
        let plan: [(String, Language, String)] = [
            (
                "plan_before", .fr,
                "{{business_name}}: {{customer_name}}, échéance de {{amount}} le {{due_date}} (facture {{invoice_number}}). Merci {{link}}"
            ),
            (
                "plan_due", .fr,
                "{{business_name}}: {{customer_name}}, échéance de {{amount}} ce jour (facture {{invoice_number}}). Merci {{link}}"
            ),
            (
                "plan_after", .fr,
                "{{business_name}}: {{customer_name}}, échéance du {{due_date}} impayée: {{amount}}, facture {{invoice_number}} {{link}}"
            ),
            (
                "plan_before", .en,
                "{{business_name}}: {{customer_name}}, {{amount}} payment due {{due_date}} (invoice {{invoice_number}}). Thanks {{link}}"
            ),
            (
                "plan_due", .en,
                "{{business_name}}: {{customer_name}}, {{amount}} payment due today (invoice {{invoice_number}}). Thanks {{link}}"
            ),
            (
                "plan_after", .en,
                "{{business_name}}: {{customer_name}}, {{amount}} payment due {{due_date}} is unpaid, invoice {{invoice_number}}: {{link}}"
            ),
        ]
        for (stage, language, text) in plan { add(stage, language, text, text) }
        return table
    }()
}
