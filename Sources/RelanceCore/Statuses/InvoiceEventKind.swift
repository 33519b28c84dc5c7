/// A line of an invoice's own history, `invoice_event.kind`, besides its messages and payments: every
/// kind Relance writes, and all the column takes (a trigger refuses the rest).
public enum InvoiceEventKind: String, Sendable, Codable, CaseIterable {
    case requestCreated = "request.created"
    case requestReplaced = "request.replaced"
    case requestAccepted = "request.accepted"
    case requestDeclined = "request.declined"
    case requestAnswered = "request.answered"
    case planStarted = "plan.started"
    case planCompleted = "plan.completed"
    case planBroken = "plan.broken"
    case planCancelled = "plan.cancelled"
    case remindersPaused = "reminders.paused"
    case remindersResumed = "reminders.resumed"

    /// The line that records a plan ending with `status`; nil for `active`, which is no end.
    public init?(planEnded status: PlanStatus) {
        switch status {
        case .active: return nil
        case .completed: self = .planCompleted
        case .broken: self = .planBroken
        case .cancelled: self = .planCancelled
        }
    }
}
