import Foundation

/// How long a payment link stays valid when nobody says otherwise.
public enum LinkLifetime {
    /// A renewed or late link still lives at least this long, even far past the due date.
    public static let minimumDays = 14
    /// No link lives longer than this: an old SMS should not open a page for years.
    public static let maximumDays = 3 * 365

    /// The end of the day `lifetimeDays` after the due date in the business's time zone, but never
    /// sooner than `minimumDays` from now nor later than `maximumDays` from now (a due date far in the
    /// future must not give a link that outlives the longest lifetime, or a year past 9999).
    public static func defaultExpiry(dueOn: CalendarDate, lifetimeDays: Int, timeZone: TimeZone, now: Date) -> Date {
        let fromDue = dueOn.adding(days: lifetimeDays + 1).startInstant(in: timeZone)
        let floor = now.addingTimeInterval(TimeInterval(minimumDays) * 86_400)
        let ceiling = now.addingTimeInterval(TimeInterval(maximumDays) * 86_400)
        return min(max(fromDue, floor), ceiling)
    }
}
