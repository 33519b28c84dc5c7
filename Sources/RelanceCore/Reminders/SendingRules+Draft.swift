import Foundation

extension SendingRules {
    /// Sending rules as a form or a request gives them: a field left nil keeps its value, unless every
    /// field is required (the dashboard's form always sends them all).
    public struct Draft: Sendable, Equatable {
        public var windowStartHour: Int?
        public var windowEndHour: Int?
        public var weekdays: [Int]?
        /// Each date as typed, `YYYY-MM-DD`.
        public var holidays: [String]?
        public var smsIntervalHours: Int?

        public init(
            windowStartHour: Int? = nil, windowEndHour: Int? = nil, weekdays: [Int]? = nil, holidays: [String]? = nil,
            smsIntervalHours: Int? = nil
        ) {
            self.windowStartHour = windowStartHour
            self.windowEndHour = windowEndHour
            self.weekdays = weekdays
            self.holidays = holidays
            self.smsIntervalHours = smsIntervalHours
        }
    }

    /// What is wrong with a draft, whatever the language it is told in.
    public enum Problem: Sendable, Equatable {
        case windowStart, windowEnd
        /// The window would close before it opens.
        case windowOrder
        case weekdays
        /// An entry that is not a date, as typed.
        case holiday(String)
        case holidayCount
        case frequencyCap
    }

    /// These rules with the draft's fields applied, and what was wrong with them (nothing is applied
    /// for a field that is wrong).
    public func applying(_ draft: Draft, requireAll: Bool = false) -> (SendingRules, [Problem]) {
        var rules = self
        var problems: [Problem] = []
        let start = draft.windowStartHour ?? (requireAll ? nil : windowStartHour)
        let end = draft.windowEndHour ?? (requireAll ? nil : windowEndHour)
        if let start, Bounds.windowStartHour.contains(start) {
            rules.windowStartHour = start
        } else {
            problems.append(.windowStart)
        }
        if let end, Bounds.windowEndHour.contains(end) {
            rules.windowEndHour = end
        } else {
            problems.append(.windowEnd)
        }
        if problems.isEmpty, !SendingRules.windowIsOrdered(start: rules.windowStartHour, end: rules.windowEndHour) {
            problems.append(.windowOrder)
        }
        if let weekdays = draft.weekdays ?? (requireAll ? [] : nil) {
            if weekdays.isEmpty || !weekdays.allSatisfy(Bounds.weekday.contains) {
                problems.append(.weekdays)
            } else {
                rules.weekdays = Set(weekdays)
            }
        }
        if let typed = draft.holidays {
            var days: Set<CalendarDate> = []
            for entry in typed {
                if let day = CalendarDate(iso: entry) { days.insert(day) } else { problems.append(.holiday(entry)) }
            }
            if typed.count > Bounds.holidays { problems.append(.holidayCount) }
            rules.holidays = days
        }
        if let hours = draft.smsIntervalHours ?? (requireAll ? nil : Int(smsMinimumInterval / 3600)) {
            if Bounds.smsIntervalHours.contains(hours) {
                rules.smsMinimumInterval = TimeInterval(hours) * 3600
            } else {
                problems.append(.frequencyCap)
            }
        } else {
            problems.append(.frequencyCap)
        }
        return (rules, problems)
    }
}
