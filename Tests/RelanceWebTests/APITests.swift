import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceServices
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

final class APITests: HarnessTestCase {
    static let validInvoice = """
        {"number": "F-2026-0100", "customer": {"name": "Camille Durand", "phone": "+33612345678",
         "email": "camille@example.com", "locale": "fr", "time_zone": "Europe/Paris", "external_ref": "C-17"},
         "currency": "EUR", "amount": 123456, "issued_on": "2026-02-01", "due_on": "2026-02-26",
         "external_ref": "INV-100"}
        """

    func testEveryAPIRouteNeedsAValidKey() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let routes: [(HTTPRequest.Method, String)] = [
            (.post, "/api/v1/invoices"), (.get, "/api/v1/invoices"), (.get, "/api/v1/invoices/1"),
            (.post, "/api/v1/invoices/1/links"), (.post, "/api/v1/invoices/1/payments"),
            (.get, "/api/v1/invoices/1/payments"), (.post, "/api/v1/invoices/1/void"),
            (.get, "/api/v1/invoices/1/messages"), (.post, "/api/v1/invoices/1/remind"), (.get, "/api/v1/policy"),
            (.put, "/api/v1/policy"), (.get, "/api/v1/templates"), (.put, "/api/v1/templates/due/sms/fr"),
            (.get, "/api/v1/sending-rules"), (.put, "/api/v1/sending-rules"), (.get, "/api/v1/requests"),
            (.get, "/api/v1/requests/1"), (.post, "/api/v1/requests/1/accept"), (.post, "/api/v1/requests/1/decline"),
            (.post, "/api/v1/requests/1/reply"), (.get, "/api/v1/invoices/1/plan"),
            (.get, "/api/v1/invoices/1/history"),
            (.post, "/api/v1/invoices/1/pause"), (.post, "/api/v1/invoices/1/resume"), (.get, "/api/v1/plan-settings"),
            (.put, "/api/v1/plan-settings"),
        ]
        try await harness.app.test(.router) { client in
            for (method, path) in routes {
                for header in [nil, "Bearer nope", "Bearer " + key + "x", "Basic " + key, key] as [String?] {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let header { headers[.authorization] = header }
                    let response = try await client.execute(
                        uri: path, method: method, headers: headers, body: ByteBuffer(string: Self.validInvoice))
                    XCTAssertEqual(response.status, .unauthorized, "\(method) \(path) with \(header ?? "nothing")")
                    XCTAssertEqual(response.headers[.contentType], "application/problem+json")
                    XCTAssertNotNil(response.headers[.wwwAuthenticate])
                }
            }
        }
        let invoices = try await harness.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice")
        }
        XCTAssertEqual(invoices, 0)
    }

    func testCreateAnInvoiceAndReadItBack() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        try await harness.app.test(.router) { client in
            let created = try await client.api(key, .post, "/api/v1/invoices", Self.validInvoice)
            XCTAssertEqual(created.status, .created)
            let invoice = try created.json()
            XCTAssertEqual(invoice["number"] as? String, "F-2026-0100")
            XCTAssertEqual(invoice["status"] as? String, "open")
            XCTAssertEqual(invoice["currency"] as? String, "EUR")
            XCTAssertEqual(invoice["amount"] as? Int, 123_456)
            XCTAssertEqual(invoice["balance"] as? Int, 123_456)
            XCTAssertEqual(invoice["due_on"] as? String, "2026-02-26")
            XCTAssertEqual(invoice["days_overdue"] as? Int, 5)  // pinned to 3 March
            XCTAssertEqual(invoice["clicks"] as? Int, 0)
            let id = try XCTUnwrap(invoice["id"] as? Int)
            let fetched = try await client.api(key, .get, "/api/v1/invoices/\(id)")
            XCTAssertEqual(fetched.status, .ok)
            XCTAssertEqual(try fetched.json()["number"] as? String, "F-2026-0100")
            let missing = try await client.api(key, .get, "/api/v1/invoices/999999")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual(missing.headers[.contentType], "application/problem+json")
            let nonsense = try await client.api(key, .get, "/api/v1/invoices/abc")
            XCTAssertEqual(nonsense.status, .notFound)
        }
    }

    func testBadInvoicesAreRefusedWithTheFieldNamedAndNothingWritten() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        func replacing(_ old: String, _ new: String) -> String {
            Self.validInvoice.replacingOccurrences(of: old, with: new)
        }
        let cases: [(body: String, status: HTTPResponse.Status, field: String?)] = [
            (replacing("\"amount\": 123456", "\"amount\": -5"), .unprocessableContent, "amount"),
            (replacing("\"amount\": 123456", "\"amount\": 0"), .unprocessableContent, "amount"),
            (replacing("\"amount\": 123456", "\"amount\": 12.5"), .unprocessableContent, "amount"),
            (replacing("\"amount\": 123456", "\"amount\": 99999999999999999999999"), .unprocessableContent, "amount"),
            (replacing("\"amount\": 123456", "\"amount\": 1000000000000000001"), .unprocessableContent, "amount"),
            (replacing("\"amount\": 123456", "\"amount\": \"100\""), .unprocessableContent, "amount"),
            (replacing("\"amount\": 123456,", ""), .unprocessableContent, "amount"),
            (replacing("\"EUR\"", "\"EUX\""), .unprocessableContent, "currency"),
            (replacing("\"EUR\"", "\"eur\""), .unprocessableContent, "currency"),
            (replacing("\"EUR\"", "978"), .unprocessableContent, "currency"),
            (replacing("2026-02-26", "2026-02-30"), .unprocessableContent, "due_on"),
            (replacing("2026-02-26", "26/02/2026"), .unprocessableContent, "due_on"),
            (replacing("2026-02-26", "2026-01-15"), .unprocessableContent, "due_on"),
            (replacing("\"issued_on\": \"2026-02-01\",", ""), .unprocessableContent, "issued_on"),
            (replacing("+33612345678", "06 12 34 56 78"), .unprocessableContent, "customer.phone"),
            (replacing("+33612345678", "+0612345678"), .unprocessableContent, "customer.phone"),
            (replacing("camille@example.com", "not-an-email"), .unprocessableContent, "customer.email"),
            (replacing("Europe/Paris", "Mars/Olympus"), .unprocessableContent, "customer.time_zone"),
            (replacing("\"Camille Durand\"", "\"\""), .unprocessableContent, "customer.name"),
            (replacing("\"Camille Durand\"", "42"), .unprocessableContent, "customer.name"),
            (replacing("\"F-2026-0100\"", "\"\(String(repeating: "9", count: 65))\""), .unprocessableContent, "number"),
            (replacing("\"F-2026-0100\"", "\"F\\u0000X\""), .unprocessableContent, "number"),
            (replacing("\"F-2026-0100\"", "null"), .unprocessableContent, "number"),
            (
                #"{"number": "F-1", "customer": "Camille", "currency": "EUR", "amount": 1, "issued_on": "2026-01-01", "due_on": "2026-01-02"}"#,
                .unprocessableContent, "customer"
            ),
            // No customer object at all, or null: the rule's "customer is required", not a decoding error.
            (
                #"{"number": "F-1", "currency": "EUR", "amount": 1, "issued_on": "2026-01-01", "due_on": "2026-01-02"}"#,
                .unprocessableContent, "customer"
            ),
            (replacing(#""customer": {"#, #""customer": null, "ignored": {"#), .unprocessableContent, "customer"),
            ("{}", .unprocessableContent, "number"),
            ("[]", .unprocessableContent, nil),
            ("{\"number\": ", .badRequest, nil),
            ("not json at all", .badRequest, nil),
            ("", .badRequest, nil),
        ]
        try await harness.app.test(.router) { client in
            for (body, status, field) in cases {
                let response = try await client.api(key, .post, "/api/v1/invoices", body)
                XCTAssertEqual(response.status, status, body)
                XCTAssertEqual(response.headers[.contentType], "application/problem+json", body)
                let problem = try response.json()
                XCTAssertEqual(problem["status"] as? Int, Int(status.code))
                if let field {
                    let fields = (problem["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
                    XCTAssertTrue(fields.contains(field), "\(field) not named for \(body): \(problem)")
                }
            }
            // Invalid UTF-8 inside a string.
            var bytes = ByteBuffer(string: #"{"number": "F-"#)
            bytes.writeBytes([0xFF, 0xFE])
            bytes.writeString(#""}"#)
            let invalid = try await client.execute(
                uri: "/api/v1/invoices", method: .post,
                headers: [.authorization: "Bearer \(key)", .contentType: "application/json"], body: bytes)
            XCTAssertEqual(invalid.status, .badRequest)
            // Not JSON at all.
            let xml = try await client.execute(
                uri: "/api/v1/invoices", method: .post,
                headers: [.authorization: "Bearer \(key)", .contentType: "application/xml"],
                body: ByteBuffer(string: "<a/>"))
            XCTAssertEqual(xml.status, .unsupportedMediaType)
            // 2 MB.
            let huge = #"{"number": ""# + String(repeating: "x", count: 2 << 20) + #""}"#
            let tooLarge = try await client.api(key, .post, "/api/v1/invoices", huge)
            XCTAssertEqual(tooLarge.status, .contentTooLarge)
            XCTAssertEqual(tooLarge.headers[.contentType], "application/problem+json")
        }
        let rows = try await harness.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT COUNT(*) FROM invoice) + (SELECT COUNT(*) FROM customer)")
        }
        XCTAssertEqual(rows, 0, "a refused request left rows behind")
    }

    func testDuplicateNumbersAnswer409AndMarkupIsKeptAsText() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let markup = Self.validInvoice.replacingOccurrences(of: "Camille Durand", with: "<script>alert(1)</script>")
        try await harness.app.test(.router) { client in
            let first = try await client.api(key, .post, "/api/v1/invoices", markup)
            XCTAssertEqual(first.status, .created)
            let customer = try XCTUnwrap(try first.json()["customer"] as? [String: Any])
            XCTAssertEqual(customer["name"] as? String, "<script>alert(1)</script>")
            let again = try await client.api(key, .post, "/api/v1/invoices", Self.validInvoice)
            XCTAssertEqual(again.status, .conflict)
            XCTAssertTrue(
                try again.json()["detail"] as? String ?? ""
                    == "number: an invoice numbered 'F-2026-0100' already exists")
        }
    }

    func testListFiltersByStatusAndPagesWithACursor() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        var ids: [Int64] = []
        for index in 0..<5 {
            let (invoice, _) = try await harness.invoice(number: "F-\(index)", amount: 1_000)
            ids.append(invoice.id)
        }
        let now = harness.clock.now
        _ = try await harness.store.recordPayment(
            invoiceID: ids[1], NewPayment(amount: 1_000, method: .cash, reference: nil, receivedAt: now), now: now)
        _ = try await harness.store.voidInvoice(id: ids[2], now: now)
        try await harness.app.test(.router) { client in
            func numbers(_ path: String) async throws -> ([String], String?) {
                let response = try await client.api(key, .get, path)
                XCTAssertEqual(response.status, .ok, path)
                let json = try response.json()
                let data = json["data"] as? [[String: Any]] ?? []
                return (data.compactMap { $0["number"] as? String }, json["next_after"] as? String)
            }
            let open = try await numbers("/api/v1/invoices?status=open")
            XCTAssertEqual(open.0, ["F-0", "F-3", "F-4"])
            let paid = try await numbers("/api/v1/invoices?status=paid")
            XCTAssertEqual(paid.0, ["F-1"])
            let void = try await numbers("/api/v1/invoices?status=void")
            XCTAssertEqual(void.0, ["F-2"])
            let first = try await numbers("/api/v1/invoices?limit=2")
            XCTAssertEqual(first.0, ["F-0", "F-1"])
            let cursor = try XCTUnwrap(first.1)
            let second = try await numbers("/api/v1/invoices?limit=2&after=\(cursor)")
            XCTAssertEqual(second.0, ["F-2", "F-3"])
            let last = try await numbers("/api/v1/invoices?limit=2&after=\(try XCTUnwrap(second.1))")
            XCTAssertEqual(last.0, ["F-4"])
            XCTAssertNil(last.1)
            for bad in ["status=unpaid", "limit=0", "limit=1000", "limit=x", "after=-1", "after=abc"] {
                let response = try await client.api(key, .get, "/api/v1/invoices?" + bad)
                XCTAssertEqual(response.status, .badRequest, bad)
            }
        }
    }

    func testLinksOpenTheInvoicePage() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, _) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let created = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/links", "")
            XCTAssertEqual(created.status, .created)
            let link = try created.json()
            let url = try XCTUnwrap(link["url"] as? String)
            let token = try XCTUnwrap(link["token"] as? String)
            XCTAssertEqual(url, "https://pay.example.com/p/" + token)
            XCTAssertLessThanOrEqual(token.count, 32)
            XCTAssertEqual(link["expires_at"] as? String, "2026-05-12T22:00:00Z")  // end of 13 March + 60 days, Paris
            let page = try await client.execute(
                uri: "/p/" + token, method: .get, headers: [.userAgent: Harness.iPhone], body: nil)
            XCTAssertTrue(page.text.contains("F-2026-0042"))

            let chosen = try await client.api(
                key, .post, "/api/v1/invoices/\(invoice.id)/links", #"{"expires_at": "2026-03-04T12:00:00+01:00"}"#)
            XCTAssertEqual(try chosen.json()["expires_at"] as? String, "2026-03-04T11:00:00Z")
            for (body, field) in [
                (#"{"expires_at": "tomorrow"}"#, "expires_at"),
                (#"{"expires_at": "2020-01-01T00:00:00Z"}"#, "expires_at"),
                (#"{"expires_at": "2099-01-01T00:00:00Z"}"#, "expires_at"), (#"{"expires_at": 5}"#, "expires_at"),
            ] {
                let response = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/links", body)
                XCTAssertEqual(response.status, .unprocessableContent, body)
                XCTAssertTrue((try response.json()["detail"] as? String ?? "").hasPrefix(field), body)
            }
            let missing = try await client.api(key, .post, "/api/v1/invoices/424242/links", "")
            XCTAssertEqual(missing.status, .notFound)
        }
    }

    func testPaymentsAreIdempotentRefuseOverpaymentAndAFullPaymentMarksPaid() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, link) = try await harness.invoice(amount: 10_000)
        let path = "/api/v1/invoices/\(invoice.id)/payments"
        try await harness.app.test(.router) { client in
            let body =
                #"{"amount": 4000, "method": "card", "reference": "ch_123", "received_at": "2026-03-02T10:00:00Z"}"#
            let first = try await client.api(key, .post, path, body, idempotencyKey: "pay-1")
            XCTAssertEqual(first.status, .created)
            let retry = try await client.api(key, .post, path, body, idempotencyKey: "pay-1")
            XCTAssertEqual(retry.status, .created)
            XCTAssertEqual(retry.text, first.text)
            XCTAssertEqual(retry.headers[.idempotentReplayed], "true")
            let changed = try await client.api(
                key, .post, path, body.replacingOccurrences(of: "4000", with: "4001"), idempotencyKey: "pay-1")
            XCTAssertEqual(changed.status, .conflict)

            let duplicateReference = try await client.api(key, .post, path, body, idempotencyKey: "pay-2")
            XCTAssertEqual(duplicateReference.status, .conflict)

            let over = try await client.api(key, .post, path, #"{"amount": 6001, "method": "transfer"}"#)
            XCTAssertEqual(over.status, .conflict, "well formed, but more than the invoice holds now")
            XCTAssertTrue((try over.json()["detail"] as? String ?? "").contains("exceeds the balance of 6000"))
            for bad in [
                #"{"amount": 0, "method": "card"}"#, #"{"amount": -1, "method": "card"}"#,
                #"{"amount": 1.5, "method": "card"}"#,
                #"{"amount": 100, "method": "bitcoin"}"#, #"{"amount": 100}"#,
                #"{"amount": 100, "method": "card", "received_at": "2027-01-01T00:00:00Z"}"#,
                #"{"amount": 100, "method": "card", "received_at": "yesterday"}"#,
            ] {
                let response = try await client.api(key, .post, path, bad)
                XCTAssertEqual(response.status, .unprocessableContent, bad)
            }
            let rest = try await client.api(key, .post, path, #"{"amount": 6000, "method": "transfer"}"#)
            XCTAssertEqual(rest.status, .created)
            let result = try rest.json()
            let paid = try XCTUnwrap(result["invoice"] as? [String: Any])
            XCTAssertEqual(paid["status"] as? String, "paid")
            XCTAssertEqual(paid["balance"] as? Int, 0)
            XCTAssertNotNil(paid["paid_at"] as? String)
            let afterPaid = try await client.api(key, .post, path, #"{"amount": 1, "method": "cash"}"#)
            XCTAssertEqual(afterPaid.status, .conflict)
            let allowed = try await client.api(
                key, .post, path, #"{"amount": 1, "method": "cash", "allow_overpayment": true}"#)
            XCTAssertEqual(allowed.status, .created)

            let page = try await client.execute(
                uri: "/p/" + link.token, method: .get, headers: [.userAgent: Harness.iPhone], body: nil)
            XCTAssertTrue(page.text.contains("Réglée en totalité"))
            let list = try await client.api(key, .get, path)
            XCTAssertEqual((try list.json()["data"] as? [Any])?.count, 3)
        }
        let payments = try await harness.store.payments(invoiceID: invoice.id)
        XCTAssertEqual(payments.map(\.amount), [4_000, 6_000, 1])
    }

    func testVoidStopsTheInvoice() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            let voided = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/void", "")
            XCTAssertEqual(voided.status, .ok)
            XCTAssertEqual(try voided.json()["status"] as? String, "void")
            let again = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/void", "")
            XCTAssertEqual(again.status, .ok)
            let payment = try await client.api(
                key, .post, "/api/v1/invoices/\(invoice.id)/payments", #"{"amount": 1, "method": "cash"}"#)
            XCTAssertEqual(payment.status, .conflict)
            let newLink = try await client.api(key, .post, "/api/v1/invoices/\(invoice.id)/links", "")
            XCTAssertEqual(newLink.status, .conflict)
            let page = try await client.execute(
                uri: "/p/" + link.token, method: .get, headers: [.userAgent: Harness.iPhone], body: nil)
            XCTAssertTrue(page.text.contains("annulée"))
        }
    }

    func testClicksShowOnTheInvoiceResource() async throws {
        let harness = self.harness!
        let key = try await harness.apiKey()
        let (invoice, link) = try await harness.invoice()
        try await harness.app.test(.router) { client in
            for agent in [Harness.iPhone, Harness.iPhone, "WhatsApp/2.0"] {
                _ = try await client.execute(
                    uri: "/p/" + link.token, method: .get, headers: [.userAgent: agent], body: nil)
            }
            harness.clicks.flush()
            let resource = try await client.api(key, .get, "/api/v1/invoices/\(invoice.id)")
            XCTAssertEqual(try resource.json()["clicks"] as? Int, 2)
        }
        XCTAssertFalse(harness.logs.all.contains(key), "the API key was logged")
    }
}

extension TestClientProtocol {
    func api(
        _ key: String, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil,
        idempotencyKey: String? = nil
    )
        async throws -> TestResponse
    {
        var headers: HTTPFields = [.authorization: "Bearer \(key)"]
        if body != nil { headers[.contentType] = "application/json" }
        if let idempotencyKey { headers[.idempotencyKey] = idempotencyKey }
        return try await execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: body))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(String(buffer: body))")
    }
}
