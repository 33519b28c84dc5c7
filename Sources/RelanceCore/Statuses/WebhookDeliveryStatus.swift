/// Where one event's delivery to one endpoint stands, `webhook_delivery.status`.
public enum WebhookDeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its time (a first attempt, or a retry).
    case pending
    /// Being posted now; a crash leaves it here until start-up sends it again.
    case delivering
    /// The endpoint answered 2xx.
    case delivered
    /// Given up: too many attempts, an unreadable secret, or the endpoint was removed.
    case failed
}
