import Foundation
import RelanceCore
import RelanceServices
import RelanceStore

/// Six months of a small plumbing business's life for `relance serve --demo`, lived through the real
/// scheduler one morning at a time: invoices issued on working days, reminders queued by the tick and
/// handed to a pretend gateway that delivers them, customers who open their link (and whose messaging
/// apps preview it), pay by transfer or card some hours or days later, answer by text, ask for a payment
/// plan or say STOP. The "late" reminder in French has a second wording sent to half the customers, and
/// those who get it pay more often, so "What works" has a verdict to show. The same seed gives the same
/// history on every start; the last day is left to the live scheduler.
enum DemoHistory {
    /// Days of history before today.
    static let days = 182

    /// The B wording of the French "late" reminder: friendlier, and it says how quick paying is.
    static let lateVariant =
        "{{business_name}}: {{customer_name}}, facture {{invoice_number}} ({{amount}}) à régler. Payez en 1 minute: {{link}}"

    static let firstNames = [
        "Camille", "Julien", "Sophie", "Nicolas", "Claire", "Antoine", "Manon", "Hugo", "Léa", "Thomas", "Chloé",
        "Mathieu", "Inès", "Romain", "Sarah", "Maxime", "Pauline", "Karim", "Emma", "Yann", "Aurélie", "Bastien",
        "Nadia", "Olivier", "Zoé", "Rachid", "Hélène", "Victor", "Margaux", "Étienne",
    ]
    static let lastNames = [
        "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David",
        "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
        "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier",
    ]
    static let englishNames = [
        "Oliver Smith", "Amelia Jones", "George Taylor", "Isla Brown", "Harry Wilson", "Ava Davies", "Jack Evans",
        "Mia Thomas", "Noah Johnson", "Grace Roberts", "Leo Walker", "Ella Wright",
    ]
    static let companies = [
        "SCI Les Tilleuls", "Boulangerie Fournier", "Cabinet Lambert", "Syndic Bellecour", "Hôtel du Parc",
        "Garage Morel", "Crèche Les Petits Pas", "Restaurant Le Zinc",
    ]
    static let jobs: ClosedRange<Int64> = 6_000...150_000

    struct Customer {
        var input: CustomerInput
        /// How this customer pays: the chance to pay after opening a reminder.
        var diligence: Double
    }

    enum Action {
        case open(linkID: Int64, preview: Bool)
        case pay(invoiceID: Int64, amount: Int64?, method: PaymentMethod)
        case reply(phone: String, body: String, invoiceID: Int64?)
        case askPlan(invoiceID: Int64, linkID: Int64)
    }

    struct Event {
        var at: Date
        var action: Action
    }

    static func seed(store: Store, settings: WebSettings, now: Date, eur: Currency) async throws {
        var random = SeededRandom(seed: 0x5EED_2026)
        let zone = TimeZone(identifier: "Europe/Paris") ?? .gmt
        let links = settings.linkSettings
        let phrases = try store.phrases()
        let library = try PageLibrary(
            directory: settings.resourcesDirectory.appendingPathComponent("templates"), catalogue: phrases)
        let compose: @Sendable (RequestNotice) -> String = { library.requestNotice($0) }
        let today = CalendarDate(instant: now, timeZone: zone)
        let first = today.adding(days: -days)
        func at(_ day: CalendarDate, _ hour: Double) -> Date {
            day.startInstant(in: zone).addingTimeInterval(hour * 3600)
        }
        try await store.saveVariant(
            TemplateVariant(stage: "late", language: .fr, combined: false, body: lateVariant, share: 50),
            now: at(first, 7))

        // About a hundred customers: people, a few companies, some English speakers.
        var customers: [Customer] = []
        for index in 0..<104 {
            let name: String
            let locale: String
            if index < 8 {
                name = companies[index]
                locale = "fr"
            } else if index % 9 == 0 {
                name = englishNames[index / 9 % englishNames.count]
                locale = "en"
            } else {
                name = "\(firstNames[index % firstNames.count]) \(lastNames[(index * 7) % lastNames.count])"
                locale = "fr"
            }
            let phone =
                locale == "en"
                ? "+4477009\(String(format: "%05d", 10_000 + index))"
                : "+3361\(String(format: "%07d", 2_000_000 + index * 37))"
            customers.append(
                Customer(
                    input: CustomerInput(
                        name: name, phone: PhoneNumber(phone), locale: locale, timeZone: "Europe/Paris"),
                    diligence: random.double(in: 0.25...0.85)))
        }

        var queue: [Event] = []
        func schedule(_ action: Action, at instant: Date) {
            let index = queue.firstIndex { $0.at > instant } ?? queue.endIndex
            queue.insert(Event(at: instant, action: action), at: index)
        }
        var invoiceCustomer: [Int64: Int] = [:]
        var planned: Set<Int64> = []
        var number = 200
        var clicks: [ClickEvent] = []
        var transfers = 0

        func run(until instant: Date) async throws {
            while let event = queue.first, event.at <= instant {
                queue.removeFirst()
                switch event.action {
                case .open(let linkID, let preview):
                    clicks.append(
                        ClickEvent(linkID: linkID, at: event.at, agent: preview ? .preview : .person, ipHash: nil))
                case .pay(let invoiceID, let amount, let method):
                    let invoice = try await store.invoice(id: invoiceID)
                    guard invoice.status == .open, invoice.balance.minorUnits > 0 else { continue }
                    let paying = min(amount ?? invoice.balance.minorUnits, invoice.balance.minorUnits)
                    transfers += 1
                    _ = try await store.recordPayment(
                        invoiceID: invoiceID,
                        NewPayment(
                            amount: paying, method: method,
                            reference: method == .transfer ? "VIR-\(String(format: "%05d", transfers))" : nil,
                            receivedAt: event.at),
                        now: event.at)
                case .reply(let phone, let body, let invoiceID):
                    let reply = try await InboundService(storage: store, phrases: phrases, clock: .fixed(event.at))
                        .receive(InboundText(from: phone, to: nil, body: body, provider: "demo"))
                    // The owner reads replies within a few days; the last week's are still waiting.
                    let read = event.at.addingTimeInterval(random.double(in: 1...72) * 3600)
                    if read < now.addingTimeInterval(-7 * 86_400) {
                        try await store.markReplyRead(id: reply.inboundID, now: read)
                        // A reply pauses the customer's reminders; once answered by phone, they resume.
                        if let invoiceID, try await store.invoice(id: invoiceID).remindersPausedAt != nil {
                            _ = try await store.resumeReminders(invoiceID: invoiceID, now: read)
                        }
                    }
                case .askPlan(let invoiceID, let linkID):
                    let invoice = try await store.invoice(id: invoiceID)
                    guard invoice.status == .open, !planned.contains(invoiceID) else { continue }
                    planned.insert(invoiceID)
                    let day = CalendarDate(instant: event.at, timeZone: zone)
                    let outcome = try await RequestService(storage: store, links: links, clock: .fixed(event.at))
                        .submit(
                            NewRequest(
                                kind: .plan, invoiceID: invoiceID, linkID: linkID,
                                schedule: PaymentPlan.schedule(
                                    balance: invoice.balance.minorUnits, count: 3, frequency: .monthly,
                                    firstDate: day.adding(days: 10)),
                                message: "Serait-il possible de régler en trois fois ? Merci.", contact: .sms),
                            today: day, compose: compose)
                    guard case .created(let request) = outcome else { continue }
                    let answered = event.at.addingTimeInterval(20 * 3600)
                    let accepted = try await RequestService(storage: store, links: links, clock: .fixed(answered))
                        .answer(
                            id: request.id, .accept(nil), message: "C'est d'accord, merci de votre confiance.",
                            today: CalendarDate(instant: answered, timeZone: zone), audit: nil, compose: compose)
                    // Each instalment paid a day or two after its date, but the last one forgotten for some.
                    for (position, instalment) in accepted.schedule.enumerated()
                    where position < 2 || random.chance(0.7) {
                        schedule(
                            .pay(invoiceID: invoiceID, amount: instalment.amount, method: .transfer),
                            at: at(instalment.dueOn, 11 + random.double(in: 0...30)))
                    }
                }
            }
        }

        for offset in 0..<days {
            let day = first.adding(days: offset)
            let weekday = day.isoWeekday
            // Invoices go out on working days, three to seven a day.
            if weekday <= 5 {
                for _ in 0..<random.int(in: 3...7) {
                    let who = random.int(in: 0..<customers.count)
                    number += 1
                    let issued = at(day, 8 + random.double(in: 0...9))
                    let amount = random.int64(in: jobs) / 100 * 100 + (random.chance(0.3) ? 50 : 0)
                    let invoice = try await store.createInvoice(
                        NewInvoice(
                            number: "F-2026-\(String(format: "%04d", number))", customer: customers[who].input,
                            amount: Money(minorUnits: amount, currency: eur), issuedOn: day,
                            dueOn: day.adding(days: 30)),
                        now: issued)
                    invoiceCustomer[invoice.id] = who
                    // Some pay on receipt of the invoice itself, before any reminder.
                    if random.chance(0.15) {
                        schedule(
                            .pay(
                                invoiceID: invoice.id, amount: nil, method: random.chance(0.7) ? .transfer : .cheque),
                            at: issued.addingTimeInterval(random.double(in: 2...20) * 86_400))
                    }
                }
            }
            let tick = at(day, 9.5)
            try await run(until: tick)
            _ = try await store.runScheduler(now: tick, links: links, emailEnabled: false)
            var sent = 0
            while let message = try await store.claimNextMessage(now: tick) {
                sent += 1
                let handed = tick.addingTimeInterval(Double(sent) * 2)
                try await store.recordSendResult(
                    messageID: message.id, .accepted(provider: "demo", providerID: "demo-\(message.id)"),
                    attempts: message.attempts, now: handed)
                let unreachable = random.chance(0.01)
                _ = try await store.recordDelivery(
                    messageID: message.id, unreachable ? .failed("absent subscriber") : .delivered,
                    now: handed.addingTimeInterval(random.double(in: 3...90)))
                guard !unreachable else { continue }
                try behave(
                    message, at: handed, store: store, settings: settings, invoiceCustomer: invoiceCustomer,
                    customers: customers, random: &random, schedule: schedule)
            }
            try await run(until: at(day, 23.9))
            if !clicks.isEmpty {
                try store.recordClicks(clicks)
                clicks.removeAll()
            }
        }
        try await run(until: now)
        if !clicks.isEmpty { try store.recordClicks(clicks) }
    }

    /// What the customer does with a reminder: opens it or not, then pays, asks for a plan, answers, or
    /// says STOP, with chances that depend on the stage and on the wording.
    static func behave(
        _ message: ClaimedMessage, at handed: Date, store: Store, settings: WebSettings,
        invoiceCustomer: [Int64: Int], customers: [Customer], random: inout SeededRandom,
        schedule: (Action, Date) -> Void
    ) throws {
        guard let token = message.body.split(separator: " ").last.flatMap({ $0.split(separator: "/").last }),
            case .valid(let link) = SignedLink.verify(token, keyring: settings.keyring, now: handed),
            let page = try store.pageData(linkID: link.linkID), let who = invoiceCustomer[page.invoiceID]
        else { return }
        let customer = customers[who]
        let body = message.body
        let stage =
            body.contains("dernier rappel") || body.contains("final notice")
            ? "final"
            : body.contains("retard") || body.contains("overdue") || body.contains("Payez en 1 minute")
                ? "late" : body.contains("ce jour") || body.contains("due today") ? "due" : "courtesy"
        // Apps show a preview of the link as soon as the text arrives.
        if random.chance(0.3) { schedule(.open(linkID: link.linkID, preview: true), handed.addingTimeInterval(5)) }
        if random.chance(0.01) {
            schedule(.reply(phone: message.recipient, body: "STOP", invoiceID: nil), handed.addingTimeInterval(600))
            return
        }
        let friendly = body.contains("Payez en 1 minute")
        let opens = stage == "courtesy" ? 0.55 : stage == "late" ? (friendly ? 0.9 : 0.6) : 0.75
        guard random.chance(opens) else { return }
        let opened = handed.addingTimeInterval(random.double(in: 4...360) * 60)
        schedule(.open(linkID: link.linkID, preview: false), opened)
        if random.chance(0.05) {
            let words =
                page.customerLocale == "en"
                ? ["I'll pay on Friday, thanks", "Paid yesterday by transfer", "Can you send the invoice again?"]
                : [
                    "Je règle ce week-end, merci", "Virement fait hier", "Pouvez-vous me renvoyer la facture ?",
                    "Je suis en déplacement, je paie à mon retour",
                ]
            schedule(
                .reply(
                    phone: message.recipient, body: words[random.int(in: 0..<words.count)], invoiceID: page.invoiceID),
                opened.addingTimeInterval(120))
        }
        if stage != "courtesy", page.amount.minorUnits >= 60_000, random.chance(0.12) {
            schedule(.askPlan(invoiceID: page.invoiceID, linkID: link.linkID), opened.addingTimeInterval(300))
            return
        }
        // Most customers pay in the end, weeks after the last reminder.
        if stage == "final", random.chance(0.6) {
            schedule(
                .pay(invoiceID: page.invoiceID, amount: nil, method: .transfer),
                handed.addingTimeInterval(random.double(in: 10...40) * 86_400))
        }
        // The B wording of the late reminder gets paid more often: the verdict "What works" shows.
        let wording = stage != "late" ? 1.0 : friendly ? 1.9 : 0.5
        let chance = min(0.95, customer.diligence * wording * (stage == "final" ? 1.2 : stage == "courtesy" ? 0.5 : 1))
        guard random.chance(chance) else { return }
        let method: PaymentMethod = random.chance(0.55) ? .card : .transfer
        schedule(
            .pay(invoiceID: page.invoiceID, amount: nil, method: method),
            opened.addingTimeInterval(
                method == .card ? random.double(in: 1...20) * 60 : random.double(in: 3...60) * 3600))
    }
}

extension SeededRandom {
    mutating func double(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }

    mutating func chance(_ probability: Double) -> Bool { double(in: 0...1) < probability }

    mutating func int(in range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    mutating func int(in range: ClosedRange<Int>) -> Int { int(in: range.lowerBound..<(range.upperBound + 1)) }

    mutating func int64(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
