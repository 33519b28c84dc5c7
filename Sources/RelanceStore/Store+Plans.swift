import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// An invoice's payment plan with what each instalment has received.
public struct PlanView: Sendable, Equatable {
    public var id: Int64
    public var invoiceID: Int64
    /// `active`, `completed`, `broken` or `cancelled`.
    public var status: String
    public var createdAt: Date
    public var endedAt: Date?
    public var endReason: String?
    public var instalments: [Instalment]
    public var instalmentIDs: [Int64]
    /// Paid towards each instalment, oldest first.
    public var paid: [Int64]

    /// The first instalment not paid in full.
    public var nextIndex: Int? { instalments.indices.first { paid[$0] < instalments[$0].amount } }

    /// What is left of the next instalment, in minor units (nil when everything is paid).
    public var nextRemaining: Int64? { nextIndex.map { instalments[$0].amount - paid[$0] } }

    /// What the customer is asked to pay now: the rest of the next instalment, never more than the
    /// balance (the QR code, the card payment and the page all use this).
    public func payable(balance: Money) -> Money {
        guard let remaining = nextRemaining else { return balance }
        return Money(minorUnits: min(remaining, balance.minorUnits), currency: balance.currency)
    }
}

/// One line of an invoice's history: what happened, when.
public struct HistoryItem: Sendable, Equatable {
    public var at: Date
    /// `invoice.created`, `message.queued`, `message.delivered`…, `link.opened`, `link.previewed`,
    /// `payment.received`, `request.created`, `request.accepted`…, `plan.started`, `plan.broken`…
    public var kind: String
    public var detail: String?
    public var messageID: Int64?
    public var requestID: Int64?
    /// What a sentence about the event needs, by name: `stage`, `channel`, `recipient`, `segments`,
    /// `variant`, `message_kind` for messages; `amount` (minor units), `currency`, `method`, `reference`
    /// for payments; `who` for actions.
    public var facts: [String: String] = [:]
}

extension Store {
    // MARK: - Reading plans

    /// The invoice's active plan, or else its latest one.
    public func plan(invoiceID: Int64) async throws -> PlanView? {
        try await pool.read { db in try Store.planView(db, invoiceID: invoiceID) }
    }

    /// The same, read on the caller's thread for the customer page (only for invoices that have a plan).
    public func planNow(invoiceID: Int64) throws -> PlanView? {
        try syncReader.read { db in try Store.planView(db, invoiceID: invoiceID) }
    }

    static func planView(_ db: Database, invoiceID: Int64) throws -> PlanView? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT p.*, (SELECT COALESCE(SUM(amount), 0) FROM payment WHERE invoice_id = p.invoice_id) AS total
                    FROM plan p WHERE p.invoice_id = ? ORDER BY p.status = 'active' DESC, p.id DESC LIMIT 1
                    """, arguments: [invoiceID])
        else { return nil }
        let planID: Int64 = row["id"]
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, due_on, amount FROM installment WHERE plan_id = ? ORDER BY position",
            arguments: [planID])
        let instalments = try rows.map { Instalment(dueOn: try Store.date($0["due_on"]), amount: $0["amount"]) }
        return PlanView(
            id: planID, invoiceID: invoiceID, status: row["status"], createdAt: row["created_at"],
            endedAt: row["ended_at"], endReason: row["end_reason"], instalments: instalments,
            instalmentIDs: rows.map { $0["id"] },
            paid: PaymentPlan.allocate(instalments, paid: (row["total"] as Int64) - (row["paid_before"] as Int64)))
    }

    // MARK: - The scheduler's part

    /// The stage a broken plan returns to: `late` when the policy has it, else the first stage after the
    /// due date, else the last.
    static func lateStage(_ policy: ReminderPolicy) -> ReminderStage? {
        let enabled = policy.stages.filter(\.enabled)
        return enabled.first { $0.key == "late" } ?? enabled.first { $0.offsetDays > 0 } ?? enabled.last
    }

    /// One tick for an invoice with an active plan: break the plan when an instalment is too late (and
    /// send the late stage at once), else send the instalment reminder that is due, then say when to look
    /// again. Same sending window, frequency cap and opt-outs as every reminder.
    static func remindInstalments(
        _ db: Database, row: Row, context: TickContext, zone: TimeZone, opening: Date, capUntil: inout Date?,
        summary: inout TickSummary
    ) throws {
        let id: Int64 = row["id"]
        let now = context.now
        let rules = context.rules
        let settings = context.planSettings
        let today = CalendarDate(instant: now, timeZone: zone)
        guard let plan = try planView(db, invoiceID: id), plan.status == "active" else { return }
        let setNextAction = try db.cachedStatement(sql: "UPDATE invoice SET next_action_at = ? WHERE id = ?")
        let phone = row["phone"] as String?
        let unreachable: String? =
            phone == nil ? "no phone number" : row["sms_opted_out_at"] as String? != nil ? "opted out of SMS" : nil
        let sent = Set(
            try Row.fetchAll(db, sql: "SELECT stage, occurrence FROM reminder WHERE invoice_id = ?", arguments: [id])
                .map { SlotKey(stage: $0["stage"], occurrence: $0["occurrence"]) })
        let language = Language(locale: row["locale"]) ?? Language(locale: context.business.defaultLocale) ?? .fr
        let dueOn = try Store.date(row["due_on"])
        let currency = try Store.currency(row["currency"])
        let capped = capUntil.map { $0 > now } ?? false

        func wait(until instant: Date) throws {
            try setNextAction.execute(arguments: [instant, id])
            summary.deferred += 1
        }

        func send(_ item: DueInvoice, templateStage: String?) throws {
            if let unreachable {
                try recordSkipped(db, id, item.planned, .sms, reason: unreachable, now: now)
                summary.skipped.append((id, item.planned.stage.key, unreachable))
            } else if let phone {
                let queued = try queueMessage(
                    db, customerID: row["customer_id"], customerName: row["name"], phone: phone, items: [item],
                    language: language, context: context, templateStage: templateStage)
                summary.queued.append(queued)
                capUntil = now.addingTimeInterval(rules.smsMinimumInterval)
            }
        }

        if let missed = PaymentPlan.missedInstalment(
            plan.instalments, paid: plan.paid, today: today, graceDays: settings.breakAfterDays)
        {
            // Broken only when the late message can go with it, so the customer hears of it at once.
            if opening > now { return try wait(until: opening) }
            if unreachable == nil, capped, let capUntil {
                return try wait(until: rules.nextOpening(atOrAfter: capUntil, in: zone))
            }
            let instalment = plan.instalments[missed]
            try endPlan(
                db, planID: plan.id, invoiceID: id, status: "broken",
                reason:
                    "instalment \(missed + 1) of \(instalment.dueOn.iso) unpaid \(settings.breakAfterDays) days after its date",
                now: now)
            summary.brokenPlans.append(id)
            try Store.emitInvoiceEvent(
                db, .planBroken, invoiceID: id,
                extra: ["instalment": ["number": missed + 1, "due_on": instalment.dueOn.iso] as [String: Any]], now: now
            )
            guard let late = lateStage(context.policy) else {
                return try setNextAction.execute(arguments: [nil as Date?, id])
            }
            let rebased = today.adding(days: -late.offsetDays)
            try db.execute(
                sql: "UPDATE invoice SET reminders_rebased_on = ? WHERE id = ?", arguments: [rebased.iso, id])
            let used = try Int.fetchOne(
                db, sql: "SELECT MAX(occurrence) FROM reminder WHERE invoice_id = ? AND stage = ?",
                arguments: [id, late.key])
            let planned = PlannedReminder(stage: late, occurrence: (used ?? 0) + 1, day: today)
            let balance = Money(minorUnits: (row["amount"] as Int64) - (row["paid"] as Int64), currency: currency)
            let item = DueInvoice(
                id: id, number: row["number"], balance: balance, dueOn: dueOn, baseOn: rebased, planned: planned)
            try send(item, templateStage: nil)
            let next = ReminderPlanner.nextAction(
                policy: context.policy, dueOn: rebased, sent: sent.union([SlotKey(planned)]), now: now, timeZone: zone,
                rules: rules, notBefore: now.addingTimeInterval(rules.smsMinimumInterval))
            return try setNextAction.execute(arguments: [next, id])
        }

        let slots = PaymentPlan.reminderSlots(
            plan.instalments, ids: plan.instalmentIDs, paid: plan.paid, offsets: settings.reminderOffsets)
        var sentNow = sent
        if let slot = PaymentPlan.dueSlot(slots, today: today, sent: sent) {
            if opening > now { return try wait(until: opening) }
            if unreachable == nil, capped, let capUntil {
                return try wait(until: rules.nextOpening(atOrAfter: capUntil, in: zone))
            }
            let instalment = plan.instalments[slot.index]
            let stage = ReminderStage(key: slot.key.stage, offsetDays: slot.offsetDays, channels: [.sms])
            let item = DueInvoice(
                id: id, number: row["number"],
                balance: Money(minorUnits: instalment.amount - plan.paid[slot.index], currency: currency),
                dueOn: instalment.dueOn, baseOn: instalment.dueOn,
                planned: PlannedReminder(stage: stage, occurrence: slot.key.occurrence, day: slot.day))
            try send(item, templateStage: slot.wording)
            sentNow.insert(slot.key)
        }
        // Look again on the next slot's day, or on the day the first unpaid instalment would break the plan.
        var candidates: [Date] = []
        if let day = PaymentPlan.nextSlotDay(slots, today: today, sent: sentNow) {
            candidates.append(rules.nextOpening(atOrAfter: max(day.startInstant(in: zone), now), in: zone))
        }
        if let next = plan.nextIndex {
            let breaks = plan.instalments[next].dueOn.adding(days: settings.breakAfterDays)
            candidates.append(max(breaks.startInstant(in: zone), now))
        }
        if let capUntil, capUntil > now {
            candidates = candidates.map { max($0, capUntil) }
        }
        try setNextAction.execute(arguments: [candidates.min(), id])
    }

    // MARK: - History

    /// Everything that happened to an invoice, oldest first: creation, each message's statuses, link
    /// opens and previews, payments, requests and answers, plan events and pauses.
    public func history(invoiceID: Int64) async throws -> [HistoryItem] {
        try await pool.read { db in
            let invoice = try Store.invoice(db, id: invoiceID)
            var items = [HistoryItem(at: invoice.createdAt, kind: "invoice.created", detail: nil)]
            let messageRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.at, e.status, e.detail, m.id, m.kind, m.body, m.segments, m.encoding, m.request_id,
                        m.channel, m.stage, m.variant, m.recipient
                    FROM message_event e JOIN message m ON m.id = e.message_id
                    WHERE m.invoice_id = ? OR m.id IN (SELECT message_id FROM reminder WHERE invoice_id = ?)
                    ORDER BY e.id
                    """, arguments: [invoiceID, invoiceID])
            for row in messageRows {
                let status: String = row["status"]
                // The queued event carries the message itself: what, to whom, how long, which wording.
                var detail: String? = row["detail"]
                if status == "queued" {
                    let what =
                        (row["stage"] as String?).map { "\(row["kind"] as String) \($0)" } ?? (row["kind"] as String)
                    let variant = (row["variant"] as String?).map { ", wording \($0)" } ?? ""
                    let size =
                        (row["segments"] as Int?).map { ", \($0) segment(s) \(row["encoding"] as String? ?? "")" } ?? ""
                    detail =
                        "\(what) by \(row["channel"] as String) to \(row["recipient"] as String)\(size)\(variant): "
                        + (row["body"] as String)
                }
                var facts = ["channel": row["channel"] as String, "message_kind": row["kind"] as String]
                facts["stage"] = row["stage"]
                facts["recipient"] = row["recipient"]
                facts["segments"] = (row["segments"] as Int?).map(String.init)
                facts["variant"] = row["variant"]
                items.append(
                    HistoryItem(
                        at: row["at"], kind: "message.\(status)", detail: detail, messageID: row["id"],
                        requestID: row["request_id"], facts: facts))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT k.at, k.agent FROM click k JOIN link l ON l.id = k.link_id
                    WHERE l.invoice_id = ? ORDER BY k.id
                    """, arguments: [invoiceID])
            {
                items.append(
                    HistoryItem(at: row["at"], kind: row["agent"] == "preview" ? "link.previewed" : "link.opened"))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT * FROM payment WHERE invoice_id = ? ORDER BY id", arguments: [invoiceID])
            {
                let amount = Format.amount(Money(minorUnits: row["amount"], currency: invoice.amount.currency), .en)
                let reference = (row["reference"] as String?).map { ", reference \($0)" } ?? ""
                var facts = [
                    "amount": String(row["amount"] as Int64), "currency": invoice.amount.currency.code,
                    "method": row["method"] as String,
                ]
                facts["reference"] = row["reference"]
                items.append(
                    HistoryItem(
                        at: row["recorded_at"], kind: "payment.received",
                        detail: "\(amount) by \(row["method"] as String)\(reference)", facts: facts))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT * FROM invoice_event WHERE invoice_id = ? ORDER BY id", arguments: [invoiceID])
            {
                items.append(
                    HistoryItem(
                        at: row["at"], kind: row["kind"], detail: row["detail"], requestID: row["request_id"]))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT a.at, a.action, a.detail, u.email FROM audit a LEFT JOIN user u ON u.id = a.user_id
                    WHERE a.invoice_id = ? ORDER BY a.id
                    """, arguments: [invoiceID])
            {
                let who = (row["email"] as String?).map { "by \($0)" } ?? "by the API"
                let detail = (row["detail"] as String?).map { "\(who): \($0)" } ?? who
                items.append(
                    HistoryItem(
                        at: row["at"], kind: "action.\(row["action"] as String)", detail: detail,
                        facts: ["who": row["email"] as String? ?? "the API"]))
            }
            if let voided = invoice.voidedAt { items.append(HistoryItem(at: voided, kind: "invoice.voided")) }
            // Stable: events of the same instant keep the order they were written in.
            return items.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        }
    }
}

extension HistoryItem {
    init(at: Date, kind: String, detail: String? = nil) {
        self.init(at: at, kind: kind, detail: detail, messageID: nil, requestID: nil)
    }
}
