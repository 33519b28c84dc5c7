import Foundation

/// When messages may reach a customer: a daily window on some weekdays, never on listed holidays,
/// and not more often than a cap per channel.
public struct SendingRules: Equatable, Sendable {
    /// Local hour the window opens (inclusive) and closes (exclusive), 0–24.
    public var windowStartHour: Int
    public var windowEndHour: Int
    /// ISO weekdays (Monday 1 … Sunday 7) on which messages may go out.
    public var weekdays: Set<Int>
    public var holidays: Set<CalendarDate>
    /// At most one SMS to the same customer within this many seconds.
    public var smsMinimumInterval: TimeInterval

    public init(
        windowStartHour: Int = 9, windowEndHour: Int = 19, weekdays: Set<Int> = [1, 2, 3, 4, 5, 6],
        holidays: Set<CalendarDate> = [], smsMinimumInterval: TimeInterval = 3 * 86_400
    ) {
        self.windowStartHour = windowStartHour
        self.windowEndHour = windowEndHour
        self.weekdays = weekdays
        self.holidays = holidays
        self.smsMinimumInterval = smsMinimumInterval
    }

    public static let standard = SendingRules()

    /// What each rule may be, for every surface that edits them (the API, the dashboard).
    public enum Bounds {
        public static let windowStartHour = 0...23
        public static let windowEndHour = 1...24
        public static let weekday = 1...7
        public static let holidays = 400
        /// The SMS frequency cap, in hours: up to 90 days.
        public static let smsIntervalHours = 0...2160
    }

    /// Whether the window opens before it closes (both hours already within bounds).
    public static func windowIsOrdered(start: Int, end: Int) -> Bool { start < end }

    /// The first instant at or after `instant` inside the sending window, in `timeZone`'s local time.
    /// Found by walking local days, so daylight-saving changes shift nothing: 09:00 stays 09:00.
    public func nextOpening(atOrAfter instant: Date, in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var day = CalendarDate(instant: instant, timeZone: timeZone)
        for _ in 0..<400 {
            if weekdays.contains(day.isoWeekday), !holidays.contains(day) {
                let (year, month, date) = day.components
                let opens = calendar.date(
                    from: DateComponents(year: year, month: month, day: date, hour: windowStartHour))
                let closes = calendar.date(
                    from: DateComponents(year: year, month: month, day: date, hour: windowEndHour))
                if let opens, let closes, instant < closes {
                    return max(opens, instant)
                }
            }
            day = day.adding(days: 1)
        }
        return instant  // no allowed day within a year: misconfigured rules; send rather than never
    }
}

/// A reminder to send: which stage, which repetition of it.
public struct PlannedReminder: Equatable, Sendable {
    public var stage: ReminderStage
    /// 1 for the stage's first message, 2… for its repeats.
    public var occurrence: Int
    /// The local day this reminder belongs to.
    public var day: CalendarDate

    public init(stage: ReminderStage, occurrence: Int, day: CalendarDate) {
        self.stage = stage
        self.occurrence = occurrence
        self.day = day
    }
}

/// Decides which reminder an invoice needs, and when to look at it again. Pure: the scheduler feeds it
/// the invoice, what was already sent and the time.
public enum ReminderPlanner {
    /// Every reminder slot of the policy for a due date, in order: each enabled stage's day and, for a
    /// repeating stage, its repeats before the next stage's day.
    public static func slots(policy: ReminderPolicy, dueOn: CalendarDate) -> [PlannedReminder] {
        var slots: [PlannedReminder] = []
        let enabled = policy.stages.filter(\.enabled)
        for (index, stage) in enabled.enumerated() {
            let first = dueOn.adding(days: stage.offsetDays)
            slots.append(PlannedReminder(stage: stage, occurrence: 1, day: first))
            if let every = stage.repeatEveryDays {
                let limit = index + 1 < enabled.count ? dueOn.adding(days: enabled[index + 1].offsetDays) : first
                var occurrence = 2
                var day = first.adding(days: every)
                while day < limit {
                    slots.append(PlannedReminder(stage: stage, occurrence: occurrence, day: day))
                    occurrence += 1
                    day = day.adding(days: every)
                }
            }
        }
        return slots
    }

    /// The reminder due `today`: the latest slot whose day has come, unless it or a later one was sent.
    /// Earlier slots that were missed are skipped — an invoice imported late gets the stage that applies
    /// now, not a backlog.
    public static func due(
        policy: ReminderPolicy, dueOn: CalendarDate, today: CalendarDate, sent: Set<SlotKey>
    ) -> PlannedReminder? {
        let all = slots(policy: policy, dueOn: dueOn)
        guard let latestIndex = all.lastIndex(where: { $0.day <= today }) else { return nil }
        if all[latestIndex...].contains(where: { sent.contains(SlotKey($0)) }) { return nil }
        return all[latestIndex]
    }

    /// The first local day after `today` of a slot later than any already sent, if any.
    public static func nextSlotDay(
        policy: ReminderPolicy, dueOn: CalendarDate, today: CalendarDate, sent: Set<SlotKey>
    ) -> CalendarDate? {
        let all = slots(policy: policy, dueOn: dueOn)
        let afterSent = (all.lastIndex { sent.contains(SlotKey($0)) }).map { $0 + 1 } ?? 0
        return all[afterSent...].first { $0.day > today }?.day
    }

    /// When the scheduler should look at the invoice next: now if a reminder is due (pushed to the next
    /// sending window), else the opening of the window on the next slot's day; nil when nothing is left.
    public static func nextAction(
        policy: ReminderPolicy, dueOn: CalendarDate, sent: Set<SlotKey>, now: Date, timeZone: TimeZone,
        rules: SendingRules, notBefore: Date? = nil
    ) -> Date? {
        let today = CalendarDate(instant: now, timeZone: timeZone)
        let earliest = max(now, notBefore ?? now)
        if due(policy: policy, dueOn: dueOn, today: today, sent: sent) != nil {
            return rules.nextOpening(atOrAfter: earliest, in: timeZone)
        }
        guard let day = nextSlotDay(policy: policy, dueOn: dueOn, today: today, sent: sent) else { return nil }
        return rules.nextOpening(atOrAfter: max(day.startInstant(in: timeZone), earliest), in: timeZone)
    }
}

/// Identifies one reminder slot of an invoice: stage and repetition.
public struct SlotKey: Hashable, Sendable {
    public var stage: String
    public var occurrence: Int

    public init(stage: String, occurrence: Int) {
        self.stage = stage
        self.occurrence = occurrence
    }

    public init(_ planned: PlannedReminder) { self.init(stage: planned.stage.key, occurrence: planned.occurrence) }
}
