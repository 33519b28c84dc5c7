import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// The home page: what is owed per currency and how late, what came in, and what waits for someone.
extension Dashboard {
    /// `GET /dashboard`
    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let today = try await today()
        let summary = try await store.dashboardSummary(today: today)
        let currencies: [[String: Any]] = summary.currencies.map { totals in
            let currency = totals.currency
            func money(_ minor: Int64) -> String { Format.amount(Money(minorUnits: minor, currency: currency), .en) }
            let aging = totals.aging.enumerated().map { index, value in
                BarChart.Bar(
                    label: index == 0 ? "not due" : Store.agingBuckets[index] + " days", value: value,
                    display: Dashboard.shortAmount(value, currency),
                    link: "/dashboard/invoices?status=open&aging=\(index)")
            }
            let weekly = totals.weekly.enumerated().map { index, value in
                let (_, month, day) = summary.weekStarts[index].components
                // Every other week is labelled, counting back from this one, so labels never overlap on a phone.
                let labelled = (totals.weekly.count - 1 - index) % 2 == 0
                return BarChart.Bar(
                    label: labelled ? "\(day)/\(month)" : "", value: value,
                    display: Dashboard.shortAmount(value, currency), link: nil,
                    name: "week of \(Format.date(summary.weekStarts[index], .en))")
            }
            return [
                "code": currency.code, "outstanding": money(totals.outstanding), "overdue": money(totals.overdue),
                "collected": money(totals.collectedThisMonth),
                "aging_svg": BarChart.svg(aging, title: "\(currency.code) balances by age"),
                "weekly_svg": BarChart.svg(
                    weekly, title: "\(currency.code) received per week, last \(weekly.count) weeks"),
            ]
        }
        let steps = try await setupSteps()
        return views.page(
            "home",
            [
                "section": "home", "currencies": currencies, "empty": currencies.isEmpty,
                "setup": steps, "show_setup": steps.contains { $0["done"] as? Bool == false },
                "pending_requests": summary.pendingRequests, "unread_replies": summary.unreadReplies,
                "failed_messages": summary.failedMessages, "today": Format.date(today, .en),
            ], session: session)
    }

    /// The first-run checklist: each step, whether it is done, what is missing, and where to do it.
    func setupSteps() async throws -> [[String: Any]] {
        let business = try await store.business()
        let named = business.name != "My business" && !business.name.isEmpty
        let reachable = business.phone != nil || business.email != nil || business.address != nil
        let payable = business.bankIBAN != nil || business.paymentURL != nil || settings.stripeCheckout != nil
        let texted = try await store.testTextWentOut()
        let invoiced = try await store.hasInvoices()
        func step(_ done: Bool, _ title: String, _ missing: String, _ link: String, _ action: String) -> [String: Any] {
            ["done": done, "title": title, "missing": done ? "" : missing, "link": link, "action": action]
        }
        return [
            step(
                named && reachable, "Your business as customers will see it",
                named
                    ? "Add a phone number, an email or a postal address customers can reach."
                    : "Give the business its name (it starts every text) and a way to reach you.",
                "/dashboard/settings", "Open the settings"),
            step(
                payable, "How customers pay",
                "Add your IBAN (customers see it with a QR code) or the address of your payment page.",
                "/dashboard/settings", "Open the settings"),
            step(
                texted, "A test text to your own phone",
                "Send one from the settings page: it proves the SMS provider is set up and shows how texts arrive.",
                "/dashboard/settings#texts", "Send a test text"),
            step(
                invoiced, "A first invoice",
                "Type one in, import a spreadsheet (the relance import command on the server), or send them from "
                    + "your billing system through the API.",
                "/dashboard/invoices/new", "New invoice"),
        ]
    }

    /// `GET /dashboard/api/summary` — the home page's figures as JSON.
    @Sendable func summaryJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await session(context)
        let summary = try await store.dashboardSummary(today: try await today())
        struct Totals: Encodable {
            var currency: String
            var outstanding: Int64
            var overdue: Int64
            var collected_this_month: Int64
            var aging: [Int64]
            var weekly: [Int64]
        }
        struct Body: Encodable {
            var currencies: [Totals]
            var week_starts: [String]
            var pending_requests: Int
            var unread_replies: Int
            var failed_messages: Int
        }
        let body = Body(
            currencies: summary.currencies.map {
                Totals(
                    currency: $0.currency.code, outstanding: $0.outstanding, overdue: $0.overdue,
                    collected_this_month: $0.collectedThisMonth, aging: $0.aging, weekly: $0.weekly)
            }, week_starts: summary.weekStarts.map(\.iso), pending_requests: summary.pendingRequests,
            unread_replies: summary.unreadReplies, failed_messages: summary.failedMessages)
        let data = try API.encoder.encode(body)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A chart label: `€12k`, `€1.2M`, `€850`.
    static func shortAmount(_ minor: Int64, _ currency: Currency) -> String {
        let major = Double(minor) / Double(currency.minorUnitsPerMajor)
        let text: String
        if major >= 999_500 {
            text = String(format: "%.1fM", major / 1_000_000)
        } else if major >= 9_995 {
            text = String(format: "%.0fk", major / 1_000)
        } else if major >= 1_000 {
            text = String(format: "%.1fk", major / 1_000)
        } else {
            text = String(format: "%.0f", major)
        }
        if let symbol = currency.symbol { return symbol + text }
        return text + " " + currency.code
    }
}
