import Foundation
import RelanceCore

/// What a tick reads once and judges every invoice by.
public struct TickSettings: Sendable {
    public var policy: ReminderPolicy
    public var rules: SendingRules
    public var business: Business
    public var planSettings: PlanSettings

    public init(policy: ReminderPolicy, rules: SendingRules, business: Business, planSettings: PlanSettings) {
        self.policy = policy
        self.rules = rules
        self.business = business
        self.planSettings = planSettings
    }
}

/// An invoice and how its customer can be reached, as a store reads it for the tick (every column) and
/// for "send now" (without the pause and the plan). The dates and the currency stay as stored, so the
/// rule sets aside an invoice it cannot read instead of failing the whole tick.
public struct InvoiceToRemind: Decodable, Sendable {
    public var id: Int64
    public var number: String
    public var currency: String
    public var amount: Int64
    public var dueOn: String
    public var paidAt: Date?
    public var voidedAt: Date?
    public var remindersPausedAt: Date?
    public var customerID: Int64
    /// The customer's.
    public var name: String
    public var phone: String?
    public var locale: String?
    public var timeZone: String?
    public var smsOptedOutAt: Date?
    public var email: String?
    public var emailOptedOutAt: Date?
    /// Everything received, in minor units.
    public var paid: Int64
    public var remindersRebasedOn: String?
    /// The active plan, if any.
    public var planID: Int64?

    // Listed rather than derived: the tick decodes ten thousand of these in one go.
    enum CodingKeys: String, CodingKey {
        case id
        case number
        case currency
        case amount
        case dueOn = "due_on"
        case paidAt = "paid_at"
        case voidedAt = "voided_at"
        case remindersPausedAt = "reminders_paused_at"
        case customerID = "customer_id"
        case name
        case phone
        case locale
        case timeZone = "time_zone"
        case smsOptedOutAt = "sms_opted_out_at"
        case email
        case emailOptedOutAt = "email_opted_out_at"
        case paid
        case remindersRebasedOn = "reminders_rebased_on"
        case planID = "plan_id"
    }
}

/// One customer's invoices whose next action has come, and what the rule needs to know besides.
public struct CustomerDue: Sendable {
    public var invoices: [InvoiceToRemind]
    /// When the customer's last reminder text was queued: the frequency cap counts from it.
    public var lastReminderSMS: Date?
    /// The slots each invoice has used (sent or skipped).
    public var used: [Int64: Set<SlotKey>]
    /// The plan of each invoice on one.
    public var plans: [Int64: PlanView]

    public init(
        invoices: [InvoiceToRemind], lastReminderSMS: Date?, used: [Int64: Set<SlotKey>], plans: [Int64: PlanView]
    ) {
        self.invoices = invoices
        self.lastReminderSMS = lastReminderSMS
        self.used = used
        self.plans = plans
    }
}

/// An invoice a message is about: what it shows (number, balance, due date), the date its stages
/// count from, and the slot the message uses.
public struct DueInvoice: Sendable, Equatable {
    public var id: Int64
    public var number: String
    public var balance: Money
    /// The date shown in the message.
    public var dueOn: CalendarDate
    /// The date the stages count from: the due date, or where a broken plan restarted them.
    public var baseOn: CalendarDate
    public var planned: PlannedReminder

    public init(
        id: Int64, number: String, balance: Money, dueOn: CalendarDate, baseOn: CalendarDate, planned: PlannedReminder
    ) {
        self.id = id
        self.number = number
        self.balance = balance
        self.dueOn = dueOn
        self.baseOn = baseOn
        self.planned = planned
    }
}

/// A reminder to write: to whom, about which invoices, in which words. The store creates its link
/// (the text carries the link's signed token), then `ReminderText` writes it.
public struct ReminderToSend: Sendable, Equatable {
    public var channel: Channel
    public var customerID: Int64
    public var customerName: String
    /// A phone number or an email address.
    public var recipient: String
    public var language: Language
    /// One invoice, or several of one customer and currency (the message then links to a statement).
    public var items: [DueInvoice]
    /// The most advanced stage among the invoices: it sets the message's tone and names it.
    public var stage: String
    /// The wording's own stage when it is not `stage` (an instalment reminder's).
    public var wording: String

    public var combined: Bool { items.count > 1 }
}

/// A payment plan the tick ends because an instalment is too late.
public struct BrokenPlan: Sendable, Equatable {
    public var planID: Int64
    public var invoiceID: Int64
    /// Counted from 1.
    public var instalment: Int
    public var instalmentDueOn: CalendarDate
    /// How long after its date it was still unpaid: the business's break-after setting, in days.
    public var daysLate: Int
    /// Where the invoice's own stages count from now, so its late stage is due today; nil when the
    /// policy has no stage left to send.
    public var rebasedOn: CalendarDate?

    /// Why the plan ended, as it is stored.
    public var reason: PlanEnd { .missed(instalment: instalment, dueOn: instalmentDueOn, days: daysLate) }
}

/// One thing the tick does to the database, in order.
public enum TickStep: Sendable, Equatable {
    /// When to look at the invoice again (nil: never, until something changes).
    case setNextAction(invoiceID: Int64, at: Date?)
    /// Look again later: outside the sending window, or within the frequency cap.
    case postpone(invoiceID: Int64, until: Date)
    /// A slot no message can serve on this channel, recorded once with why.
    case skip(invoiceID: Int64, planned: PlannedReminder, channel: Channel, reason: String)
    case send(ReminderToSend)
    case breakPlan(BrokenPlan)
}

/// The scheduler's rule for one tick: for each customer, which invoices get a message now, which are
/// skipped or put off, and when to look at each again. It reads nothing and writes nothing, so every
/// database runs the same rule: the store reads a customer's due invoices, asks `decide`, and carries
/// out the steps in order.
public struct TickRule {
    public let settings: TickSettings
    public let now: Date
    /// Whether an email can go out (SMTP is set up); email slots are skipped otherwise.
    public let emailEnabled: Bool
    private var zones: [String: TimeZone] = [:]
    /// Each stage's place in the policy, for the tone of a combined message: once per tick, not per message.
    private let stageOrder: [String: Int]

    public init(settings: TickSettings, now: Date, emailEnabled: Bool) {
        self.settings = settings
        self.now = now
        self.emailEnabled = emailEnabled
        stageOrder = Dictionary(uniqueKeysWithValues: settings.policy.stages.enumerated().map { ($1.key, $0) })
    }

    /// The customer's time zone, else the business's; resolved once per name and tick.
    public mutating func zone(_ identifier: String?) -> TimeZone {
        let name = identifier ?? settings.business.timeZone
        if let zone = zones[name] { return zone }
        let zone = TimeZoneName.zone(name) ?? TimeZoneName.zone(settings.business.timeZone) ?? .gmt
        zones[name] = zone
        return zone
    }

    /// The language a customer reads: their own, else the business's, else French.
    public func language(_ locale: String?) -> Language {
        Language(locale: locale) ?? Language(locale: settings.business.defaultLocale) ?? .fr
    }

    /// What the tick does for one customer. Invoices due together become one message per channel and
    /// currency (with a statement link when there are several); an invoice paid, void, paused or
    /// unreadable is set aside until something changes.
    public mutating func decide(_ due: CustomerDue) -> [TickStep] {
        guard let first = due.invoices.first else { return [] }
        let policy = settings.policy
        let rules = settings.rules
        let zone = zone(first.timeZone)
        let today = CalendarDate(instant: now, timeZone: zone)
        let opening = rules.nextOpening(atOrAfter: now, in: zone)
        var capUntil = due.lastReminderSMS.map { $0.addingTimeInterval(rules.smsMinimumInterval) }
        var steps: [TickStep] = []
        var items: [DueInvoice] = []

        for row in due.invoices {
            guard row.paidAt == nil, row.voidedAt == nil, row.remindersPausedAt == nil,
                let dueOn = CalendarDate(iso: row.dueOn), let currency = Currency(code: row.currency)
            else {
                steps.append(.setNextAction(invoiceID: row.id, at: nil))
                continue
            }
            let used = due.used[row.id] ?? []
            if row.planID != nil {
                steps += instalmentSteps(
                    row, dueOn: dueOn, currency: currency, plan: due.plans[row.id], used: used, zone: zone,
                    opening: opening, capUntil: &capUntil)
                continue
            }
            let baseOn = row.remindersRebasedOn.flatMap(CalendarDate.init(iso:)) ?? dueOn
            guard let planned = ReminderPlanner.due(policy: policy, dueOn: baseOn, today: today, sent: used) else {
                let next = ReminderPlanner.nextAction(
                    policy: policy, dueOn: baseOn, sent: used, now: now, timeZone: zone, rules: rules)
                steps.append(.setNextAction(invoiceID: row.id, at: next))
                continue
            }
            if opening > now {
                // Night, Sunday or a holiday where the customer lives: wait for the window.
                steps.append(.postpone(invoiceID: row.id, until: opening))
                continue
            }
            let balance = Money(minorUnits: row.amount - row.paid, currency: currency)
            items.append(
                DueInvoice(
                    id: row.id, number: row.number, balance: balance, dueOn: dueOn, baseOn: baseOn, planned: planned))
        }
        if items.isEmpty { return steps }

        let language = language(first.locale)
        var handled: [Int64: [SlotKey]] = [:]
        /// One message per currency (amounts are never added across currencies), in the order of their codes.
        func send(_ list: [DueInvoice], _ channel: Channel, to recipient: String) {
            let byCurrency = Dictionary(grouping: list, by: { $0.balance.currency.code })
            for (_, batch) in byCurrency.sorted(by: { $0.key < $1.key }) {
                let stage = mostAdvancedStage(batch)
                steps.append(
                    .send(
                        ReminderToSend(
                            channel: channel, customerID: first.customerID, customerName: first.name,
                            recipient: recipient, language: language, items: batch, stage: stage, wording: stage)))
                for item in batch { handled[item.id, default: []].append(SlotKey(item.planned)) }
            }
        }
        func skip(_ list: [DueInvoice], _ channel: Channel, _ reason: String) {
            for item in list {
                steps.append(.skip(invoiceID: item.id, planned: item.planned, channel: channel, reason: reason))
                handled[item.id, default: []].append(SlotKey(item.planned))
            }
        }

        let smsDue = items.filter { $0.planned.stage.channels.contains(.sms) }
        if !smsDue.isEmpty {
            if let reason = TickRule.smsUnreachable(first) {
                skip(smsDue, .sms, reason)
            } else if let capUntil, capUntil > now {
                let retry = rules.nextOpening(atOrAfter: capUntil, in: zone)
                for item in smsDue { steps.append(.postpone(invoiceID: item.id, until: retry)) }
                items.removeAll { item in smsDue.contains { $0.id == item.id } }
            } else if let phone = first.phone {
                send(smsDue, .sms, to: phone)
            }
        }
        let emailDue = items.filter { $0.planned.stage.channels.contains(.email) }
        if !emailDue.isEmpty {
            switch TickRule.emailRecipient(
                first.email, optedOut: first.emailOptedOutAt != nil, emailEnabled: emailEnabled)
            {
            case .failure(let reason): skip(emailDue, .email, reason.text)
            case .success(let address): send(emailDue, .email, to: address)
            }
        }
        for item in items {
            let sent = (due.used[item.id] ?? []).union(handled[item.id] ?? [])
            let next = ReminderPlanner.nextAction(
                policy: policy, dueOn: item.baseOn, sent: sent, now: now, timeZone: zone, rules: rules,
                notBefore: handled[item.id] == nil ? nil : now.addingTimeInterval(rules.smsMinimumInterval))
            steps.append(.setNextAction(invoiceID: item.id, at: next))
        }
        return steps
    }

    /// The stage of several that comes latest in the policy: a combined message takes its tone.
    func mostAdvancedStage(_ items: [DueInvoice]) -> String {
        items.map(\.planned.stage.key).max { (stageOrder[$0] ?? 0) < (stageOrder[$1] ?? 0) }
            ?? items[0].planned.stage.key
    }

    /// An invoice on an active plan: break the plan when an instalment is too late (and send the late
    /// stage at once), else send the instalment reminder that is due, then say when to look again. The
    /// same sending window, frequency cap and opt-outs as every reminder.
    func instalmentSteps(
        _ row: InvoiceToRemind, dueOn: CalendarDate, currency: Currency, plan: PlanView?, used: Set<SlotKey>,
        zone: TimeZone, opening: Date, capUntil: inout Date?
    ) -> [TickStep] {
        guard let plan, plan.status == .active else { return [] }
        let id = row.id
        let rules = settings.rules
        let planSettings = settings.planSettings
        let today = CalendarDate(instant: now, timeZone: zone)
        let unreachable = TickRule.smsUnreachable(row)
        let capped = capUntil.map { $0 > now } ?? false
        var steps: [TickStep] = []

        func send(_ item: DueInvoice, wording: String?) {
            if let unreachable {
                steps.append(.skip(invoiceID: id, planned: item.planned, channel: .sms, reason: unreachable))
            } else if let phone = row.phone {
                steps.append(
                    .send(
                        ReminderToSend(
                            channel: .sms, customerID: row.customerID, customerName: row.name, recipient: phone,
                            language: language(row.locale), items: [item], stage: item.planned.stage.key,
                            wording: wording ?? item.planned.stage.key)))
                capUntil = now.addingTimeInterval(rules.smsMinimumInterval)
            }
        }

        if let missed = PaymentPlan.missedInstalment(
            plan.instalments, paid: plan.paid, today: today, graceDays: planSettings.breakAfterDays)
        {
            // Broken only when the late message can go with it, so the customer hears of it at once.
            if opening > now { return [.postpone(invoiceID: id, until: opening)] }
            if unreachable == nil, capped, let capUntil {
                return [.postpone(invoiceID: id, until: rules.nextOpening(atOrAfter: capUntil, in: zone))]
            }
            let instalment = plan.instalments[missed]
            let late = TickRule.lateStage(settings.policy)
            let rebased = late.map { today.adding(days: -$0.offsetDays) }
            steps.append(
                .breakPlan(
                    BrokenPlan(
                        planID: plan.id, invoiceID: id, instalment: missed + 1, instalmentDueOn: instalment.dueOn,
                        daysLate: planSettings.breakAfterDays,
                        rebasedOn: rebased)))
            guard let late, let rebased else {
                steps.append(.setNextAction(invoiceID: id, at: nil))
                return steps
            }
            let occurrence = (used.filter { $0.stage == late.key }.map(\.occurrence).max() ?? 0) + 1
            let planned = PlannedReminder(stage: late, occurrence: occurrence, day: today)
            let balance = Money(minorUnits: row.amount - row.paid, currency: currency)
            send(
                DueInvoice(
                    id: id, number: row.number, balance: balance, dueOn: dueOn, baseOn: rebased, planned: planned),
                wording: nil)
            let next = ReminderPlanner.nextAction(
                policy: settings.policy, dueOn: rebased, sent: used.union([SlotKey(planned)]), now: now,
                timeZone: zone, rules: rules, notBefore: now.addingTimeInterval(rules.smsMinimumInterval))
            steps.append(.setNextAction(invoiceID: id, at: next))
            return steps
        }

        let slots = PaymentPlan.reminderSlots(
            plan.instalments, ids: plan.instalmentIDs, paid: plan.paid, offsets: planSettings.reminderOffsets)
        var sentNow = used
        if let slot = PaymentPlan.dueSlot(slots, today: today, sent: used) {
            if opening > now { return [.postpone(invoiceID: id, until: opening)] }
            if unreachable == nil, capped, let capUntil {
                return [.postpone(invoiceID: id, until: rules.nextOpening(atOrAfter: capUntil, in: zone))]
            }
            let instalment = plan.instalments[slot.index]
            let stage = ReminderStage(key: slot.key.stage, offsetDays: slot.offsetDays, channels: [.sms])
            send(
                DueInvoice(
                    id: id, number: row.number,
                    balance: Money(minorUnits: instalment.amount - plan.paid[slot.index], currency: currency),
                    dueOn: instalment.dueOn, baseOn: instalment.dueOn,
                    planned: PlannedReminder(stage: stage, occurrence: slot.key.occurrence, day: slot.day)),
                wording: slot.wording)
            sentNow.insert(slot.key)
        }
        // Look again on the next slot's day, or on the day the first unpaid instalment would break the plan.
        var candidates: [Date] = []
        if let day = PaymentPlan.nextSlotDay(slots, today: today, sent: sentNow) {
            candidates.append(rules.nextOpening(atOrAfter: max(day.startInstant(in: zone), now), in: zone))
        }
        if let next = plan.nextIndex {
            let breaks = plan.instalments[next].dueOn.adding(days: planSettings.breakAfterDays)
            candidates.append(max(breaks.startInstant(in: zone), now))
        }
        if let capUntil, capUntil > now {
            candidates = candidates.map { max($0, capUntil) }
        }
        steps.append(.setNextAction(invoiceID: id, at: candidates.min()))
        return steps
    }

    /// The stage a broken plan returns to: `late` when the policy has it, else the first stage after the
    /// due date, else the last.
    public static func lateStage(_ policy: ReminderPolicy) -> ReminderStage? {
        let enabled = policy.stages.filter(\.enabled)
        return enabled.first { $0.key == "late" } ?? enabled.first { $0.offsetDays > 0 } ?? enabled.last
    }

    /// Why a customer cannot get a text, in the words a skipped slot records; nil when they can.
    public static func smsUnreachable(_ row: InvoiceToRemind) -> String? {
        row.phone == nil ? "no phone number" : row.smsOptedOutAt != nil ? "opted out of SMS" : nil
    }

    /// Why a customer cannot get an email reminder, in the words the skipped slot records.
    public struct EmailSkip: Error, Equatable {
        public var text: String
    }

    /// The address a customer's email reminders go to, or why there is none: one rule for the tick and
    /// for "send now".
    public static func emailRecipient(_ email: String?, optedOut: Bool, emailEnabled: Bool) -> Result<
        String, EmailSkip
    > {
        guard emailEnabled else { return .failure(EmailSkip(text: "email is not set up (RELANCE_SMTP_URL)")) }
        guard let address = email?.trimmingCharacters(in: .whitespaces) else {
            return .failure(EmailSkip(text: "no email address"))
        }
        guard EmailAddress.isValid(address) else { return .failure(EmailSkip(text: "email address is not valid")) }
        guard !optedOut else { return .failure(EmailSkip(text: "opted out of email")) }
        return .success(address)
    }
}

/// A stored invoice whose due date or currency cannot be read: a fault in the data, not the business's.
public struct UnreadableInvoice: Error, Equatable, CustomStringConvertible {
    public var invoiceID: Int64
    public var dueOn: String
    public var currency: String

    public var description: String {
        "invoice \(invoiceID) has a due date (\(dueOn)) or currency (\(currency)) that cannot be read"
    }
}

/// What "send a reminder now" writes: the messages, in order, and when to look at the invoice again.
public struct SendNowDecision: Sendable, Equatable {
    /// The email first, when the stage goes by email and the customer can get it, then the text.
    public var sends: [ReminderToSend]
    public var nextAction: Date?
}

extension TickRule {
    /// "Send the next reminder now": the stage that applies today, or else the next one, on each of its
    /// channels the customer can get, whatever the sending window and the frequency cap. The slot is
    /// used once sent, so an email left out here would never go.
    ///
    /// Throws a `RemindRefusal` the business can be told, or `UnreadableInvoice` for a stored date or
    /// currency Relance cannot read (a paid or void invoice is refused before it is read).
    public mutating func sendNow(_ row: InvoiceToRemind, onPlan: Bool, used: Set<SlotKey>) throws -> SendNowDecision {
        guard row.paidAt == nil, row.voidedAt == nil else { throw RemindRefusal.settled }
        if onPlan { throw RemindRefusal.onPlan }
        guard let dueOn = CalendarDate(iso: row.dueOn), let currency = Currency(code: row.currency) else {
            throw UnreadableInvoice(invoiceID: row.id, dueOn: row.dueOn, currency: row.currency)
        }
        let policy = settings.policy
        let zone = zone(row.timeZone)
        let today = CalendarDate(instant: now, timeZone: zone)
        let baseOn = row.remindersRebasedOn.flatMap(CalendarDate.init(iso:)) ?? dueOn
        let all = ReminderPlanner.slots(policy: policy, dueOn: baseOn)
        let afterUsed = (all.lastIndex { used.contains(SlotKey($0)) }).map { $0 + 1 } ?? 0
        guard
            let planned = ReminderPlanner.due(policy: policy, dueOn: baseOn, today: today, sent: used)
                ?? all[afterUsed...].first
        else { throw RemindRefusal.nothingLeft }
        let item = DueInvoice(
            id: row.id, number: row.number, balance: Money(minorUnits: row.amount - row.paid, currency: currency),
            dueOn: dueOn, baseOn: baseOn, planned: planned)
        let channels = planned.stage.channels
        let address =
            channels.contains(.email)
            ? try? TickRule.emailRecipient(row.email, optedOut: row.emailOptedOutAt != nil, emailEnabled: emailEnabled)
                .get() : nil
        let phone = channels.contains(.sms) && TickRule.smsUnreachable(row) == nil ? row.phone : nil
        guard phone != nil || address != nil else {
            if !channels.contains(.sms) { throw RemindRefusal.noEmail }
            throw row.phone == nil ? RemindRefusal.noPhone : RemindRefusal.optedOut
        }
        func message(_ channel: Channel, _ recipient: String) -> ReminderToSend {
            ReminderToSend(
                channel: channel, customerID: row.customerID, customerName: row.name, recipient: recipient,
                language: language(row.locale), items: [item], stage: planned.stage.key, wording: planned.stage.key)
        }
        let next = ReminderPlanner.nextAction(
            policy: policy, dueOn: baseOn, sent: used.union([SlotKey(planned)]), now: now, timeZone: zone,
            rules: settings.rules)
        return SendNowDecision(
            sends: [address.map { message(.email, $0) }, phone.map { message(.sms, $0) }].compactMap { $0 },
            nextAction: next)
    }
}

extension TickSummary {
    /// Counts a step a store has carried out; `queued` is what a `.send` wrote.
    public mutating func count(_ step: TickStep, queued: QueuedReminder?) {
        switch step {
        case .setNextAction: break
        case .postpone: deferred += 1
        case .skip(let invoiceID, let planned, _, let reason): skipped.append((invoiceID, planned.stage.key, reason))
        case .send: if let queued { self.queued.append(queued) }
        case .breakPlan(let broken): brokenPlans.append(broken.invoiceID)
        }
    }
}
