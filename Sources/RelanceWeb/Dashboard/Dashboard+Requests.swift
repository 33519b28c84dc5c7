import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// The inbox: customers' plan proposals and questions to answer, and the texts they sent back.
extension Dashboard {
    /// `GET /dashboard/requests`
    @Sendable func requests(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let pending = try await store.requests(status: .pending, beforeID: nil, limit: 100)
        let recent = try await store.requests(status: nil, beforeID: nil, limit: 30).filter { $0.status != .pending }
        let replies = try await store.recentReplies(limit: 30)
        let zone = try await businessZone()
        func describe(_ item: CustomerRequest) -> [String: Any] {
            let money = { (minor: Int64) in Format.amount(Money(minorUnits: minor, currency: item.currency), .en) }
            return [
                "id": item.id, "plan": item.kind == .plan, "question": item.kind == .question,
                "invoice": item.invoiceNumber, "invoice_link": "/dashboard/invoices/\(item.invoiceID)",
                "customer": item.customerName, "created": Dashboard.localTime(item.createdAt, zone),
                "message": item.message ?? "", "contact": item.contact?.rawValue ?? "",
                "callback": item.callback?.rawValue ?? "", "status": item.status.rawValue, "answer": item.answer ?? "",
                "schedule": item.schedule.enumerated().map { index, instalment -> [String: Any] in
                    ["position": index + 1, "due": instalment.dueOn.iso, "amount": money(instalment.amount)]
                },
                // The proposal as editable lines, for "accept with changes".
                "schedule_text": item.schedule.map {
                    "\($0.dueOn.iso) \(Format.typedAmount(Money(minorUnits: $0.amount, currency: item.currency), .en))"
                }.joined(separator: "\n"),
                "total": money(item.schedule.reduce(0) { $0 + $1.amount }),
            ]
        }
        return views.page(
            "requests",
            [
                "section": "requests", "pending": pending.map(describe), "none_pending": pending.isEmpty,
                "recent": recent.map(describe),
                "notice": request.uri.queryParameters["notice"].map(String.init) ?? "",
                "replies": replies.map { reply -> [String: Any] in
                    [
                        "from": reply.from, "customer": reply.customerName ?? "unknown number", "body": reply.body,
                        "keyword": reply.keyword, "received": Dashboard.localTime(reply.receivedAt, zone),
                        "stop": reply.keyword == "stop", "id": reply.id, "read": reply.read || reply.keyword != "other",
                    ]
                },
            ], session: session)
    }

    func requestID(_ context: AppRequestContext) throws -> Int64 {
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else { throw HTTPError(.notFound) }
        return id
    }

    /// `POST /dashboard/requests/{id}/accept` — optional `schedule` lines (`YYYY-MM-DD amount`) and `message`.
    @Sendable func accept(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let id = try requestID(context)
        let stored = try await store.request(id: id)
        var schedule: [Instalment]?
        let text = (fields["schedule"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let proposed = stored.schedule.map {
            "\($0.dueOn.iso) \(Format.typedAmount(Money(minorUnits: $0.amount, currency: stored.currency), .en))"
        }.joined(separator: "\n")
        if !text.isEmpty, text.replacingOccurrences(of: "\r", with: "") != proposed {
            var parsed: [Instalment] = []
            for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
                let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let day = CalendarDate(iso: parts[0]),
                    let amount = TypedAmount.parse(parts[1], currency: stored.currency)
                else {
                    return redirect(
                        "/dashboard/requests", notice: "Line \(index + 1) of the schedule is not 'YYYY-MM-DD amount'.")
                }
                parsed.append(Instalment(dueOn: day, amount: amount))
            }
            schedule = parsed
        }
        return try await answer(id, .accept(schedule), fields: fields, context: context)
    }

    /// `POST /dashboard/requests/{id}/decline` — optional `message`.
    @Sendable func decline(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        return try await answer(try requestID(context), .decline, fields: fields, context: context)
    }

    /// `POST /dashboard/requests/{id}/reply` — `message` required.
    @Sendable func reply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let message = (fields["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !message.isEmpty else { return redirect("/dashboard/requests", notice: "Write the answer first.") }
        return try await answer(try requestID(context), .reply, fields: fields, context: context)
    }

    func answer(_ id: Int64, _ answer: RequestAnswer, fields: FormFields, context: AppRequestContext) async throws
        -> Response
    {
        let session = try await session(context)
        let message = (fields["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard message.unicodeScalars.count <= API.answerLimit else {
            return redirect("/dashboard/requests", notice: "The answer is limited to \(API.answerLimit) characters.")
        }
        guard !PlainText.hasControlCharacters(message, allowingLineBreaks: true) else {
            return redirect("/dashboard/requests", notice: "The answer holds a control character; type it again.")
        }
        let library = self.library
        let now = settings.clock.now()
        do {
            let outcome: RequestStatus =
                switch answer {
                case .accept: .accepted
                case .decline: .declined
                case .reply: .answered
                }
            let answered = try await store.answerRequest(
                id: id, answer, message: message.isEmpty ? nil : message, now: now, today: try await today(),
                links: linkSettings,
                audit: session.audit("request.\(outcome.rawValue)", detail: message.isEmpty ? nil : message, at: now)
            ) { notice in library.requestNotice(notice) }
            return redirect(
                "/dashboard/requests",
                notice: "Request \(id) \(answered.status.rawValue); the customer is told by text.")
        } catch let error as RequestAnswerError {
            let stored = try await store.request(id: id)
            return redirect(
                "/dashboard/requests", notice: "Not done: " + Problem(error, currency: stored.currency).detail)
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
    }
}
