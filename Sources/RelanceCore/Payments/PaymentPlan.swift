/// How often instalments of a payment plan fall due.
public enum PlanFrequency: String, Sendable, Codable, CaseIterable {
    case weekly, biweekly, monthly
}

/// One dated amount of a payment plan.
public struct Instalment: Equatable, Sendable {
    public var dueOn: CalendarDate
    public var amount: Int64

    public init(dueOn: CalendarDate, amount: Int64) {
        self.dueOn = dueOn
        self.amount = amount
    }
}

/// What a business accepts in a plan a customer proposes.
public struct PlanLimits: Equatable, Sendable {
    public var maximumInstalments: Int
    /// Days from today to the last instalment.
    public var maximumSpanDays: Int
    /// In minor units of the invoice's currency.
    public var minimumInstalment: Int64

    public init(maximumInstalments: Int = 12, maximumSpanDays: Int = 365, minimumInstalment: Int64 = 1_000) {
        self.maximumInstalments = maximumInstalments
        self.maximumSpanDays = maximumSpanDays
        self.minimumInstalment = minimumInstalment
    }
}

/// Why a proposed plan cannot be taken as it is; each says what to change.
public enum PlanProblem: Equatable, Sendable {
    case tooFewInstalments
    case tooManyInstalments(maximum: Int)
    case amountsDoNotAddUp(total: Int64, balance: Int64)
    case notPositive(index: Int)
    case belowMinimum(index: Int, minimum: Int64)
    case firstDateInPast
    case datesNotIncreasing(index: Int)
    case beyondMaximumSpan(lastAllowed: CalendarDate)
}

/// Payment plans: the schedule a customer sees before proposing, and the rules a proposal must meet.
public enum PaymentPlan {
    /// `count` instalments of the balance from `firstDate` on, equal but for the rounding, which the
    /// last one takes (12 345 in 3: 4 115, 4 115, 4 115 — and 100,00 in 3: 33,33, 33,33, 33,34).
    public static func schedule(balance: Int64, count: Int, frequency: PlanFrequency, firstDate: CalendarDate)
        -> [Instalment]
    {
        guard count > 0, balance > 0 else { return [] }
        let base = balance / Int64(count)
        return (0..<count).map { index in
            Instalment(
                dueOn: date(firstDate, frequency, index),
                amount: index == count - 1 ? balance - base * Int64(count - 1) : base)
        }
    }

    /// The date of instalment `index` (0 for the first). Monthly plans keep the day of the month where
    /// the month has it, else its last day (31 January, 28 February, 31 March…).
    static func date(_ first: CalendarDate, _ frequency: PlanFrequency, _ index: Int) -> CalendarDate {
        switch frequency {
        case .weekly: return first.adding(days: 7 * index)
        case .biweekly: return first.adding(days: 14 * index)
        case .monthly:
            let (year, month, day) = first.components
            let months = (month - 1) + index
            let targetYear = year + months / 12
            let targetMonth = months % 12 + 1
            let lastDay = CalendarDate.daysIn(month: targetMonth, year: targetYear)
            return CalendarDate(year: targetYear, month: targetMonth, day: min(day, lastDay)) ?? first
        }
    }

    /// Every problem with a proposal, in the order a form would show them; empty when acceptable.
    public static func problems(
        _ instalments: [Instalment], balance: Int64, today: CalendarDate, limits: PlanLimits
    ) -> [PlanProblem] {
        var problems: [PlanProblem] = []
        if instalments.count < 2 { problems.append(.tooFewInstalments) }
        if instalments.count > limits.maximumInstalments {
            problems.append(.tooManyInstalments(maximum: limits.maximumInstalments))
            return problems  // listing a thousand amounts' problems helps nobody
        }
        var total: Int64 = 0
        for (index, instalment) in instalments.enumerated() {
            if instalment.amount <= 0 {
                problems.append(.notPositive(index: index))
            } else if instalment.amount < limits.minimumInstalment && instalment.amount < balance {
                problems.append(.belowMinimum(index: index, minimum: limits.minimumInstalment))
            }
            let (sum, overflow) = total.addingReportingOverflow(max(instalment.amount, 0))
            total = overflow ? Int64.max : sum
            if index > 0 && instalment.dueOn <= instalments[index - 1].dueOn {
                problems.append(.datesNotIncreasing(index: index))
            }
        }
        if total != balance { problems.append(.amountsDoNotAddUp(total: total, balance: balance)) }
        if let first = instalments.first, first.dueOn < today { problems.append(.firstDateInPast) }
        let lastAllowed = today.adding(days: limits.maximumSpanDays)
        if let last = instalments.last, last.dueOn > lastAllowed {
            problems.append(.beyondMaximumSpan(lastAllowed: lastAllowed))
        }
        return problems
    }
}
