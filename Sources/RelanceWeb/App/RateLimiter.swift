import Foundation
import RelanceCore

/// A token bucket per client, in memory: enough for one process behind one proxy. The table has a
/// fixed size and forgets the least recently seen client first, so a flood of new addresses costs a
/// bounded amount of memory and only ever evicts buckets that were idle longest.
final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let lock = NSLock()
    private var buckets: BoundedLRU<String, Bucket>
    let capacity: Double
    let refillPerSecond: Double

    /// `burst` requests at once, then `perMinute` a minute; at most `clients` buckets are kept.
    init(burst: Int, perMinute: Int, clients: Int = 50_000) {
        capacity = Double(burst)
        refillPerSecond = Double(perMinute) / 60
        buckets = BoundedLRU(capacity: clients)
    }

    /// Takes a token for `key` (see `ClientKey`); false when the bucket is empty.
    func allow(_ key: String, now: Date) -> Bool {
        lock.withLock {
            var bucket = buckets.value(for: key) ?? Bucket(tokens: capacity, updated: now)
            let elapsed = max(0, now.timeIntervalSince(bucket.updated))
            bucket.tokens = min(capacity, bucket.tokens + elapsed * refillPerSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets.set(key, bucket)
            return allowed
        }
    }

    /// How many clients are remembered now.
    var count: Int { lock.withLock { buckets.count } }
}

/// A dictionary with a fixed capacity that drops its least recently used entry to make room. Reads and
/// writes both count as use; entries are replaced, never removed. Every operation is O(1): the entries
/// form a doubly linked list in arrays.
struct BoundedLRU<Key: Hashable, Value> {
    private var slots: [Key: Int] = [:]
    private var keys: [Key] = []
    private var values: [Value] = []
    private var previous: [Int] = []
    private var next: [Int] = []
    /// Most and least recently used slots; -1 when empty.
    private var head = -1
    private var tail = -1
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { slots.count }

    /// The value for `key`, which becomes the most recently used.
    mutating func value(for key: Key) -> Value? {
        guard let slot = slots[key] else { return nil }
        moveToFront(slot)
        return values[slot]
    }

    /// Sets the value for `key`, which becomes the most recently used; when full, the least recently
    /// used entry makes room.
    mutating func set(_ key: Key, _ value: Value) {
        if let slot = slots[key] {
            values[slot] = value
            moveToFront(slot)
            return
        }
        let slot: Int
        if keys.count < capacity {
            slot = keys.count
            keys.append(key)
            values.append(value)
            previous.append(-1)
            next.append(-1)
        } else {
            slot = tail
            unlink(slot)
            slots[keys[slot]] = nil
            keys[slot] = key
            values[slot] = value
        }
        slots[key] = slot
        pushFront(slot)
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        pushFront(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let before = previous[slot]
        let after = next[slot]
        if before >= 0 { next[before] = after } else { head = after }
        if after >= 0 { previous[after] = before } else { tail = before }
        previous[slot] = -1
        next[slot] = -1
    }

    private mutating func pushFront(_ slot: Int) {
        previous[slot] = -1
        next[slot] = head
        if head >= 0 { previous[head] = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
