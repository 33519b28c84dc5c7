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
    public static func parse(_ string: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        guard let date = (try? plain.parse(string)) ?? (try? withFraction.parse(string)) else { return nil }
        // Foundation reads years before the Gregorian reform with another calendar than `format`
        // writes; no instant this program deals with is that old, so such input is refused.
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
