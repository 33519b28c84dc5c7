/// Where a payment plan stands, `plan.status`: only an active plan has no end.
public enum PlanStatus: String, Sendable, Codable, CaseIterable {
    case active
    /// Paid in full.
    case completed
    /// An instalment came too late: the invoice's own reminders take over again.
    case broken
    /// Replaced by a new plan, or the invoice was cancelled.
    case cancelled
}
