import Foundation

extension PlanSettings {
    /// Plan settings as a form or a request gives them: a field left nil keeps its value, unless every
    /// field is required (the dashboard's form always sends them all).
    public struct Draft: Sendable, Equatable {
        public var maximumInstalments: Int?
        public var maximumSpanDays: Int?
        /// In minor units.
        public var minimumInstalment: Int64?
        public var autoAccept: Bool?
        public var breakAfterDays: Int?

        public init(
            maximumInstalments: Int? = nil, maximumSpanDays: Int? = nil, minimumInstalment: Int64? = nil,
            autoAccept: Bool? = nil, breakAfterDays: Int? = nil
        ) {
            self.maximumInstalments = maximumInstalments
            self.maximumSpanDays = maximumSpanDays
            self.minimumInstalment = minimumInstalment
            self.autoAccept = autoAccept
            self.breakAfterDays = breakAfterDays
        }
    }

    /// What is wrong with a draft, whatever the language it is told in.
    public enum Problem: Sendable, Equatable {
        case maximumInstalments, maximumSpanDays, minimumInstalment
        /// Out of bounds, or some reminder of an instalment would come after the plan breaks.
        case breakAfterDays
    }

    /// These settings with the draft's fields applied, and what was wrong (a wrong field is not applied).
    public func applying(_ draft: Draft, requireAll: Bool = false) -> (PlanSettings, [Problem]) {
        var plans = self
        var problems: [Problem] = []
        func apply<T>(_ value: T?, _ bounds: ClosedRange<T>, _ problem: Problem, _ set: (T) -> Void) {
            guard let value else {
                if requireAll { problems.append(problem) }
                return
            }
            if bounds.contains(value) { set(value) } else { problems.append(problem) }
        }
        apply(draft.maximumInstalments, Bounds.instalments, .maximumInstalments) {
            plans.limits.maximumInstalments = $0
        }
        apply(draft.maximumSpanDays, Bounds.spanDays, .maximumSpanDays) { plans.limits.maximumSpanDays = $0 }
        apply(draft.minimumInstalment, Bounds.minimumInstalment, .minimumInstalment) {
            plans.limits.minimumInstalment = $0
        }
        if let autoAccept = draft.autoAccept { plans.autoAccept = autoAccept }
        apply(draft.breakAfterDays, Bounds.breakAfterDays, .breakAfterDays) { days in
            if PlanSettings.remindersComeBeforeBreak(plans.reminderOffsets, breakAfterDays: days) {
                plans.breakAfterDays = days
            } else {
                problems.append(.breakAfterDays)
            }
        }
        return (plans, problems)
    }
}
