import Foundation

/// One reminder an accepted plan calls for: a day relative to one instalment's date.
public struct InstalmentSlot: Equatable, Sendable {
    /// Position of the instalment in the plan, from 0.
    public var index: Int
    /// Days from the instalment's date (−3 before, 0 on the day, 3 after).
    public var offsetDays: Int
    public var day: CalendarDate
    /// Stored in `reminder` as stage `plan-3` / `plan+0` / `plan+3` with the instalment's id as occurrence,
    /// so each instalment's reminders are kept apart from the invoice's own stages.
    public var key: SlotKey

    /// Which wording fits: before the date, on it, or after it.
    public var wording: String { offsetDays < 0 ? "plan_before" : offsetDays == 0 ? "plan_due" : "plan_after" }

    /// Every wording `wording` names, in that order: the templates of instalment reminders, which the API,
    /// the dashboard and `relance template check` list after the policy's stages (texts, one invoice each).
    public static let wordings = ["plan_before", "plan_due", "plan_after"]
}

extension PaymentPlan {
    /// How much of each instalment is paid when `paid` has come in since the plan began: the oldest
    /// unpaid instalment first, then the next.
    public static func allocate(_ instalments: [Instalment], paid: Int64) -> [Int64] {
        var left = max(paid, 0)
        return instalments.map { instalment in
            let share = min(left, instalment.amount)
            left -= share
            return share
        }
    }

    /// The stage key a slot is recorded under.
    public static func slotStage(offsetDays: Int) -> String {
        "plan" + (offsetDays < 0 ? "" : "+") + String(offsetDays)
    }

    /// Every reminder slot of the instalments not yet paid in full, in the order of their days.
    public static func reminderSlots(
        _ instalments: [Instalment], ids: [Int64], paid: [Int64], offsets: [Int]
    ) -> [InstalmentSlot] {
        var slots: [InstalmentSlot] = []
        for (index, instalment) in instalments.enumerated() where paid[index] < instalment.amount {
            for offset in offsets.sorted() {
                slots.append(
                    InstalmentSlot(
                        index: index, offsetDays: offset, day: instalment.dueOn.adding(days: offset),
                        key: SlotKey(stage: slotStage(offsetDays: offset), occurrence: Int(ids[index]))))
            }
        }
        return slots.sorted { ($0.day, $0.index) < ($1.day, $1.index) }
    }

    /// The slot due `today`: the latest whose day has come, unless it or a later one was sent. As with
    /// the invoice's stages, missed slots are not sent as a backlog.
    public static func dueSlot(_ slots: [InstalmentSlot], today: CalendarDate, sent: Set<SlotKey>) -> InstalmentSlot? {
        guard let latest = slots.lastIndex(where: { $0.day <= today }) else { return nil }
        if slots[latest...].contains(where: { sent.contains($0.key) }) { return nil }
        return slots[latest]
    }

    /// The first day after `today` with a slot later than any sent.
    public static func nextSlotDay(_ slots: [InstalmentSlot], today: CalendarDate, sent: Set<SlotKey>) -> CalendarDate?
    {
        let afterSent = (slots.lastIndex { sent.contains($0.key) }).map { $0 + 1 } ?? 0
        return slots[afterSent...].first { $0.day > today }?.day
    }

    /// The first instalment still unpaid `graceDays` after its date, which breaks the plan.
    public static func missedInstalment(
        _ instalments: [Instalment], paid: [Int64], today: CalendarDate, graceDays: Int
    ) -> Int? {
        instalments.indices.first {
            paid[$0] < instalments[$0].amount && instalments[$0].dueOn.adding(days: graceDays) <= today
        }
    }
}

/// Amounts as a person types them into a form: `33,33`, `33.33`, `1 234,56 €`, `1,234.56`.
public enum TypedAmount {
    /// The longest text read as an amount, in UTF-8 bytes.
    public static let maximumLength = 64

    /// Minor units, or nil when the text is not an amount in `currency` (too many decimals, letters,
    /// several signs, beyond the largest amount Relance accepts).
    public static func parse(_ text: String, currency: Currency) -> Int64? {
        // Nothing a person types as an amount is longer; a bound first keeps the work below small.
        guard text.utf8.count <= maximumLength else { return nil }
        var digits: [UInt8] = []
        var separators: [(position: Int, byte: UInt8)] = []
        // A currency code typed with the number ("12 EUR") is fine; any other letter is not an amount.
        let lettered = text.utf8.contains { ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 }
        let cleaned = lettered ? text.uppercased().replacingOccurrences(of: currency.code, with: "") : text
        for scalar in cleaned.unicodeScalars {
            switch scalar {
            case "0"..."9": digits.append(UInt8(scalar.value - 48))
            case ",", ".": separators.append((digits.count, UInt8(scalar.value)))
            case " ", "\u{00A0}", "\u{202F}", "'", "€", "$", "£", "¥": continue
            default:
                if scalar.properties.isWhitespace { continue }
                return nil
            }
        }
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        // The last separator is the decimal mark when at most the currency's decimals follow it, and the
        // others group thousands with the other sign; three digits after it make it a thousands separator
        // (`1,234` in euros is one thousand two hundred and thirty-four).
        var decimals = 0
        if let last = separators.last {
            let after = digits.count - last.position
            let others = separators.dropLast()
            if after >= 1 && after <= currency.exponent {
                guard others.allSatisfy({ $0.byte != last.byte }) else { return nil }
                decimals = after
            } else if after == 3 {
                guard others.allSatisfy({ $0.byte == last.byte }) else { return nil }
            } else {
                return nil
            }
        }
        var value: Int64 = 0
        for digit in digits {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times.addingReportingOverflow(Int64(digit))
            guard !overflow, !carried else { return nil }
            value = sum
        }
        for _ in decimals..<currency.exponent {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = times
        }
        guard value <= Money.maximumMinorUnits else { return nil }
        return value
    }
}
