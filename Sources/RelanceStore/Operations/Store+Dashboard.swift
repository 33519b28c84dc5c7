import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The dashboard's home: money per currency, its age, what came in, and what waits for someone.
public struct DashboardSummary: Sendable, Equatable {
    public struct CurrencyTotals: Sendable, Equatable {
        public var currency: Currency
        public var outstanding: Int64
        public var overdue: Int64
        public var collectedThisMonth: Int64
        /// Balances not yet due, then 1–30, 31–60, 61–90 and over 90 days late.
        public var aging: [Int64]
        /// Money received per week, oldest first; `weeks[i]` starts on `weekStarts[i]` (a Monday).
        public var weekly: [Int64]
    }

    public var currencies: [CurrencyTotals]
    public var weekStarts: [CalendarDate]
    public var pendingRequests: Int
    public var unreadReplies: Int
    public var failedMessages: Int
}

extension Store {
    /// Aging bucket labels, in the order of `CurrencyTotals.aging`.
    public static let agingBuckets = ["not due", "1–30", "31–60", "61–90", "90+"]

    /// The home page's figures as of `today` (the business's calendar day).
    public func dashboardSummary(today: CalendarDate, weeks: Int = 12) async throws -> DashboardSummary {
        try await pool.read { db in
            let rows = try Outstanding.fetchAll(
                db,
                sql: """
                    SELECT currency, SUM(balance) AS outstanding,
                        SUM(CASE WHEN late > 0 THEN balance ELSE 0 END) AS overdue,
                        SUM(CASE WHEN late <= 0 THEN balance ELSE 0 END) AS b0,
                        SUM(CASE WHEN late BETWEEN 1 AND 30 THEN balance ELSE 0 END) AS b1,
                        SUM(CASE WHEN late BETWEEN 31 AND 60 THEN balance ELSE 0 END) AS b2,
                        SUM(CASE WHEN late BETWEEN 61 AND 90 THEN balance ELSE 0 END) AS b3,
                        SUM(CASE WHEN late > 90 THEN balance ELSE 0 END) AS b4
                    FROM (
                        SELECT i.currency, i.amount - COALESCE(p.paid, 0) AS balance,
                            CAST(julianday(?) - julianday(i.due_on) AS INTEGER) AS late
                        FROM invoice i
                        LEFT JOIN (SELECT invoice_id, SUM(amount) AS paid FROM payment GROUP BY invoice_id) p
                            ON p.invoice_id = i.id
                        WHERE i.paid_at IS NULL AND i.voided_at IS NULL
                    )
                    GROUP BY currency ORDER BY SUM(balance) DESC
                    """, arguments: [today.iso])
            // Weeks start on Monday; the last one is the current week.
            let thisMonday = today.adding(days: 1 - today.isoWeekday)
            let starts = (0..<weeks).map { thisMonday.adding(days: -7 * (weeks - 1 - $0)) }
            let (year, month, _) = today.components
            let monthStart = CalendarDate(year: year, month: month, day: 1) ?? today
            var byCurrency: [String: DashboardSummary.CurrencyTotals] = [:]
            var order: [String] = []
            for row in rows {
                let code = row.currency
                guard let currency = Currency(code: code) else { continue }
                order.append(code)
                let aging = [row.b0, row.b1, row.b2, row.b3, row.b4].map { $0 ?? 0 }
                byCurrency[code] = .init(
                    currency: currency, outstanding: row.outstanding ?? 0, overdue: row.overdue ?? 0,
                    collectedThisMonth: 0, aging: aging, weekly: Array(repeating: 0, count: weeks))
            }
            let payments = try Received.fetchAll(
                db,
                sql: """
                    SELECT i.currency, date(p.received_at) AS day, SUM(p.amount) AS amount
                    FROM payment p JOIN invoice i ON i.id = p.invoice_id
                    WHERE p.received_at >= ?
                    GROUP BY i.currency, day
                    """, arguments: [min(starts[0], monthStart).iso])
            for row in payments {
                let code = row.currency
                guard let day = row.day.flatMap(CalendarDate.init(iso:)), let currency = Currency(code: code) else {
                    continue
                }
                if byCurrency[code] == nil {
                    order.append(code)
                    byCurrency[code] = .init(
                        currency: currency, outstanding: 0, overdue: 0, collectedThisMonth: 0,
                        aging: [0, 0, 0, 0, 0], weekly: Array(repeating: 0, count: weeks))
                }
                let amount = row.amount
                if day >= monthStart && day <= today, let sum = byCurrency[code]?.collectedThisMonth {
                    byCurrency[code]?.collectedThisMonth = Money.total([sum, amount])
                }
                let index = (day.daysSinceEpoch - starts[0].daysSinceEpoch) / 7
                if day >= starts[0], index < weeks, let sum = byCurrency[code]?.weekly[index] {
                    byCurrency[code]?.weekly[index] = Money.total([sum, amount])
                }
            }
            return DashboardSummary(
                currencies: order.compactMap { byCurrency[$0] }, weekStarts: starts,
                pendingRequests: try RequestRecord.filter(RequestRecord.Columns.status == RequestStatus.pending)
                    .fetchCount(db),
                unreadReplies: try InboundRecord.filter(
                    InboundRecord.Columns.keyword == ReplyKeyword.other && InboundRecord.Columns.readAt == nil
                ).fetchCount(db),
                failedMessages: try MessageRecord.filter(MessageRecord.Columns.status == MessageStatus.failed)
                    .fetchCount(db))
        }
    }

    /// A line of the summary's balances: one currency's open money, by how late it is. The currency stays
    /// as stored, so one Relance does not know is left out rather than failing the page.
    struct Outstanding: Decodable, FetchableRecord {
        var currency: String
        var outstanding: Int64?
        var overdue: Int64?
        var b0: Int64?
        var b1: Int64?
        var b2: Int64?
        var b3: Int64?
        var b4: Int64?
    }

    /// A line of the summary's receipts: what came in, in one currency, on one day.
    struct Received: Decodable, FetchableRecord {
        var currency: String
        var day: String?
        var amount: Int64
    }
}
