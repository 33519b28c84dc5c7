import Foundation

/// A token bucket per key (a hashed client address), in memory: enough for one process behind one
/// proxy. Old buckets are swept as the table grows.
final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    let capacity: Double
    let refillPerSecond: Double

    /// `burst` requests at once, then `perMinute` a minute.
    init(burst: Int, perMinute: Int) {
        capacity = Double(burst)
        refillPerSecond = Double(perMinute) / 60
    }

    /// Takes a token for `key`; false when the bucket is empty.
    func allow(_ key: String, now: Date) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if buckets.count > 50_000 { sweep(now: now) }
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(capacity, bucket.tokens + elapsed * refillPerSecond)
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[key] = bucket
        return allowed
    }

    private func sweep(now: Date) {
        let full = capacity / refillPerSecond
        buckets = buckets.filter { now.timeIntervalSince($0.value.updated) < full }
    }
}
