import Foundation

/// The business's rules for plans, kept in the `plan_settings` table.
public struct PlanSettings: Sendable, Equatable {
    public var limits: PlanLimits
    /// Proposals within these are accepted at once; off unless the business turns it on.
    public var autoAccept: Bool
    public var autoAcceptMaximumInstalments: Int
    public var autoAcceptMaximumSpanDays: Int
    /// Days from each instalment's date on which it is reminded.
    public var reminderOffsets: [Int]
    /// An instalment unpaid this many days after its date breaks the plan.
    public var breakAfterDays: Int
    /// The business's own words for "we usually answer within…", by language; absent ones use Relance's.
    public var replyTime: [Language: String]

    public init(
        limits: PlanLimits = PlanLimits(), autoAccept: Bool = false, autoAcceptMaximumInstalments: Int = 3,
        autoAcceptMaximumSpanDays: Int = 90, reminderOffsets: [Int] = [-3, 0, 3], breakAfterDays: Int = 10,
        replyTime: [Language: String] = [:]
    ) {
        self.limits = limits
        self.autoAccept = autoAccept
        self.autoAcceptMaximumInstalments = autoAcceptMaximumInstalments
        self.autoAcceptMaximumSpanDays = autoAcceptMaximumSpanDays
        self.reminderOffsets = reminderOffsets
        self.breakAfterDays = breakAfterDays
        self.replyTime = replyTime
    }

    /// Whether a proposal (already within the limits) may be accepted without the business looking.
    public func acceptsAtOnce(_ schedule: [Instalment], today: CalendarDate) -> Bool {
        guard autoAccept, let last = schedule.last else { return false }
        return schedule.count <= autoAcceptMaximumInstalments
            && last.dueOn <= today.adding(days: autoAcceptMaximumSpanDays)
    }
}

extension PlanSettings {
    /// What each setting may be, for every surface that edits them (the API, the dashboard).
    public enum Bounds {
        public static let instalments = 2...60
        public static let spanDays = 7...1095
        public static let minimumInstalment: ClosedRange<Int64> = 0...Money.maximumMinorUnits
        public static let breakAfterDays = 1...90
        /// Reminder days around an instalment's date: at most six different ones.
        public static let reminderOffset = -30...30
        public static let reminderOffsets = 6
        /// The business's "we usually answer within…", in characters.
        public static let replyTime = 200
    }

    /// Whether `offsets` (days around an instalment's date) may remind a plan: few, different, near.
    public static func validReminderOffsets(_ offsets: [Int]) -> Bool {
        offsets.count <= Bounds.reminderOffsets && Set(offsets).count == offsets.count
            && offsets.allSatisfy(Bounds.reminderOffset.contains)
    }

    /// Every reminder of an instalment comes before the day its lateness breaks the plan.
    public static func remindersComeBeforeBreak(_ offsets: [Int], breakAfterDays: Int) -> Bool {
        offsets.allSatisfy { $0 < breakAfterDays }
    }
}
