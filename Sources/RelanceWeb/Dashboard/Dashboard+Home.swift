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
        let t = session.t
        let currencies: [[String: Any]] = summary.currencies.map { totals in
            let currency = totals.currency
            func money(_ minor: Int64) -> String { t.amount(Money(minorUnits: minor, currency: currency)) }
            let aging = totals.aging.enumerated().map { index, value in
                BarChart.Bar(
                    label: index == 0 ? t("dash.home.not_due") : t("dash.home.aging_days", Store.agingBuckets[index]),
                    value: value, display: Dashboard.shortAmount(value, currency, session.language),
                    link: "/dashboard/invoices?status=open&aging=\(index)")
            }
            let weekly = totals.weekly.enumerated().map { index, value in
                let (_, month, day) = summary.weekStarts[index].components
                // Every other week is labelled, counting back from this one, so labels never overlap on a phone.
                let labelled = (totals.weekly.count - 1 - index) % 2 == 0
                return BarChart.Bar(
                    label: labelled ? "\(day)/\(month)" : "", value: value,
                    display: Dashboard.shortAmount(value, currency, session.language), link: nil,
                    name: t("dash.home.week_of", t.date(summary.weekStarts[index])))
            }
            return [
                "code": currency.code, "outstanding": money(totals.outstanding), "overdue": money(totals.overdue),
                "collected": money(totals.collectedThisMonth),
                "aging_svg": BarChart.svg(aging, title: t("dash.home.aging_title", currency.code), t: t),
                "weekly_svg": BarChart.svg(
                    weekly, title: t("dash.home.weekly_title", currency.code, String(weekly.count)), t: t),
            ]
        }
        let steps = try await setupSteps(t)
        return views.page(
            "home",
            [
                "section": "home", "currencies": currencies, "empty": currencies.isEmpty,
                "setup": steps, "show_setup": steps.contains { $0["done"] as? Bool == false },
                "pending_requests": summary.pendingRequests, "unread_replies": summary.unreadReplies,
                "failed_messages": summary.failedMessages,
                "pending_label": t.isOne(summary.pendingRequests)
                    ? t("dash.home.pending_requests_one") : t("dash.home.pending_requests_many"),
                "unread_label": t.isOne(summary.unreadReplies)
                    ? t("dash.home.unread_replies_one") : t("dash.home.unread_replies_many"),
                "failed_label": t.isOne(summary.failedMessages)
                    ? t("dash.home.failed_messages_one") : t("dash.home.failed_messages_many"),
                "today_heading": t("dash.home.today", t.date(today)),
            ], session: session)
    }

    /// The first-run checklist: each step, whether it is done, what is missing, and where to do it.
    func setupSteps(_ t: Words) async throws -> [[String: Any]] {
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
                named && reachable, t("dash.home.setup.business"),
                named ? t("dash.home.setup.business_reach") : t("dash.home.setup.business_name"),
                "/dashboard/settings", t("dash.home.setup.open_settings")),
            step(
                payable, t("dash.home.setup.pay"), t("dash.home.setup.pay_missing"), "/dashboard/settings",
                t("dash.home.setup.open_settings")),
            step(
                texted, t("dash.home.setup.text"), t("dash.home.setup.text_missing"), "/dashboard/settings#texts",
                t("dash.home.setup.text_action")),
            step(
                invoiced, t("dash.home.setup.invoice"), t("dash.home.setup.invoice_missing"),
                "/dashboard/invoices/new", t("dash.home.setup.invoice_action")),
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
        return try API.jsonResponse(body, status: .ok)
    }

    /// A chart label: `€12k`, `€1.2M`, `€850` in English; `12 k€`, `1,2 M€`, `850 €` in French.
    static func shortAmount(_ minor: Int64, _ currency: Currency, _ language: Language) -> String {
        let major = Double(minor) / Double(currency.minorUnitsPerMajor)
        var number: String
        var unit = ""
        if major >= 999_500 {
            (number, unit) = (String(format: "%.1f", major / 1_000_000), "M")
        } else if major >= 9_995 {
            (number, unit) = (String(format: "%.0f", major / 1_000), "k")
        } else if major >= 1_000 {
            (number, unit) = (String(format: "%.1f", major / 1_000), "k")
        } else {
            number = String(format: "%.0f", major)
        }
        switch language {
        case .en:
            if let symbol = currency.symbol { return symbol + number + unit }
            return number + unit + " " + currency.code
        case .fr:
            // A decimal comma, and the unit then the symbol after a no-break space: `1,2 k€`, `850 CHF`.
            number = number.replacingOccurrences(of: ".", with: ",")
            return number + "\u{00A0}" + unit + (currency.symbol ?? (unit.isEmpty ? "" : " ") + currency.code)
        }
    }
}
