import Foundation
import Metrics

/// What an operator watches, through swift-metrics (exposed at `/metrics` by `relance serve`). Each
/// function names one fact; without a metrics backend they cost next to nothing.
public enum OperationalMetrics {
    /// A message handed to a provider, and what came of it: `sent`, `retry`, `failed` or `unknown`.
    public static func message(channel: String, provider: String, outcome: String) {
        Counter(
            label: "relance_messages_total",
            dimensions: [("channel", channel), ("provider", provider), ("outcome", outcome)]
        ).increment()
    }

    /// One webhook attempt: `delivered`, `retry` or `refused` (a destination that is not allowed).
    public static func webhookAttempt(outcome: String) {
        Counter(label: "relance_webhook_attempts_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// How long one scheduler tick took.
    public static func tick(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Timer(label: "relance_scheduler_tick_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(
            seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A database error that reached a request or a background loop (`where`: api, page, scheduler,
    /// dispatcher, webhooks).
    public static func databaseError(where place: String) {
        Counter(label: "relance_database_errors_total", dimensions: [("where", place)]).increment()
    }

    /// Memory SQLite holds (page caches, statements) in this process, to tell it from the rest of the
    /// resident size.
    public static func sqliteMemory(_ bytes: Int64) {
        Gauge(label: "relance_sqlite_memory_bytes").record(bytes)
    }

    /// Messages waiting in the outbox, and how long the oldest has waited.
    public static func outbox(queued: Int, oldestAge: TimeInterval) {
        Gauge(label: "relance_outbox_queued").record(queued)
        Gauge(label: "relance_outbox_oldest_queued_seconds").record(oldestAge)
    }
}
