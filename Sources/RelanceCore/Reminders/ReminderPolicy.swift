import Foundation

/// The channels a reminder can go out on.
public enum Channel: String, Sendable, Codable, CaseIterable {
    case sms, email
}

/// One step of the reminder policy, placed relative to the due date.
public struct ReminderStage: Equatable, Sendable, Codable {
    /// A stable name (`courtesy`, `due`, `late`, `final`, or one the business adds).
    public var key: String
    /// Days after the due date (negative: before).
    public var offsetDays: Int
    /// Send again every N days until the next stage's day, when set (a courtesy reminder may repeat).
    public var repeatEveryDays: Int?
    public var enabled: Bool
    public var channels: [Channel]

    public init(key: String, offsetDays: Int, repeatEveryDays: Int? = nil, enabled: Bool = true, channels: [Channel]) {
        self.key = key
        self.offsetDays = offsetDays
        self.repeatEveryDays = repeatEveryDays
        self.enabled = enabled
        self.channels = channels
    }
}

/// The ordered stages, checked to make sense together.
public struct ReminderPolicy: Equatable, Sendable, Codable {
    public var stages: [ReminderStage]

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case badKey(String)
        case duplicateKey(String)
        case notIncreasing(String)
        case offsetOutOfRange(String)
        case badRepeat(String)
        case noChannel(String)
        case duplicateChannel(String)

        public var description: String {
            switch self {
            case .empty: "a policy needs at least one stage"
            case .badKey(let key): "stage key '\(key)' must be 1 to 32 lowercase letters, digits or _"
            case .duplicateKey(let key): "stage '\(key)' appears twice"
            case .notIncreasing(let key): "stage '\(key)' must come after the previous stage (offsets increase)"
            case .offsetOutOfRange(let key): "stage '\(key)' must be within 365 days of the due date"
            case .badRepeat(let key): "stage '\(key)' repeat_every_days must be 1 to 90"
            case .noChannel(let key): "stage '\(key)' needs at least one channel"
            case .duplicateChannel(let key): "stage '\(key)' lists a channel twice"
            }
        }
    }

    public init(stages: [ReminderStage]) throws(Problem) {
        guard !stages.isEmpty else { throw .empty }
        var keys: Set<String> = []
        var previous: Int?
        for stage in stages {
            let validKey =
                (1...32).contains(stage.key.count)
                && stage.key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
            guard validKey else { throw .badKey(stage.key) }
            guard keys.insert(stage.key).inserted else { throw .duplicateKey(stage.key) }
            guard (-365...365).contains(stage.offsetDays) else { throw .offsetOutOfRange(stage.key) }
            if let previous, stage.offsetDays <= previous { throw .notIncreasing(stage.key) }
            if let every = stage.repeatEveryDays, !(1...90).contains(every) { throw .badRepeat(stage.key) }
            guard !stage.channels.isEmpty else { throw .noChannel(stage.key) }
            guard Set(stage.channels).count == stage.channels.count else { throw .duplicateChannel(stage.key) }
            previous = stage.offsetDays
        }
        self.stages = stages
    }

    /// The guide's four stages: courtesy a week before, on the due date, a week late, and a final notice
    /// a month late, the last one by email as well.
    public static let standard: ReminderPolicy = {
        // The literal is valid; a failure here is a programming error caught by the tests.
        (try? ReminderPolicy(stages: [
            ReminderStage(key: "courtesy", offsetDays: -7, repeatEveryDays: nil, channels: [.sms]),
            ReminderStage(key: "due", offsetDays: 0, channels: [.sms]),
            ReminderStage(key: "late", offsetDays: 7, channels: [.sms]),
            ReminderStage(key: "final", offsetDays: 30, channels: [.sms, .email]),
        ])) ?? ReminderPolicy(unchecked: [])
    }()

    init(unchecked stages: [ReminderStage]) { self.stages = stages }
}
