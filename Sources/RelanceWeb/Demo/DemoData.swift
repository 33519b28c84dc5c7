import Foundation
import RelanceCore
import RelanceServices
import RelanceStore

/// A sample business with customers and invoices in every state, for `relance serve --demo`.
public enum DemoData {
    public struct Seeded: Sendable {
        public var apiKey: String
        /// A dashboard account made for this demo, with a password drawn at random each start.
        public var login: (email: String, password: String)
        /// (what the link shows, its URL), in a useful order to try them.
        public var links: [(label: String, url: String)]
    }

    public static func seed(store: Store, settings: WebSettings, now: Date) async throws -> Seeded {
        try await store.saveBusiness(
            Business(
                BusinessProfile(
                    name: "Atelier Martin", phone: "+33123456789", email: "factures@atelier-martin.example",
                    address: "Atelier Martin Plomberie\n12 rue des Lilas\n69003 Lyon", paymentURL: nil,
                    bankBeneficiary: "Atelier Martin SARL", bankIBAN: "FR7630006000011234567890189",
                    bankBIC: "AGRIFRPP",
                    defaultLocale: "fr", timeZone: "Europe/Paris", linkLifetimeDays: 60,
                    legal: "Atelier Martin SARL · SIRET 123 456 789 00012 · TVA FR12 123456789")))
        let zone = TimeZone(identifier: "Europe/Paris") ?? .gmt
        let today = CalendarDate(instant: now, timeZone: zone)
        guard let eur = Currency(code: "EUR") else { throw StoreError.notFound("EUR") }
        // Six months lived through the scheduler first, so every dashboard page has something to show.
        try await DemoHistory.seed(store: store, settings: settings, now: now, eur: eur)

        struct Sample {
            var label: String
            var number: String
            var name: String
            var phone: String
            var locale: String
            var amount: Int64
            var dueInDays: Int
            var paid: Int64 = 0
            var void = false
        }
        let samples = [
            Sample(
                label: "due in 10 days (fr)", number: "F-2026-0101", name: "Camille Durand", phone: "+33612345601",
                locale: "fr", amount: 123_456, dueInDays: 10),
            Sample(
                label: "due today (en)", number: "F-2026-0102", name: "Oliver Bennett", phone: "+447700900102",
                locale: "en", amount: 48_000, dueInDays: 0),
            Sample(
                label: "overdue 9 days, part paid (fr)", number: "F-2026-0103", name: "Élodie Marchand",
                phone: "+33612345603", locale: "fr", amount: 250_000, dueInDays: -9, paid: 100_000),
            Sample(
                label: "overdue 35 days (fr)", number: "F-2026-0104", name: "Karim Benali", phone: "+33612345604",
                locale: "fr", amount: 1_234_567, dueInDays: -35),
            Sample(
                label: "paid (en)", number: "F-2026-0105", name: "Sofia Rossi", phone: "+393471234505",
                locale: "en", amount: 9_900, dueInDays: -3, paid: 9_900),
            Sample(
                label: "void (fr)", number: "F-2026-0106", name: "Lucas Petit", phone: "+33612345606",
                locale: "fr", amount: 30_000, dueInDays: 5, void: true),
        ]
        var links: [(String, String)] = []
        for sample in samples {
            let invoice = try await store.createInvoice(
                NewInvoice(
                    number: sample.number,
                    customer: CustomerInput(
                        name: sample.name, phone: PhoneNumber(sample.phone), locale: sample.locale,
                        timeZone: "Europe/Paris"),
                    amount: Money(minorUnits: sample.amount, currency: eur),
                    issuedOn: today.adding(days: sample.dueInDays - 30), dueOn: today.adding(days: sample.dueInDays)),
                now: now)
            let link = try await store.createLink(
                invoiceID: invoice.id, expiresAt: nil, purpose: .demo, keyring: settings.keyring, now: now)
            if sample.paid > 0 {
                _ = try await store.recordPayment(
                    invoiceID: invoice.id,
                    NewPayment(
                        amount: sample.paid, method: .transfer, reference: "VIR-\(sample.number)", receivedAt: now),
                    now: now)
            }
            if sample.void { _ = try await store.voidInvoice(id: invoice.id, now: now) }
            links.append((sample.label, settings.urls.invoicePage(token: link.token)))
        }
        // An expired and a revoked link, to see what a customer sees then.
        let old = try await store.invoice(number: "F-2026-0104")
        // Issued 70 days ago, it expired 10 days ago.
        let expired = try await store.createLink(
            invoiceID: old.id, expiresAt: now.addingTimeInterval(-86_400 * 10), purpose: .demo,
            keyring: settings.keyring, now: now.addingTimeInterval(-86_400 * 70))
        links.append(("expired link (offers a new one)", settings.urls.invoicePage(token: expired.token)))
        let revoked = try await store.createLink(
            invoiceID: old.id, expiresAt: nil, purpose: .demo, keyring: settings.keyring, now: now)
        try await store.revokeLink(id: revoked.linkID, now: now)
        links.append(("revoked link", settings.urls.invoicePage(token: revoked.token)))

        links += try await seedPlans(store: store, settings: settings, now: now, today: today, eur: eur)

        let (_, secret) = try await store.createAPIKey(name: "demo", now: now)
        let password = Base64URL.encode(Crypto.randomBytes(12))
        let user = try await store.addUser(
            email: "owner@atelier-martin.example", password: password, role: .owner, now: now)
        return Seeded(apiKey: secret, login: (user.email, password), links: links)
    }

    /// A plan proposal waiting for the business, and an accepted plan with one instalment paid.
    static func seedPlans(store: Store, settings: WebSettings, now: Date, today: CalendarDate, eur: Currency)
        async throws -> [(String, String)]
    {
        let library = try PageLibrary(
            directory: settings.resourcesDirectory.appendingPathComponent("templates"), catalogue: try store.phrases())
        let compose: @Sendable (RequestNotice) -> String = { library.requestNotice($0) }
        let links = settings.linkSettings
        let day: TimeInterval = 86_400
        var seeded: [(String, String)] = []

        let waiting = try await store.createInvoice(
            NewInvoice(
                number: "F-2026-0107",
                customer: CustomerInput(
                    name: "Nathalie Roux", phone: PhoneNumber("+33612345607"), locale: "fr", timeZone: "Europe/Paris"),
                amount: Money(minorUnits: 90_000, currency: eur), issuedOn: today.adding(days: -42),
                dueOn: today.adding(days: -12)),
            now: now.addingTimeInterval(-42 * day))
        _ = try await RequestService(storage: store, links: links, clock: .fixed(now.addingTimeInterval(-3600))).submit(
            NewRequest(
                kind: .plan, invoiceID: waiting.id, linkID: nil,
                schedule: PaymentPlan.schedule(
                    balance: 90_000, count: 3, frequency: .monthly, firstDate: today.adding(days: 7)),
                message: "Je peux payer en trois fois à partir du mois prochain.", contact: .sms), today: today,
            compose: compose)
        let waitingLink = try await store.createLink(
            invoiceID: waiting.id, expiresAt: nil, purpose: .demo, keyring: settings.keyring, now: now)
        seeded.append(("plan proposed (fr)", settings.urls.invoicePage(token: waitingLink.token)))

        // Proposed and accepted a month ago; the first of three payments came in on time.
        let started = now.addingTimeInterval(-30 * day)
        let startDay = today.adding(days: -30)
        let onPlan = try await store.createInvoice(
            NewInvoice(
                number: "F-2026-0108",
                customer: CustomerInput(
                    name: "Thomas Lefèvre", phone: PhoneNumber("+33612345608"), locale: "fr", timeZone: "Europe/Paris"),
                amount: Money(minorUnits: 60_000, currency: eur), issuedOn: today.adding(days: -60),
                dueOn: today.adding(days: -35)),
            now: now.addingTimeInterval(-60 * day))
        let outcome = try await RequestService(storage: store, links: links, clock: .fixed(started)).submit(
            NewRequest(
                kind: .plan, invoiceID: onPlan.id, linkID: nil,
                schedule: PaymentPlan.schedule(
                    balance: 60_000, count: 3, frequency: .monthly, firstDate: startDay.adding(days: 5)),
                contact: .sms), today: startDay, compose: compose)
        if case .created(let request) = outcome {
            _ = try await RequestService(storage: store, links: links, clock: .fixed(started.addingTimeInterval(3600)))
                .answer(
                    id: request.id, .accept(nil), message: "C'est d'accord, merci.", today: startDay, audit: nil,
                    compose: compose)
        }
        _ = try await store.recordPayment(
            invoiceID: onPlan.id,
            NewPayment(amount: 20_000, method: .transfer, reference: "VIR-F-2026-0108-1", receivedAt: started),
            now: now.addingTimeInterval(-25 * day))
        let planLink = try await store.createLink(
            invoiceID: onPlan.id, expiresAt: nil, purpose: .demo, keyring: settings.keyring, now: now)
        seeded.append(("on a plan, 1 of 3 paid (fr)", settings.urls.invoicePage(token: planLink.token)))
        return seeded
    }
}
