import Foundation

/// Where "now" comes from, so a test can say "it is the 3rd of March, 08:59 in Paris".
public struct Clock: Sendable {
    public var now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = Clock { Date() }

    public static func fixed(_ instant: Date) -> Clock { Clock { instant } }
}

/// A parser for the ISO 8601 instants the API and CLI accept (`2026-03-03T08:59:00Z`, with or
/// without fractional seconds, any offset).
public enum Instant {
    /// An RFC 3339 instant written exactly so: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9
    /// digits, then `Z` or an offset up to ±18:00; a real calendar day, hours 00–23, minutes and
    /// seconds 00–59; from 1970 up to (not including) the year 10000. Anything else is nil: Foundation's
    /// parser quietly moved `2026-02-30` to the 2nd of March, and took `T24:00:00`.
    public static func parse(_ string: String) -> Date? {
        let bytes = Array(string.utf8)
        guard bytes.count >= 20, bytes.count <= 35 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard let day = CalendarDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)), bytes[10] == 84,  // T
            bytes[13] == 58, bytes[16] == 58,  // :
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == 46 {  // .
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] >= 48, bytes[end] <= 57 { end += 1 }
            guard end > start, end - start <= 9, let digits = number(start..<end) else { return nil }
            fraction = Double(digits) / pow(10, Double(end - start))
            index = end
        }
        var offset = 0
        if index == bytes.count - 1, bytes[index] == 90 {  // Z
            offset = 0
        } else if index == bytes.count - 6, bytes[index] == 43 || bytes[index] == 45, bytes[index + 3] == 58,
            let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)),
            minutes <= 59, hours * 60 + minutes <= 18 * 60
        {
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == 45 ? -1 : 1)
        } else {
            return nil
        }
        let seconds = day.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second - offset
        let date = Date(timeIntervalSince1970: Double(seconds) + fraction)
        return date >= earliest && date < latest ? date : nil
    }

    /// 1970-01-01 and 10000-01-01.
    static let earliest = Date(timeIntervalSince1970: 0)
    static let latest = Date(timeIntervalSince1970: 253_402_300_800)

    /// `2026-03-03T08:59:00Z`: UTC, whole seconds.
    public static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let rest = Int(seconds - Int64(days) * 86_400)
        let day = CalendarDate(daysSinceEpoch: days)
        return day.iso + "T" + pad(rest / 3600, 2) + ":" + pad(rest / 60 % 60, 2) + ":" + pad(rest % 60, 2) + "Z"
    }
}
