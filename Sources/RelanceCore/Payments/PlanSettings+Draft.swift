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
        public var autoAcceptMaximumInstalments: Int?
        public var autoAcceptMaximumSpanDays: Int?
        public var breakAfterDays: Int?
        public var reminderOffsets: [Int]?
        /// By language code as typed (`fr`, `en`); an empty text goes back to Relance's words.
        public var replyTime: [String: String]?

        public init(
            maximumInstalments: Int? = nil, maximumSpanDays: Int? = nil, minimumInstalment: Int64? = nil,
            autoAccept: Bool? = nil, autoAcceptMaximumInstalments: Int? = nil, autoAcceptMaximumSpanDays: Int? = nil,
            breakAfterDays: Int? = nil, reminderOffsets: [Int]? = nil, replyTime: [String: String]? = nil
        ) {
            self.maximumInstalments = maximumInstalments
            self.maximumSpanDays = maximumSpanDays
            self.minimumInstalment = minimumInstalment
            self.autoAccept = autoAccept
            self.autoAcceptMaximumInstalments = autoAcceptMaximumInstalments
            self.autoAcceptMaximumSpanDays = autoAcceptMaximumSpanDays
            self.breakAfterDays = breakAfterDays
            self.reminderOffsets = reminderOffsets
            self.replyTime = replyTime
        }
    }

    /// What is wrong with a draft, whatever the language it is told in.
    public enum Problem: Sendable, Equatable {
        case maximumInstalments, maximumSpanDays, minimumInstalment
        case autoAcceptMaximumInstalments, autoAcceptMaximumSpanDays
        /// Outside `Bounds.breakAfterDays`.
        case breakAfterDays
        /// The reminder days already stored would come on or after the new break day (the draft did not
        /// change them).
        case breakBeforeStoredReminders
        /// More than `Bounds.reminderOffsets` days, a day twice, or a day outside `Bounds.reminderOffset`.
        case reminderOffsets
        /// A reminder day on or after the day the plan breaks.
        case remindersAfterBreak
        /// A reply-time text for a language Relance does not speak (the key as given).
        case replyTimeLanguage(String)
        case replyTimeTooLong(Language)
        case replyTimeControlCharacters(Language)

        public var isReplyTime: Bool {
            switch self {
            case .replyTimeLanguage, .replyTimeTooLong, .replyTimeControlCharacters: true
            default: false
            }
        }
    }

    /// These settings with the draft's fields applied, and what was wrong (a wrong field is not applied).
    /// With `requireAll`, the limits and the break day must be given (the dashboard's form always sends
    /// them); the other fields keep their value when left out.
    public func applying(_ draft: Draft, requireAll: Bool = false) -> (PlanSettings, [Problem]) {
        var plans = self
        var problems: [Problem] = []
        func apply<T>(
            _ value: T?, _ bounds: ClosedRange<T>, _ problem: Problem, required: Bool = requireAll, _ set: (T) -> Void
        ) {
            guard let value else {
                if required { problems.append(problem) }
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
        apply(
            draft.autoAcceptMaximumInstalments, Bounds.instalments, .autoAcceptMaximumInstalments, required: false
        ) { plans.autoAcceptMaximumInstalments = $0 }
        apply(draft.autoAcceptMaximumSpanDays, Bounds.spanDays, .autoAcceptMaximumSpanDays, required: false) {
            plans.autoAcceptMaximumSpanDays = $0
        }
        var breakDay = plans.breakAfterDays
        apply(draft.breakAfterDays, Bounds.breakAfterDays, .breakAfterDays) { breakDay = $0 }
        if let offsets = draft.reminderOffsets {
            if !PlanSettings.validReminderOffsets(offsets) {
                problems.append(.reminderOffsets)
            } else if !PlanSettings.remindersComeBeforeBreak(offsets, breakAfterDays: breakDay) {
                problems.append(.remindersAfterBreak)
            } else {
                plans.reminderOffsets = offsets.sorted()
            }
        }
        if PlanSettings.remindersComeBeforeBreak(plans.reminderOffsets, breakAfterDays: breakDay) {
            plans.breakAfterDays = breakDay
        } else if draft.reminderOffsets == nil {
            problems.append(.breakBeforeStoredReminders)
        }
        for (code, text) in (draft.replyTime ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let language = Language(rawValue: code) else {
                problems.append(.replyTimeLanguage(code))
                continue
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.unicodeScalars.count > Bounds.replyTime {
                problems.append(.replyTimeTooLong(language))
            } else if PlainText.hasControlCharacters(trimmed) {
                problems.append(.replyTimeControlCharacters(language))
            } else {
                plans.replyTime[language] = trimmed.isEmpty ? nil : trimmed
            }
        }
        return (plans, problems)
    }
}
