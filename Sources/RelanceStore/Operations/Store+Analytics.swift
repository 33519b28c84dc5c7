import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// How one group of reminders did: from sent to paid.
public struct ReminderOutcome: Sendable, Equatable {
    public var stage: String
    public var channel: String
    /// The template variant (`A`, `B`…), or "" where the stage has one wording.
    public var variant: String
    /// Handed to the provider (sent, delivered, or unknown after a crash).
    public var sent: Int
    public var delivered: Int
    /// Messages whose link a person opened at least once (link previews do not count).
    public var clicked: Int
    /// Messages whose invoice was paid in full within 7 days.
    public var paidWithin7Days: Int
    /// Median hours from the message to the payment that settled its invoice, over messages followed by one.
    public var medianHoursToPayment: Double?
}

/// A proportion with its Wilson 95% interval, which stays sensible for small counts and for 0 or 100%.
public struct Rate: Sendable, Equatable {
    public var successes: Int
    public var trials: Int

    public init(_ successes: Int, of trials: Int) {
        self.successes = successes
        self.trials = trials
    }

    public var value: Double? { trials > 0 ? Double(successes) / Double(trials) : nil }

    public var interval: (low: Double, high: Double)? {
        guard trials > 0 else { return nil }
        let n = Double(trials)
        let p = Double(successes) / n
        let z = 1.959_963_984_540_054
        let z2 = z * z
        let center = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / (1 + z2 / n)
        return (max(0, center - half), min(1, center + half))
    }

    /// Below this many trials a rate is shown but not compared.
    public static let enoughTrials = 30
    public var isEnough: Bool { trials >= Rate.enoughTrials }

    public static func == (lhs: Rate, rhs: Rate) -> Bool {
        lhs.successes == rhs.successes && lhs.trials == rhs.trials
    }
}

extension Store {
    /// Every reminder sent since `since`, grouped by stage, channel and variant, in the policy's order.
    public func reminderOutcomes(since: Date) async throws -> [ReminderOutcome] {
        try await pool.read { db in
            let rows = try SentReminder.fetchAll(
                db,
                sql: """
                    SELECT m.id, m.stage, m.channel, COALESCE(m.variant, '') AS variant, m.status, m.created_at,
                        EXISTS (SELECT 1 FROM link l JOIN click k ON k.link_id = l.id
                            WHERE l.message_id = m.id AND k.agent = ?) AS clicked,
                        (SELECT MIN(i.paid_at) FROM invoice i
                            WHERE i.id = m.invoice_id OR i.id IN (SELECT invoice_id FROM reminder WHERE message_id = m.id))
                            AS paid_at
                    FROM message m
                    WHERE m.kind = ? AND m.created_at >= ? AND m.status IN (?, ?, ?)
                    """,
                arguments: [
                    UserAgentClass.person, MessageKind.reminder, since, MessageStatus.sent, MessageStatus.delivered,
                    MessageStatus.unknown,
                ])
            struct Key: Hashable {
                var stage: String
                var channel: String
                var variant: String
            }
            var groups: [Key: (outcome: ReminderOutcome, hours: [Double])] = [:]
            for row in rows {
                let key = Key(stage: row.stage ?? "", channel: row.channel.rawValue, variant: row.variant)
                var entry =
                    groups[key]
                    ?? (
                        ReminderOutcome(
                            stage: key.stage, channel: key.channel, variant: key.variant, sent: 0, delivered: 0,
                            clicked: 0, paidWithin7Days: 0, medianHoursToPayment: nil), []
                    )
                entry.outcome.sent += 1
                if row.status == .delivered { entry.outcome.delivered += 1 }
                if row.clicked { entry.outcome.clicked += 1 }
                if let paid = row.paidAt {
                    let sent = row.createdAt
                    let hours = paid.timeIntervalSince(sent) / 3600
                    if hours >= 0 {
                        entry.hours.append(hours)
                        if hours <= 7 * 24 { entry.outcome.paidWithin7Days += 1 }
                    }
                }
                groups[key] = entry
            }
            let order = try Store.policy(db).stages.map(\.key)
            return groups.values.map { entry in
                var outcome = entry.outcome
                outcome.medianHoursToPayment = Store.median(entry.hours)
                return outcome
            }.sorted {
                let left = order.firstIndex(of: $0.stage) ?? order.count
                let right = order.firstIndex(of: $1.stage) ?? order.count
                return (left, $0.stage, $0.channel, $0.variant) < (right, $1.stage, $1.channel, $1.variant)
            }
        }
    }

    /// A row of `reminderOutcomes`'s SELECT: one reminder that left, whether a person opened its link,
    /// and when its invoice was paid.
    struct SentReminder: Decodable, FetchableRecord, SnakeCaseColumns {
        var id: Int64
        var stage: String?
        var channel: Channel
        /// "" where the stage had one wording.
        var variant: String
        var status: MessageStatus
        var createdAt: Date
        var clicked: Bool
        var paidAt: Date?

    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
