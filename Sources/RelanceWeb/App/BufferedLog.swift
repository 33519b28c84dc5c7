import Foundation
import Logging
import RelanceCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where log lines go: a buffer that a thread of its own formats and writes every tenth of a second.
/// swift-log's stream handler formats and writes each line under a lock on the thread that logs it;
/// with one line per request that halved the invoice page's throughput. Here a request only appends
/// to a list. Errors wake the writer at once; `flush()` writes what is waiting (at a clean stop). At
/// most `capacity` lines wait: past that, lines are counted and the count is written instead.
public final class LogSink: @unchecked Sendable {
    public static let standardError = LogSink(descriptor: 2)

    struct Entry {
        var date: Date
        var level: Logger.Level
        var label: String
        var message: String
        var metadata: Logger.Metadata
        var source: String
    }

    let descriptor: Int32
    let capacity: Int
    private let condition = NSCondition()
    private var waiting: [Entry] = []
    private var dropped = 0
    /// The writer holds this while it writes, so `flush()` cannot interleave with it.
    private let writing = NSLock()

    /// `writer: false` leaves writing to `flush()` alone: for a test that counts what the buffer holds,
    /// which the writer's thread would otherwise empty at moments of its own.
    public init(descriptor: Int32, capacity: Int = 10_000, writer: Bool = true) {
        self.descriptor = descriptor
        self.capacity = capacity
        guard writer else { return }
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "relance-log"
        thread.start()
    }

    func append(_ entry: Entry) {
        condition.lock()
        if waiting.count < capacity { waiting.append(entry) } else { dropped += 1 }
        if entry.level >= .error { condition.signal() }
        condition.unlock()
    }

    /// Writes every line waiting, now, on the caller's thread.
    public func flush() {
        writing.lock()
        defer { writing.unlock() }
        write(take())
    }

    private func take() -> (entries: [Entry], dropped: Int) {
        condition.lock()
        defer { condition.unlock() }
        let taken = (waiting, dropped)
        waiting.removeAll(keepingCapacity: true)
        dropped = 0
        return taken
    }

    private func run() {
        while true {
            condition.lock()
            if waiting.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
            condition.unlock()
            writing.lock()
            write(take())
            writing.unlock()
        }
    }

    private func write(_ batch: (entries: [Entry], dropped: Int)) {
        guard !batch.entries.isEmpty || batch.dropped > 0 else { return }
        var text = ""
        text.reserveCapacity(batch.entries.count * 120)
        for entry in batch.entries { text += LogSink.format(entry) }
        if batch.dropped > 0 {
            text += LogSink.format(
                Entry(
                    date: Date(), level: .warning, label: "relance", message: "log lines dropped: too many at once",
                    metadata: ["count": "\(batch.dropped)"], source: "RelanceWeb"))
        }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes {
                Glibc.write(descriptor, $0.baseAddress.map { $0 + offset }, $0.count - offset)
            }
            if written <= 0 { break }
            offset += written
        }
        bytes.removeAll()
    }

    /// `2026-03-03T08:59:00.123Z info relance: key=value [Source] message`, one line.
    static func format(_ entry: Entry) -> String {
        let seconds = entry.date.timeIntervalSince1970
        let milliseconds = Int((seconds - seconds.rounded(.down)) * 1000)
        var stamp = Instant.format(entry.date)
        stamp.removeLast()  // the Z, after the milliseconds
        stamp += "." + String(repeating: "0", count: 3 - String(milliseconds).count) + String(milliseconds) + "Z"
        var line = stamp + " \(entry.level) \(entry.label):"
        for (key, value) in entry.metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(entry.source)] "
        // One line per entry, whatever the message holds.
        line +=
            entry.message.contains(where: \.isNewline)
            ? entry.message.split(whereSeparator: \.isNewline).joined(separator: " ") : entry.message
        return line + "\n"
    }
}

/// A swift-log handler that hands each line to a `LogSink`.
public struct BufferedLogHandler: LogHandler {
    let label: String
    let sink: LogSink
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level

    public init(label: String, sink: LogSink = .standardError, level: Logger.Level = .info) {
        self.label = label
        self.sink = sink
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        sink.append(
            LogSink.Entry(
                date: Date(), level: event.level, label: label, message: event.message.description, metadata: merged,
                source: event.source))
    }
}
