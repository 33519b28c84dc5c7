import Foundation
import RelanceCore
import RelanceStore

/// A sample business with customers and invoices in every state, for `relance serve --demo`.
public enum DemoData {
    public struct Seeded: Sendable {
        public var apiKey: String
        /// (what the link shows, its URL), in a useful order to try them.
        public var links: [(label: String, url: String)]
    }

    public static func seed(store: Store, settings: WebSettings, now: Date) async throws -> Seeded {
        try await store.saveBusiness(
            Business(
                name: "Atelier Martin", phone: "+33123456789", email: "factures@atelier-martin.example",
                address: "Atelier Martin Plomberie\n12 rue des Lilas\n69003 Lyon", paymentURL: nil,
                bankBeneficiary: "Atelier Martin SARL", bankIBAN: "FR7630006000011234567890189", bankBIC: "AGRIFRPP",
                defaultLocale: "fr", timeZone: "Europe/Paris", linkLifetimeDays: 60))
        let zone = TimeZone(identifier: "Europe/Paris") ?? .gmt
        let today = CalendarDate(instant: now, timeZone: zone)
        guard let eur = Currency(code: "EUR") else { throw StoreError.notFound("EUR") }

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
                        amount: sample.paid, method: "transfer", reference: "VIR-\(sample.number)", receivedAt: now),
                    now: now)
            }
            if sample.void { _ = try await store.voidInvoice(id: invoice.id, now: now) }
            links.append((sample.label, settings.linkURL(token: link.token)))
        }
        // An expired and a revoked link, to see what a customer sees then.
        let old = try await store.invoice(number: "F-2026-0104")
        // Issued 70 days ago, it expired 10 days ago.
        let expired = try await store.createLink(
            invoiceID: old.id, expiresAt: now.addingTimeInterval(-86_400 * 10), purpose: .demo,
            keyring: settings.keyring, now: now.addingTimeInterval(-86_400 * 70))
        links.append(("expired link (offers a new one)", settings.linkURL(token: expired.token)))
        let revoked = try await store.createLink(
            invoiceID: old.id, expiresAt: nil, purpose: .demo, keyring: settings.keyring, now: now)
        try await store.revokeLink(id: revoked.linkID, now: now)
        links.append(("revoked link", settings.linkURL(token: revoked.token)))

        let (_, secret) = try await store.createAPIKey(name: "demo", now: now)
        return Seeded(apiKey: secret, links: links)
    }
}
