/// The subject and text of an email reminder; its HTML part is made from the text.
public struct EmailWording: Sendable, Equatable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }
}

extension DefaultTemplates {
    /// Relance's own email wording for the standard stages. An email has room to say more than a
    /// text: what is owed, how to pay, and that a plan or a question is welcome. Nothing in it assumes
    /// earlier messages: an invoice imported late gets its first reminder at the stage it has reached. The link stands
    /// alone in its paragraph, so the HTML part shows it as a button.
    public static let email: [Key: EmailWording] = {
        var table: [Key: EmailWording] = [:]
        func add(_ stage: String, _ language: Language, combined: Bool, _ subject: String, _ body: String) {
            table[Key(stage: stage, channel: .email, language: language, combined: combined)] = EmailWording(
                subject: subject, body: body)
        }
        let signatureFR = """
            Une question, ou besoin d'étaler le paiement ? La même page permet de nous écrire ou de proposer \
            un échéancier{{#business_phone}}, et vous pouvez nous appeler au {{business_phone}}{{/business_phone}}.

            Bien cordialement,
            {{business_name}}
            """
        let signatureEN = """
            A question, or need to spread the payment? The same page lets you write to us or propose a payment \
            plan{{#business_phone}}, and you can call us on {{business_phone}}{{/business_phone}}.

            Kind regards,
            {{business_name}}
            """
        add(
            "courtesy", .fr, combined: false, "Facture {{invoice_number}} : échéance le {{due_date}}",
            """
            Bonjour {{customer_name}},

            Un petit rappel : la facture {{invoice_number}} de {{amount}} arrive à échéance le {{due_date}}. \
            Vous pouvez la consulter et la régler en ligne :

            {{link}}

            Si le paiement est déjà en route, merci, et ne tenez pas compte de ce message.

            \(signatureFR)
            """)
        add(
            "courtesy", .fr, combined: true, "{{invoice_count}} factures arrivent à échéance",
            """
            Bonjour {{customer_name}},

            Un petit rappel : {{invoice_count}} factures, pour un total de {{total}}, arrivent bientôt à échéance. \
            Vous pouvez les consulter et les régler en ligne :

            {{link}}

            Si le paiement est déjà en route, merci, et ne tenez pas compte de ce message.

            \(signatureFR)
            """)
        add(
            "due", .fr, combined: false, "Facture {{invoice_number}} : échéance aujourd'hui",
            """
            Bonjour {{customer_name}},

            La facture {{invoice_number}} de {{amount}} arrive à échéance aujourd'hui. Vous pouvez la régler \
            en ligne, par carte ou par virement :

            {{link}}

            Si vous l'avez déjà réglée, merci, et ne tenez pas compte de ce message.

            \(signatureFR)
            """)
        add(
            "due", .fr, combined: true, "{{invoice_count}} factures arrivent à échéance aujourd'hui",
            """
            Bonjour {{customer_name}},

            {{invoice_count}} factures, pour un total de {{total}}, arrivent à échéance aujourd'hui. Vous pouvez \
            les régler en ligne, par carte ou par virement :

            {{link}}

            Si vous les avez déjà réglées, merci, et ne tenez pas compte de ce message.

            \(signatureFR)
            """)
        add(
            "late", .fr, combined: false, "Facture {{invoice_number}} en attente de règlement",
            """
            Bonjour {{customer_name}},

            Sauf erreur de notre part, la facture {{invoice_number}} de {{amount}}, échue le {{due_date}}, \
            n'est pas encore réglée. Vous pouvez la régler en ligne :

            {{link}}

            Si le paiement a croisé ce message, merci, et ne tenez pas compte de ce rappel.

            \(signatureFR)
            """)
        add(
            "late", .fr, combined: true, "{{invoice_count}} factures en attente de règlement",
            """
            Bonjour {{customer_name}},

            Sauf erreur de notre part, {{invoice_count}} factures, pour un total de {{total}}, ne sont pas \
            encore réglées. Vous pouvez les régler en ligne :

            {{link}}

            Si le paiement a croisé ce message, merci, et ne tenez pas compte de ce rappel.

            \(signatureFR)
            """)
        add(
            "final", .fr, combined: false, "Dernier rappel : facture {{invoice_number}} impayée",
            """
            Bonjour {{customer_name}},

            À ce jour, la facture {{invoice_number}} de {{amount}}, échue le {{due_date}}, reste impayée. \
            Merci de la régler sous 8 jours :

            {{link}}

            Si vous rencontrez une difficulté, dites-le-nous : nous préférons convenir d'un échéancier.

            \(signatureFR)
            """)
        add(
            "final", .fr, combined: true, "Dernier rappel : {{invoice_count}} factures impayées",
            """
            Bonjour {{customer_name}},

            À ce jour, {{invoice_count}} factures, pour un total de {{total}}, restent impayées. Merci de \
            les régler sous 8 jours :

            {{link}}

            Si vous rencontrez une difficulté, dites-le-nous : nous préférons convenir d'un échéancier.

            \(signatureFR)
            """)
        add(
            "courtesy", .en, combined: false, "Invoice {{invoice_number}} is due on {{due_date}}",
            """
            Hello {{customer_name}},

            A quick reminder: invoice {{invoice_number}} for {{amount}} is due on {{due_date}}. You can view \
            and pay it online:

            {{link}}

            If the payment is already on its way, thank you, and please ignore this message.

            \(signatureEN)
            """)
        add(
            "courtesy", .en, combined: true, "{{invoice_count}} invoices fall due soon",
            """
            Hello {{customer_name}},

            A quick reminder: {{invoice_count}} invoices, {{total}} in all, fall due soon. You can view and \
            pay them online:

            {{link}}

            If the payment is already on its way, thank you, and please ignore this message.

            \(signatureEN)
            """)
        add(
            "due", .en, combined: false, "Invoice {{invoice_number}} is due today",
            """
            Hello {{customer_name}},

            Invoice {{invoice_number}} for {{amount}} is due today. You can pay it online, by card or bank \
            transfer:

            {{link}}

            If you have already paid, thank you, and please ignore this message.

            \(signatureEN)
            """)
        add(
            "due", .en, combined: true, "{{invoice_count}} invoices are due today",
            """
            Hello {{customer_name}},

            {{invoice_count}} invoices, {{total}} in all, are due today. You can pay them online, by card or \
            bank transfer:

            {{link}}

            If you have already paid, thank you, and please ignore this message.

            \(signatureEN)
            """)
        add(
            "late", .en, combined: false, "Invoice {{invoice_number}} is awaiting payment",
            """
            Hello {{customer_name}},

            Unless we are mistaken, invoice {{invoice_number}} for {{amount}}, due on {{due_date}}, has not \
            been paid yet. You can pay it online:

            {{link}}

            If your payment crossed this message, thank you, and please ignore this reminder.

            \(signatureEN)
            """)
        add(
            "late", .en, combined: true, "{{invoice_count}} invoices are awaiting payment",
            """
            Hello {{customer_name}},

            Unless we are mistaken, {{invoice_count}} invoices, {{total}} in all, have not been paid yet. You \
            can pay them online:

            {{link}}

            If your payment crossed this message, thank you, and please ignore this reminder.

            \(signatureEN)
            """)
        add(
            "final", .en, combined: false, "Final notice: invoice {{invoice_number}} is unpaid",
            """
            Hello {{customer_name}},

            As of today, invoice {{invoice_number}} for {{amount}}, due on {{due_date}}, is still unpaid. \
            Please pay it within 8 days:

            {{link}}

            If something makes this difficult, tell us: we would rather agree on a payment plan.

            \(signatureEN)
            """)
        add(
            "final", .en, combined: true, "Final notice: {{invoice_count}} invoices are unpaid",
            """
            Hello {{customer_name}},

            As of today, {{invoice_count}} invoices, {{total}} in all, are still unpaid. Please pay them \
            within 8 days:

            {{link}}

            If something makes this difficult, tell us: we would rather agree on a payment plan.

            \(signatureEN)
            """)
        return table
    }()
}
