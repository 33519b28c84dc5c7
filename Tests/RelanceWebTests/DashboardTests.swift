import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceProviders
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// The business's dashboard: sign-in, the auth matrix over every route, CSRF, the pages and actions.
final class DashboardTests: HarnessTestCase {
    static let password = "correct horse battery"

    /// Every dashboard route as the application registers it.
    func routeTable() throws -> [Dashboard.Route] {
        let harness = self.harness!
        let library = try PageLibrary(directory: Harness.repository.appendingPathComponent("templates"))
        let views = try DashboardViews(
            directory: Harness.repository.appendingPathComponent("templates/dashboard"), cssHref: "/static/x.css")
        return Dashboard(
            store: harness.store, settings: harness.settings, views: views, library: library,
            logger: harness.logs.logger
        ).routes()
    }

    func testEveryDashboardRouteSendsAnonymousBrowsersToSignInAndJSONClientsA401() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        let routes = try routeTable()
        XCTAssertGreaterThanOrEqual(routes.count, 16)
        try await harness.app.test(.router) { client in
            for route in routes {
                let path = route.fullPath.replacingOccurrences(of: ":id", with: String(invoice.id))
                for cookie in [
                    nil, "relance_session=forged-and-wrong", "relance_session=" + String(repeating: "A", count: 43),
                ] {
                    var headers: HTTPFields = [.accept: "text/html"]
                    if let cookie { headers[.cookie] = cookie }
                    let html = try await client.execute(
                        uri: path, method: route.method, headers: headers, body: ByteBuffer(string: "csrf=x&amount=1"))
                    if path.hasPrefix("/dashboard/api/") {
                        XCTAssertEqual(html.status, .unauthorized, "\(route.method) \(path)")
                    } else {
                        XCTAssertEqual(html.status, .seeOther, "\(route.method) \(path) with \(cookie ?? "no cookie")")
                        XCTAssertTrue(html.headers[.location]?.hasPrefix("/login?next=") ?? false, "\(path)")
                    }
                    headers[.accept] = "application/json"
                    let json = try await client.execute(uri: path, method: route.method, headers: headers, body: nil)
                    XCTAssertEqual(json.status, .unauthorized, "\(route.method) \(path) as JSON")
                    XCTAssertEqual(json.headers[.contentType], "application/problem+json")
                }
            }
        }
        // Nothing was changed by any of it.
        let after = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(after.paid, 0)
        XCTAssertNil(after.voidedAt)
        XCTAssertNil(after.remindersPausedAt)
    }

    func testSigningInSetsAStrictCookieAndANewSessionEachTime() async throws {
        let harness = self.harness!
        _ = try await harness.store.addUser(
            email: "owner@example.com", password: Self.password, role: .owner, now: harness.clock.now, language: .en)
        try await harness.app.test(.router) { client in
            let form = try await client.execute(uri: "/login?next=/dashboard/requests", method: .get)
            XCTAssertEqual(form.status, .ok)
            let login = try Self.loginForm(form)
            let token = login.token
            XCTAssertTrue(form.text.contains(#"name="next" value="/dashboard/requests""#))
            let formCookie = try XCTUnwrap(form.headers[.setCookie])
            for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/login"] {
                XCTAssertTrue(formCookie.contains(attribute), "\(attribute) missing from \(formCookie)")
            }

            var response = try await Self.post(
                client, "/login", "token=\(token)&email=owner%40example.com&password=nope", cookie: login.cookie)
            XCTAssertEqual(response.status, .unauthorized)
            XCTAssertTrue(response.text.contains(Self.refusedMessage))
            response = try await Self.post(
                client, "/login", "token=\(token)&email=nobody%40example.com&password=nope", cookie: login.cookie)
            XCTAssertEqual(response.status, .unauthorized)
            XCTAssertTrue(response.text.contains(Self.refusedMessage), "same answer for an unknown account")
            response = try await Self.post(
                client, "/login", "token=forged&email=owner%40example.com&password=x", cookie: login.cookie)
            XCTAssertEqual(response.status, .forbidden)
            // The hour in a token is whatever was posted: Int64's smallest used to overflow and stop the server.
            response = try await Self.post(
                client, "/login", "token=-9223372036854775808.AAAA&email=a%40b.c&password=xxxxxxxxxx",
                cookie: login.cookie)
            XCTAssertEqual(response.status, .forbidden)
            // A form token works only in the browser it was given to: another site cannot post its own
            // token from a visitor's browser and sign them in to the attacker's account.
            response = try await Self.post(
                client, "/login", "token=\(token)&email=owner%40example.com&password=correct+horse+battery")
            XCTAssertEqual(response.status, .forbidden)
            let other = try Self.loginForm(try await client.execute(uri: "/login", method: .get))
            response = try await Self.post(
                client, "/login", "token=\(token)&email=owner%40example.com&password=correct+horse+battery",
                cookie: other.cookie)
            XCTAssertEqual(response.status, .forbidden)

            response = try await Self.post(
                client, "/login",
                "token=\(token)&next=%2Fdashboard%2Frequests&email=owner%40example.com&password=correct+horse+battery",
                cookie: login.cookie)
            XCTAssertEqual(response.status, .seeOther)
            XCTAssertEqual(response.headers[.location], "/dashboard/requests")
            let cookie = try XCTUnwrap(response.headers[.setCookie])
            XCTAssertTrue(cookie.hasPrefix("relance_session="))
            for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
                XCTAssertTrue(cookie.contains(attribute), "\(attribute) missing from \(cookie)")
            }
            let first = String(cookie.split(separator: ";")[0])
            let home = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: first])
            XCTAssertEqual(home.status, .ok)
            XCTAssertTrue(home.text.contains("owner@example.com"))

            // Signing in again from the same browser: a new session, and the old one is over.
            response = try await Self.post(
                client, "/login", "token=\(token)&email=owner%40example.com&password=correct+horse+battery",
                cookie: login.cookie + "; " + first)
            let second = String(try XCTUnwrap(response.headers[.setCookie]).split(separator: ";")[0])
            XCTAssertNotEqual(first, second)
            let old = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: first])
            XCTAssertEqual(old.status, .seeOther)

            // Only dashboard paths are places to go after signing in.
            response = try await Self.post(
                client, "/login",
                "token=\(token)&next=%2F%2Fevil.example&email=owner%40example.com&password=correct+horse+battery",
                cookie: login.cookie)
            XCTAssertEqual(response.headers[.location], "/dashboard")

            // Signing out needs the session's token, then ends it.
            let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: second]).text
            let csrf = try XCTUnwrap(page.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            response = try await Self.post(client, "/logout", "csrf=wrong", cookie: second)
            XCTAssertEqual(response.status, .forbidden)
            response = try await Self.post(client, "/logout", "csrf=\(csrf)", cookie: second)
            XCTAssertEqual(response.status, .seeOther)
            let after = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: second])
            XCTAssertEqual(after.status, .seeOther)
        }
    }

    func testGuessingIsSlowedDownButNeverLocksTheOwnerOut() async throws {
        let harness = try Harness(trustProxy: true)
        defer { harness.cleanUp() }
        _ = try await harness.store.addUser(
            email: "owner@example.com", password: Self.password, role: .owner, now: harness.clock.now, language: .en)
        try await harness.app.test(.router) { client in
            func attempt(_ email: String, _ password: String, from address: String, browser: String = "")
                async throws -> TestResponse
            {
                let form = try await client.execute(
                    uri: "/login", method: .get, headers: browser.isEmpty ? [:] : [.cookie: browser])
                let login = try Self.loginForm(form, browser: browser)
                var headers: HTTPFields = [
                    .contentType: "application/x-www-form-urlencoded", .cookie: login.cookie,
                    .xForwardedFor: address, .acceptLanguage: "en",
                ]
                if !browser.isEmpty { headers[.cookie] = login.cookie + "; " + browser }
                return try await client.execute(
                    uri: "/login", method: .post, headers: headers,
                    body: ByteBuffer(string: "token=\(login.token)&email=\(email)&password=\(password)"))
            }
            func message(_ response: TestResponse) -> String {
                String(response.text.firstMatch(of: /id="message">([^<]*)</)?.1 ?? "")
            }
            // The owner's browser signs in once and is known from then on.
            let first = try await attempt("owner%40example.com", "correct+horse+battery", from: "198.51.100.7")
            XCTAssertEqual(first.status, .seeOther)
            let known = try XCTUnwrap(
                first.headers[values: .setCookie].first { $0.hasPrefix(KnownBrowser.cookieName) }
            ).split(separator: ";")[0]
            XCTAssertTrue(
                try XCTUnwrap(first.headers[values: .setCookie].first { $0.hasPrefix(KnownBrowser.cookieName) })
                    .contains("HttpOnly"))

            // A stranger guesses from many addresses: five free failures, then waits that grow.
            var answers: [TestResponse] = []
            for index in 0..<6 {
                answers.append(try await attempt("owner%40example.com", "guess\(index)", from: "203.0.113.\(index)"))
            }
            // Now even the right password from a strange browser is not checked, and the answer is the
            // same as for a wrong password or an account that does not exist.
            answers.append(try await attempt("owner%40example.com", "correct+horse+battery", from: "203.0.113.9"))
            answers.append(try await attempt("nobody%40example.com", "whatever", from: "203.0.113.10"))
            for answer in answers {
                XCTAssertEqual(answer.status, .unauthorized)
                XCTAssertEqual(message(answer), Self.refusedMessage.replacingOccurrences(of: "'", with: "&#39;"))
            }
            // The owner's own browser is not slowed by the stranger.
            let owner = try await attempt(
                "owner%40example.com", "correct+horse+battery", from: "198.51.100.7", browser: String(known))
            XCTAssertEqual(owner.status, .seeOther)

            // After the wait, a right password counts again from anywhere.
            harness.clock.now = harness.clock.now.addingTimeInterval(SignInThrottle.longestWait + 1)
            let later = try await attempt("owner%40example.com", "correct+horse+battery", from: "203.0.113.11")
            XCTAssertEqual(later.status, .seeOther)

            // One address trying many accounts is slowed on its own (an IPv6 client by its /64).
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<12 {
                let response = try await attempt(
                    "owner%40example.com", "correct+horse+battery", from: "2001:db8:1:2::\(index + 1)")
                statuses.append(response.status)
            }
            XCTAssertEqual(statuses.prefix(10).filter { $0 == .seeOther }.count, 10)
            XCTAssertEqual(Array(statuses.suffix(2)), [.unauthorized, .unauthorized])
        }
        // Failures are on the account's record; the account was never locked.
        let actions = try await harness.store.pool.read { try String.fetchAll($0, sql: "SELECT action FROM audit") }
        XCTAssertEqual(actions.filter { $0 == "sign_in.failed" }.count, 6)
        XCTAssertFalse(actions.contains("sign_in.locked"))
    }

    func testGuessesSentSideBySideAreCountedBeforeTheirAnswers() {
        let throttle = SignInThrottle()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // Five free failures; then, with a guess still being checked, no other may start.
        for _ in 0..<5 {
            XCTAssertTrue(throttle.begin("account:x", now: now))
            throttle.end("account:x", .failed, now: now)
        }
        XCTAssertTrue(throttle.begin("account:x", now: now))
        XCTAssertFalse(throttle.begin("account:x", now: now), "a second guess while the first is checked")
        throttle.end("account:x", .failed, now: now)
        XCTAssertFalse(throttle.begin("account:x", now: now), "then a wait")
        XCTAssertTrue(throttle.begin("account:x", now: now.addingTimeInterval(SignInThrottle.longestWait)))
        // Before any failure, a few side by side are allowed, not dozens.
        let fresh = (0..<10).map { _ in throttle.begin("account:y", now: now) }
        XCTAssertEqual(fresh.filter { $0 }.count, 5)
        // A check that never ran (busy) gives its place back without counting.
        throttle.end("account:y", .unchecked, now: now)
        XCTAssertTrue(throttle.begin("account:y", now: now))
    }

    func testPasswordChecksRunOffTheRequestThreadsAFewAtATime() async throws {
        // One lane, four waiting at most: the fifth and later callers are answered at once with nil.
        let work = PasswordWork(lanes: 1, waitingLimit: 4)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        async let blocked: Int? = work.run {
            started.signal()
            gate.wait()
            return 1
        }
        started.wait()
        var queued: [Task<Int?, Never>] = []
        for index in 0..<3 { queued.append(Task { await work.run { index } }) }
        // Give the three a moment to take their places in the queue.
        let deadline = ContinuousClock.now + .seconds(10)
        while work.waitingCount < 4 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(work.waitingCount, 4, "the three took their places")
        let refused = await work.run { 99 }
        XCTAssertNil(refused, "a full queue refuses instead of growing")
        gate.signal()
        let first = await blocked
        XCTAssertEqual(first, 1)
        var results: [Int?] = []
        for task in queued { results.append(await task.value) }
        XCTAssertEqual(results, [0, 1, 2])
        XCTAssertEqual(work.waitingCount, 0)
    }

    func testEveryPostWithoutTheSessionsCSRFTokenIsRefusedAndChangesNothing() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice()
        let routes = try routeTable().filter { $0.method == .post }
        try await harness.app.test(.router) { client in
            let (cookie, _) = try await Self.signIn(client, harness)
            for route in routes {
                let path = route.fullPath.replacingOccurrences(of: ":id", with: String(invoice.id))
                for body in ["amount=10&method=cash", "csrf=wrong&amount=10&method=cash"] {
                    let response = try await Self.post(client, path, body, cookie: cookie)
                    XCTAssertEqual(response.status, .forbidden, "POST \(path) with \(body)")
                }
            }
        }
        let after = try await harness.store.invoice(id: invoice.id)
        XCTAssertEqual(after.paid, 0)
        XCTAssertNil(after.voidedAt)
        XCTAssertNil(after.remindersPausedAt)
        let messages = try await harness.store.messages(invoiceID: invoice.id)
        XCTAssertEqual(messages.count, 0)
    }

    func testHomeShowsMoneyPerCurrencyItsAgeAndWhatWaits() async throws {
        let harness = self.harness!
        // Pinned day: 3 March 2026. One invoice not due, one 5 days late, one 45 days late, paid 100 € this week.
        _ = try await harness.invoice(number: "A", amount: 10_000, dueInDays: 10)
        let (late, _) = try await harness.invoice(number: "B", amount: 20_000, dueInDays: -5)
        _ = try await harness.invoice(number: "C", amount: 40_000, dueInDays: -45)
        _ = try await harness.store.recordPayment(
            invoiceID: late.id,
            NewPayment(amount: 10_000, method: .cash, reference: nil, receivedAt: harness.clock.now),
            now: harness.clock.now)
        let summary = try await harness.store.dashboardSummary(
            today: CalendarDate(iso: "2026-03-03")!)
        let eur = try XCTUnwrap(summary.currencies.first)
        XCTAssertEqual(eur.outstanding, 60_000)
        XCTAssertEqual(eur.overdue, 50_000)
        XCTAssertEqual(eur.aging, [10_000, 10_000, 40_000, 0, 0])
        XCTAssertEqual(eur.collectedThisMonth, 10_000)
        XCTAssertEqual(eur.weekly.last, 10_000)
        XCTAssertEqual(summary.weekStarts.last?.iso, "2026-03-02")
        try await harness.app.test(.router) { client in
            let (cookie, _) = try await Self.signIn(client, harness)
            let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]).text
            XCTAssertTrue(page.contains("€600.00"), page)
            XCTAssertTrue(page.contains("€500.00"))
            XCTAssertTrue(page.contains("<svg class=\"chart\""))
            XCTAssertTrue(page.contains("href=\"/dashboard/invoices?status=open&amp;aging=2\""))
            XCTAssertFalse(page.contains("<script"))
        }
    }

    func testTheListFiltersSearchesAndPagesWithoutRepeatsAndSurvivesHostileSearches() async throws {
        let harness = self.harness!
        for index in 0..<120 {
            _ = try await harness.invoice(
                number: String(format: "F-%04d", index), name: index % 2 == 0 ? "Camille Durand" : "Léa <b>Roux</b>",
                amount: Int64(1_000 + index), dueInDays: index - 60)
        }
        try await harness.app.test(.router) { client in
            let (cookie, _) = try await Self.signIn(client, harness)
            var seen: [String] = []
            var path: String? = "/dashboard/invoices?status=all&sort=due"
            while let next = path {
                let page = try await client.execute(uri: next, method: .get, headers: [.cookie: cookie]).text
                seen += page.matches(of: /<a href="\/dashboard\/invoices\/\d+">(F-\d+)<\/a>/).map { String($0.1) }
                path = page.firstMatch(of: /<a href="([^"]+)" rel="next">/).map {
                    String($0.1).replacingOccurrences(of: "&amp;", with: "&")
                }
            }
            XCTAssertEqual(seen.count, 120)
            XCTAssertEqual(Set(seen).count, 120)
            XCTAssertEqual(seen.first, "F-0000")

            let overdue = try await client.execute(
                uri: "/dashboard/invoices?status=overdue&aging=2", method: .get, headers: [.cookie: cookie]
            ).text
            // 31–60 days late: due 60…31 days ago, F-0000 … F-0029.
            XCTAssertEqual(overdue.matches(of: /<tr><td><a href/).count, 30)

            let search = try await client.execute(
                uri: "/dashboard/invoices?status=all&q=F-011", method: .get, headers: [.cookie: cookie]
            ).text
            XCTAssertEqual(search.matches(of: /<tr><td><a href/).count, 10)
            // A browser's form sends spaces as "+" (the invoices share one phone, so one customer, named last
            // "Léa <b>Roux</b>"): all 120 match, a full page of 50 shows.
            let spaced = try await client.execute(
                uri: "/dashboard/invoices?status=all&q=L%C3%A9a+%3Cb%3ERoux", method: .get, headers: [.cookie: cookie]
            ).text
            XCTAssertEqual(spaced.matches(of: /<tr><td><a href/).count, 50)
            XCTAssertTrue(spaced.contains(#"value="Léa &lt;b&gt;Roux""#))
            XCTAssertTrue(search.contains("Léa &lt;b&gt;Roux&lt;/b&gt;"))
            for hostile in ["' OR 1=1 --", "%", "_", "<script>alert(1)</script>", "\"; DROP TABLE invoice; --"] {
                let encoded = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await client.execute(
                    uri: "/dashboard/invoices?status=all&q=\(encoded)", method: .get, headers: [.cookie: cookie])
                XCTAssertEqual(response.status, .ok, hostile)
                XCTAssertEqual(response.text.matches(of: /<tr><td><a href/).count, 0, hostile)
                XCTAssertFalse(response.text.contains("<script>alert"))
            }
        }
        let count = try await harness.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice")
        }
        XCTAssertEqual(count, 120)
    }

    func testTheCSVExportIsTheFilteredListWithFormulasNeutralised() async throws {
        let harness = self.harness!
        _ = try await harness.invoice(number: "=1+2", name: "=HYPERLINK(\"http://evil.example\")", amount: 12_345)
        _ = try await harness.invoice(
            number: "F-2", name: "Plain, with comma", amount: 500, dueInDays: -3, phone: "+33698765432")
        try await harness.app.test(.router) { client in
            let (cookie, _) = try await Self.signIn(client, harness)
            let response = try await client.execute(
                uri: "/dashboard/invoices.csv?status=open&sort=number", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.headers[.contentType], "text/csv; charset=utf-8")
            let lines = response.text.split(separator: "\r\n").map(String.init)
            XCTAssertEqual(lines.count, 3)
            XCTAssertEqual(
                lines[1],
                #""'=1+2","'=HYPERLINK(""http://evil.example"")","'+33612345678",EUR,123.45,0.00,123.45,2026-02-11,2026-03-13,open,0"#
            )
            XCTAssertTrue(lines[2].hasPrefix(#"F-2,"Plain, with comma","'+33698765432",EUR,5.00,0.00,5.00"#), lines[2])
            XCTAssertTrue(lines[2].hasSuffix(",open,3"))
        }
    }

    func testACellHoldingALineBreakIsQuotedWhateverItsKind() {
        // "\r\n" is one Character in Swift: a check by Character equal to "\n" or "\r" missed it.
        XCTAssertEqual(CSVField.escape("ACME\r\nLtd"), "\"ACME\r\nLtd\"")
        XCTAssertEqual(CSVField.escape("ACME\nLtd"), "\"ACME\nLtd\"")
        XCTAssertEqual(CSVField.escape("ACME\rLtd"), "\"ACME\rLtd\"")
        XCTAssertEqual(CSVField.escape("Say \"hi\""), "\"Say \"\"hi\"\"\"")
        XCTAssertEqual(CSVField.escape("plain"), "plain")
    }

    func testTheInvoicePageRecordsAPaymentPausesAndShowsTheTextBeforeSending() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice(amount: 123_456, dueInDays: -8)
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            let path = "/dashboard/invoices/\(invoice.id)"
            var page = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie]).text
            // Times in the business's zone: created and due for a reminder at 08:59 UTC, 09:59 in Paris.
            XCTAssertTrue(page.contains("2026-03-03 09:59"), page)
            XCTAssertFalse(page.contains("08:59") || page.contains("UTC"), page)
            XCTAssertTrue(page.contains("times in Europe/Paris"))
            // The text the customer would get, with its encoding and segments, before anything is sent.
            XCTAssertTrue(page.contains("stage <strong>late</strong>: GSM-7"), page)
            XCTAssertTrue(page.contains("1 segment(s)"))
            XCTAssertTrue(page.contains("facture F-2026-0042 de 1 234,56 € en retard"))
            var messages = try await harness.store.messages(invoiceID: invoice.id)
            XCTAssertEqual(messages.count, 0, "the preview sends and keeps nothing")

            var response = try await Self.post(
                client, path + "/payments", "csrf=\(csrf)&amount=abc&method=cash", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            XCTAssertTrue(response.headers[.location]?.contains("not%20a%20number") ?? false, "\(response.headers)")
            response = try await Self.post(
                client, path + "/payments", "csrf=\(csrf)&amount=234%2C56&method=cash&reference=CASH-1", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            let after = try await harness.store.invoice(id: invoice.id)
            XCTAssertEqual(after.paid, 23_456)

            response = try await Self.post(
                client, path + "/pause", "csrf=\(csrf)&reason=dispute+by+phone", cookie: cookie)
            let paused = try await harness.store.invoice(id: invoice.id)
            XCTAssertEqual(paused.remindersPausedReason, "dispute by phone")
            response = try await Self.post(client, path + "/remind", "csrf=\(csrf)", cookie: cookie)
            messages = try await harness.store.messages(invoiceID: invoice.id)
            XCTAssertEqual(messages.count, 1, "remind now goes out even while paused, by the business's choice")

            page = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie]).text
            XCTAssertTrue(page.contains("action.payment.recorded"))
            XCTAssertTrue(page.contains("by owner@example.com: €234.56 by cash"))
            XCTAssertTrue(page.contains("action.reminders.paused"))
            XCTAssertTrue(page.contains("payment.received"))
            // The timeline in sentences; the event names and raw detail stay under "Details".
            XCTAssertTrue(page.contains("Payment of €234.56 received in cash"), page)
            XCTAssertTrue(page.contains("Payment recorded, by owner@example.com"))
            XCTAssertTrue(page.contains("“late” reminder written by text to +33 6 12 … 78 (1 segment)"), page)
            XCTAssertTrue(page.contains("<summary>Details</summary>"))
        }
    }

    func testTheInboxAcceptsAPlanWithAChangedSchedule() async throws {
        let harness = self.harness!
        let (invoice, _) = try await harness.invoice(amount: 30_000)
        let today = CalendarDate(iso: "2026-03-03")!
        let outcome = try await RequestService(
            storage: harness.store,
            links: LinkSettings(baseURL: harness.settings.baseURL, keyring: harness.settings.keyring),
            clock: .fixed(harness.clock.now)
        ).submit(
            NewRequest(
                kind: .plan, invoiceID: invoice.id, linkID: nil,
                schedule: PaymentPlan.schedule(
                    balance: 30_000, count: 3, frequency: .monthly, firstDate: today.adding(days: 7)),
                message: "<b>merci</b>"), today: today
        ) { _ in "ok" }
        guard case .created(let request) = outcome else { return XCTFail("\(outcome)") }
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            let page = try await client.execute(uri: "/dashboard/requests", method: .get, headers: [.cookie: cookie])
                .text
            XCTAssertTrue(page.contains("&lt;b&gt;merci&lt;/b&gt;"))
            XCTAssertTrue(page.contains("2026-03-10 100.00\n2026-04-10 100.00\n2026-05-10 100.00"), page)
            var response = try await Self.post(
                client, "/dashboard/requests/\(request.id)/accept",
                "csrf=\(csrf)&schedule=2026-03-10+100%0A2026-04-10+150", cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("Not%20done") ?? false, "\(response.headers)")
            response = try await Self.post(
                client, "/dashboard/requests/\(request.id)/accept",
                "csrf=\(csrf)&schedule=2026-03-10+150%0A2026-04-10+150&message=OK", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
        }
        let plan = try await harness.store.plan(invoiceID: invoice.id)
        XCTAssertEqual(plan?.instalments.map(\.amount), [15_000, 15_000])
        let history = try await harness.store.history(invoiceID: invoice.id).map(\.kind)
        XCTAssertTrue(history.contains("action.request.accepted"))
    }

    // MARK: - Helpers

    static func post(_ client: some TestClientProtocol, _ path: String, _ body: String, cookie: String? = nil)
        async throws -> TestResponse
    {
        var headers: HTTPFields = [
            .contentType: "application/x-www-form-urlencoded", .accept: "text/html", .acceptLanguage: "en",
        ]
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// The login form's token and the cookie it is bound to (`browser` already carries one, if any).
    static func loginForm(_ form: TestResponse, browser: String = "") throws -> (token: String, cookie: String) {
        let token = try XCTUnwrap(form.text.firstMatch(of: /name="token" value="([^"]+)"/)?.1)
        let cookie = form.headers[values: .setCookie].first { $0.hasPrefix(Dashboard.loginCookieName + "=") }
            .map { String($0.split(separator: ";")[0]) }
        return (String(token), try XCTUnwrap(cookie ?? browser.split(separator: ";").map(String.init).first))
    }

    /// The answer to a refused sign-in, in English (the language the tests' browsers ask for).
    static let refusedMessage =
        "Email or password is wrong. After several tries, wait a minute before the next."

    /// Signs in as `email` through the login form: the session cookie.
    static func signIn(_ client: some TestClientProtocol, email: String) async throws -> String {
        let login = try loginForm(try await client.execute(uri: "/login", method: .get))
        let response = try await post(
            client, "/login",
            "token=\(login.token)&email=\(email.replacingOccurrences(of: "@", with: "%40"))&password=correct+horse+battery",
            cookie: login.cookie)
        return String(try XCTUnwrap(response.headers[.setCookie]).split(separator: ";")[0])
    }

    /// Adds an owner and signs in: the cookie to send, and the CSRF token the pages carry.
    static func signIn(_ client: some TestClientProtocol, _ harness: Harness) async throws -> (String, String) {
        _ = try await harness.store.addUser(
            email: "owner@example.com", password: password, role: .owner, now: harness.clock.now, language: .en)
        let cookie = try await signIn(client, email: "owner@example.com")
        let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]).text
        let csrf = try XCTUnwrap(page.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        return (cookie, String(csrf))
    }
}

extension DashboardTests {
    func testStaffCanWorkButNotManageUsersOrSettings() async throws {
        let harness = self.harness!
        _ = try await harness.store.addUser(
            email: "staff@example.com", password: Self.password, role: .staff, now: harness.clock.now, language: .en)
        try await harness.app.test(.router) { client in
            let cookie = try await Self.signIn(client, email: "staff@example.com")
            let home = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]).text
            XCTAssertFalse(home.contains("href=\"/dashboard/users\""))
            let csrf = try XCTUnwrap(home.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            let users = try await client.execute(uri: "/dashboard/users", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(users.status, .forbidden)
            let add = try await Self.post(
                client, "/dashboard/users", "csrf=\(csrf)&email=new%40example.com&password=0123456789ab&role=owner",
                cookie: cookie)
            XCTAssertEqual(add.status, .forbidden)
            let settings = try await client.execute(
                uri: "/dashboard/settings", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(settings.status, .ok)
            XCTAssertTrue(settings.text.contains("Only an owner can change the settings."))
            let save = try await Self.post(client, "/dashboard/settings", "csrf=\(csrf)&name=Mine", cookie: cookie)
            XCTAssertEqual(save.status, .forbidden)
        }
        let emails = try await harness.store.users().map(\.email)
        XCTAssertEqual(emails, ["staff@example.com"])
        let business = try await harness.store.business()
        XCTAssertEqual(business.name, "Atelier Martin")
    }

    func testSettingsAreSavedWholeOrNotAtAll() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            let good = [
                "name=Plomberie+Martin", "phone=%2B33+4+72+00+00+00", "email=compta%40example.com",
                "default_locale=en", "time_zone=Europe%2FParis", "link_days=30",
                "iban=FR76+3000+6000+0112+3456+7890+189",
                "bic=AGRIFRPP", "start_hour=8", "end_hour=20", "weekday=1", "weekday=2", "weekday=3",
                "holidays=2026-05-01%0D%0A2026-07-14", "cap_hours=48", "pause_on_reply=on", "max_instalments=6",
                "max_span=180", "min_instalment=25.00", "break_after=12", "legal=SIRET+123+456+789+%3Cb%3E",
            ]
            // A NUL in the name was cut there by SQLite (saved as "Plomberie"), or failed its CHECK (a 500).
            let nul = good.map { $0.hasPrefix("name=") ? "name=Plomberie%00Martin" : $0 }
            var response = try await Self.post(
                client, "/dashboard/settings", "csrf=\(csrf)&" + nul.joined(separator: "&"), cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("name: no control characters"), response.text)
            var bad = good.map {
                $0.hasPrefix("iban=")
                    ? "iban=FR76+3000+6000+0112+3456+7890+188" : $0.hasPrefix("start_hour=") ? "start_hour=21" : $0
            }
            bad.append("holidays=never")
            response = try await Self.post(
                client, "/dashboard/settings", "csrf=\(csrf)&" + bad.joined(separator: "&"), cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            for message in ["IBAN: the check digits do not match", "sending hours"] {
                XCTAssertTrue(response.text.contains(message), "\(message): \(response.text)")
            }
            let unchanged = try await harness.store.business()
            XCTAssertEqual(unchanged.name, "Atelier Martin")
            // The API's cap on holidays holds here too: 401 days are refused, none saved.
            let first = CalendarDate(iso: "2027-01-01")!
            let many = (0...400).map { first.adding(days: $0).iso }.joined(separator: "%0D%0A")
            let tooMany = good.map { $0.hasPrefix("holidays=") ? "holidays=" + many : $0 }
            response = try await Self.post(
                client, "/dashboard/settings", "csrf=\(csrf)&" + tooMany.joined(separator: "&"), cookie: cookie)
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("holidays: at most 400 days"), response.text)
            let rulesAfterRefusal = try await harness.store.sendingRules()
            XCTAssertEqual(rulesAfterRefusal.holidays, [])

            response = try await Self.post(
                client, "/dashboard/settings", "csrf=\(csrf)&" + good.joined(separator: "&"), cookie: cookie)
            XCTAssertEqual(response.status, .seeOther, response.text)
            // The legal details reach the foot of every customer page, escaped.
            let (_, link) = try await harness.invoice()
            let page = try await get(client, "/p/" + link.token).text
            XCTAssertTrue(page.contains(#"<p class="legal">SIRET 123 456 789 &lt;b&gt;</p>"#), page)
        }
        let business = try await harness.store.business()
        XCTAssertEqual(business.name, "Plomberie Martin")
        XCTAssertEqual(business.phone, "+33472000000")
        XCTAssertEqual(business.bankIBAN, "FR7630006000011234567890189")
        XCTAssertEqual(business.defaultLocale, "en")
        XCTAssertEqual(business.linkLifetimeDays, 30)
        let rules = try await harness.store.sendingRules()
        XCTAssertEqual(rules.windowStartHour, 8)
        XCTAssertEqual(rules.weekdays, [1, 2, 3])
        XCTAssertEqual(rules.holidays.map(\.iso).sorted(), ["2026-05-01", "2026-07-14"])
        XCTAssertEqual(rules.smsMinimumInterval, 48 * 3600)
        let plans = try await harness.store.planSettings()
        XCTAssertEqual(plans.limits.maximumInstalments, 6)
        XCTAssertEqual(plans.limits.minimumInstalment, 2_500)
        XCTAssertEqual(plans.breakAfterDays, 12)
    }

    func testOwnersAddAndRemoveAccessButTheLastOwnerStays() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            var response = try await Self.post(
                client, "/dashboard/users", "csrf=\(csrf)&email=bea%40example.com&password=short&role=staff",
                cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("10%20characters") ?? false)
            response = try await Self.post(
                client, "/dashboard/users", "csrf=\(csrf)&email=bea%40example.com&password=long+enough+pw&role=staff",
                cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
            let users = try await harness.store.users()
            XCTAssertEqual(users.map(\.email), ["owner@example.com", "bea@example.com"])
            let owner = try XCTUnwrap(users.first)
            response = try await Self.post(
                client, "/dashboard/users/\(owner.id)/disable", "csrf=\(csrf)", cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("at%20least%20one%20owner") ?? false)
            let bea = try XCTUnwrap(users.last)
            response = try await Self.post(client, "/dashboard/users/\(bea.id)/disable", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
        }
        let remaining = try await harness.store.users().map(\.email)
        XCTAssertEqual(remaining, ["owner@example.com"])
    }

    func testAReplyIsMarkedRead() async throws {
        let harness = self.harness!
        _ = try await harness.invoice()
        _ = try await harness.inbound.receive(
            InboundText(from: "+33612345678", to: nil, body: "Je paie vendredi", provider: "test"))
        var summary = try await harness.store.dashboardSummary(today: CalendarDate(iso: "2026-03-03")!)
        XCTAssertEqual(summary.unreadReplies, 1)
        let replies = try await harness.store.recentReplies(limit: 1)
        let reply = try XCTUnwrap(replies.first)
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            let page = try await client.execute(uri: "/dashboard/requests", method: .get, headers: [.cookie: cookie])
                .text
            XCTAssertTrue(page.contains("Je paie vendredi"))
            let response = try await Self.post(
                client, "/dashboard/replies/\(reply.id)/read", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(response.status, .seeOther)
        }
        summary = try await harness.store.dashboardSummary(today: CalendarDate(iso: "2026-03-03")!)
        XCTAssertEqual(summary.unreadReplies, 0)
    }
}

extension DashboardTests {
    func testATestTextGoesThroughTheOutboxAndTheSettingsShowHowTextsFare() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            var response = try await Self.post(
                client, "/dashboard/settings/test-sms", "csrf=\(csrf)&phone=hello", cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("No%20test%20sent") ?? false)
            response = try await Self.post(
                client, "/dashboard/settings/test-sms", "csrf=\(csrf)&phone=%2B33+6+98+76+54+32", cookie: cookie)
            XCTAssertTrue(response.headers[.location]?.contains("Test%20text%20queued") ?? false)
            let claimed = try await harness.store.claimNextMessage(now: harness.clock.now)
            XCTAssertEqual(claimed?.recipient, "+33698765432")
            XCTAssertEqual(claimed?.body, "Atelier Martin: test message from Relance. No reply needed.")
            if let claimed {
                try await harness.store.recordSendResult(
                    messageID: claimed.id, .permanentFailure(provider: "kannel", reason: "HTTP 403: bad credentials"),
                    attempts: 1, now: harness.clock.now)
            }
            let page = try await client.execute(uri: "/dashboard/settings", method: .get, headers: [.cookie: cookie])
                .text
            XCTAssertTrue(page.contains("<td>text</td><td>kannel</td><td>failed</td><td class=\"num\">1</td>"), page)
            XCTAssertTrue(page.contains("HTTP 403: bad credentials"))
        }
    }
}

extension DashboardTests {
    static func multipart(_ fields: [(String, String?, [UInt8])]) -> (String, ByteBuffer) {
        let boundary = "----relance-test-boundary"
        var body: [UInt8] = []
        for (name, filename, bytes) in fields {
            var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
            if let filename { header += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            body += Array((header + "\r\n\r\n").utf8) + bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(bytes: body))
    }

    func testALogoIsUploadedCheckedByItsBytesAndShownToCustomers() async throws {
        let harness = self.harness!
        let (_, link) = try await harness.invoice()
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 200)
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            func upload(_ fields: [(String, String?, [UInt8])]) async throws -> TestResponse {
                let (type, body) = Self.multipart(fields)
                return try await client.execute(
                    uri: "/dashboard/settings/logo", method: .post, headers: [.contentType: type, .cookie: cookie],
                    body: body)
            }
            var response = try await upload([("logo", "a.png", png)])
            XCTAssertEqual(response.status, .forbidden, "no CSRF token")
            response = try await upload([
                ("csrf", nil, Array(csrf.utf8)), ("logo", "evil.png", Array("<svg onload=alert(1)>".utf8)),
            ])
            XCTAssertTrue(response.headers[.location]?.contains("only%20PNG%20and%20JPEG") ?? false)
            response = try await upload([
                ("csrf", nil, Array(csrf.utf8)), ("logo", "big.png", png + Array(repeating: 0, count: 70_000)),
            ])
            XCTAssertTrue(response.headers[.location]?.contains("over%2064%20KB") ?? false)
            response = try await upload([
                ("csrf", nil, Array(csrf.utf8)), ("logo", "huge.png", png + Array(repeating: 0, count: 200_000)),
            ])
            XCTAssertEqual(response.status, .contentTooLarge)
            var stored = try await harness.store.logo()
            XCTAssertNil(stored)

            response = try await upload([("csrf", nil, Array(csrf.utf8)), ("logo", "logo.png", png)])
            XCTAssertTrue(response.headers[.location]?.contains("Logo%20saved") ?? false)
            stored = try await harness.store.logo()
            XCTAssertEqual(stored, Logo(bytes: png, mediaType: "image/png"))
            let page = try await get(client, "/p/" + link.token).text
            let src = try XCTUnwrap(page.firstMatch(of: /<img class="logo" src="(\/logo\?v=[0-9a-f]{12})"/)?.1)
            let image = try await client.execute(uri: String(src), method: .get)
            XCTAssertEqual(image.headers[.contentType], "image/png")
            XCTAssertEqual(Array(image.body.readableBytesView), png)
            XCTAssertEqual(image.headers[HTTPField.Name("X-Content-Type-Options")!], "nosniff")

            response = try await upload([("csrf", nil, Array(csrf.utf8)), ("remove", nil, Array("1".utf8))])
            XCTAssertTrue(response.headers[.location]?.contains("Logo%20removed") ?? false)
            let gone = try await client.execute(uri: "/logo", method: .get)
            XCTAssertEqual(gone.status, .notFound)
        }
    }
}

extension DashboardTests {
    func testTheOwnerEditsAnEmailSubjectAndTextWithAPreviewAndBrokenTagsAreRefused() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            let list = try await client.execute(uri: "/dashboard/templates", method: .get, headers: [.cookie: cookie])
            XCTAssertTrue(list.text.contains(#"id="email-templates""#))
            XCTAssertTrue(list.text.contains("Dernier rappel : facture F-2026-00042 impayée"), list.text)
            XCTAssertTrue(list.text.contains("not set up, so email stages are skipped"))
            let path = "/dashboard/email-templates/late/fr"
            let page = try await client.execute(uri: path + "?combined=0", method: .get, headers: [.cookie: cookie])
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Facture {{invoice_number}} en attente de règlement"), page.text)

            let broken = try await Self.post(
                client, path, "csrf=\(csrf)&combined=0&action=save&subject=Facture+%7B%7Binvoice_nmber%7D%7D&body=x",
                cookie: cookie)
            XCTAssertEqual(broken.status, .unprocessableContent)
            XCTAssertTrue(broken.text.contains("Subject: line 1, column 9: unknown variable"), broken.text)
            let preview = try await Self.post(
                client, path,
                "csrf=\(csrf)&combined=0&action=preview&subject=Rappel+%7B%7Binvoice_number%7D%7D&body=Bonjour+%7B%7Bcustomer_name%7D%7D",
                cookie: cookie)
            XCTAssertEqual(preview.status, .ok)
            XCTAssertTrue(preview.text.contains(#"id="preview-subject">Rappel F-2026-00042<"#), preview.text)
            XCTAssertTrue(preview.text.contains("the customer cannot pay from the email"))
            let saved = try await Self.post(
                client, path,
                "csrf=\(csrf)&combined=0&action=save&subject=Rappel+%7B%7Binvoice_number%7D%7D&body=Bonjour+%7B%7Bcustomer_name%7D%7D+%7B%7Blink%7D%7D",
                cookie: cookie)
            XCTAssertEqual(saved.status, .seeOther)
        }
        let template = try await harness.store.emailTemplate(stage: "late", language: .fr, combined: false)
        XCTAssertEqual(template.subject.source, "Rappel {{invoice_number}}")
        XCTAssertEqual(template.body.source, "Bonjour {{customer_name}} {{link}}")
        let untouched = try await harness.store.emailTemplate(stage: "late", language: .fr, combined: true)
        XCTAssertEqual(untouched.subject.source, "{{invoice_count}} factures en attente de règlement")
    }
}

extension DashboardTests {
    func testTheSettingsShowEachWebhookDeliveryAndOneCanBeSentAgain() async throws {
        let harness = self.harness!
        _ = try await harness.store.createWebhookEndpoint(
            url: "https://erp.example.com/relance", events: ["invoice.voided"], description: nil, now: harness.clock.now
        )
        let (invoice, _) = try await harness.invoice()
        _ = try await harness.store.voidInvoice(id: invoice.id, now: harness.clock.now)
        let claimed = try await harness.store.claimNextDelivery(now: harness.clock.now)
        let delivery = try XCTUnwrap(claimed)
        try await harness.store.recordDeliveryAttempt(
            deliveryID: delivery.id, attempts: 8, statusCode: 503, error: nil, milliseconds: 12, now: harness.clock.now)
        try await harness.app.test(.router) { client in
            let (cookie, csrf) = try await Self.signIn(client, harness)
            let page = try await client.execute(uri: "/dashboard/settings", method: .get, headers: [.cookie: cookie])
                .text
            XCTAssertTrue(page.contains("https://erp.example.com/relance"), page)
            XCTAssertTrue(page.contains(#"<span class="tag late">failed</span>"#), page)
            XCTAssertTrue(page.contains("HTTP 503"))
            XCTAssertTrue(page.contains("Email is not set up (RELANCE_SMTP_URL)"))
            let replay = try await Self.post(
                client, "/dashboard/webhook-deliveries/\(delivery.id)/replay", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(replay.status, .seeOther)
            // The voided invoice has no reminders to pause: the page says so.
            let pause = try await Self.post(
                client, "/dashboard/invoices/\(invoice.id)/pause", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(pause.status, .seeOther)
            XCTAssertTrue(pause.headers[.location]?.contains("Nothing%20to%20pause") == true, "\(pause.headers)")
            let missing = try await Self.post(
                client, "/dashboard/webhook-deliveries/999/replay", "csrf=\(csrf)", cookie: cookie)
            XCTAssertEqual(missing.status, .notFound)
        }
        let status = try await harness.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT status FROM webhook_delivery")
        }
        XCTAssertEqual(status, "pending", "queued to go again")
    }
}
