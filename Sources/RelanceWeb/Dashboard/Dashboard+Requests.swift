import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
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
        let t = session.t
        func describe(_ item: CustomerRequest) -> [String: Any] {
            let money = { (minor: Int64) in t.amount(Money(minorUnits: minor, currency: item.currency)) }
            // "Sent …; reply by …; call back in the …", each part a phrase, joined as the language writes it.
            var sent = t("dash.requests.sent", Dashboard.localTime(item.createdAt, zone))
            if let contact = item.contact { sent = t("dash.requests.then", sent, Dashboard.replyBy(contact, t)) }
            if let callback = item.callback { sent = t("dash.requests.then", sent, Dashboard.callBack(callback, t)) }
            return [
                "id": item.id, "plan": item.kind == .plan, "question": item.kind == .question,
                "invoice": item.invoiceNumber, "invoice_link": "/dashboard/invoices/\(item.invoiceID)",
                "customer": item.customerName, "customer_colon": t("dash.requests.colon", item.customerName),
                "sent": sent, "message": item.message ?? "", "status": Dashboard.requestStatus(item.status, t),
                "answer": item.answer ?? "",
                "schedule": item.schedule.enumerated().map { index, instalment -> [String: Any] in
                    ["position": index + 1, "due": instalment.dueOn.iso, "amount": money(instalment.amount)]
                },
                // The proposal as editable lines, for "accept with changes".
                "schedule_text": Dashboard.scheduleText(item.schedule, item.currency, session.language),
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
                        "from": reply.from, "customer": reply.customerName ?? t("dash.requests.unknown_number"),
                        "colon": t("dash.requests.colon", ""), "body": reply.body,
                        "keyword": reply.keyword, "received": Dashboard.localTime(reply.receivedAt, zone),
                        "stop": reply.keyword == "stop", "id": reply.id, "read": reply.read || reply.keyword != "other",
                    ]
                },
            ], session: session)
    }

    /// A proposal's schedule as the lines "accept with changes" edits: `YYYY-MM-DD amount`, the amount
    /// typed as `language` writes it (`100.00`, `100,00`).
    static func scheduleText(_ schedule: [Instalment], _ currency: Currency, _ language: Language) -> String {
        schedule.map {
            "\($0.dueOn.iso) \(Format.typedAmount(Money(minorUnits: $0.amount, currency: currency), language))"
        }.joined(separator: "\n")
    }

    /// "reply by …": how the customer would like to hear back.
    static func replyBy(_ contact: ContactPreference, _ t: Words) -> String {
        switch contact {
        case .sms: t("dash.requests.reply_by.sms")
        case .phone: t("dash.requests.reply_by.phone")
        case .email: t("dash.requests.reply_by.email")
        }
    }

    /// "call back in the …": when the customer would like a call.
    static func callBack(_ time: CallbackTime, _ t: Words) -> String {
        switch time {
        case .morning: t("dash.requests.call_back.morning")
        case .midday: t("dash.requests.call_back.midday")
        case .afternoon: t("dash.requests.call_back.afternoon")
        case .evening: t("dash.requests.call_back.evening")
        }
    }

    /// Where a request stands, in a word.
    static func requestStatus(_ status: RequestStatus, _ t: Words) -> String {
        switch status {
        case .pending: t("dash.requests.status.pending")
        case .accepted: t("dash.requests.status.accepted")
        case .declined: t("dash.requests.status.declined")
        case .answered: t("dash.requests.status.answered")
        case .replaced: t("dash.requests.status.replaced")
        case .cancelled: t("dash.requests.status.cancelled")
        }
    }

    /// `POST /dashboard/requests/{id}/accept` — optional `schedule` lines (`YYYY-MM-DD amount`) and `message`.
    @Sendable func accept(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let id = try pathID(context)
        let stored = try await store.request(id: id)
        var schedule: [Instalment]?
        let text = (fields["schedule"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        // The lines as the page wrote them, in this person's language: unchanged means "as proposed".
        let proposed = Dashboard.scheduleText(stored.schedule, stored.currency, session.language)
        if !text.isEmpty, text.replacingOccurrences(of: "\r", with: "") != proposed {
            var parsed: [Instalment] = []
            for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
                let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let day = CalendarDate(iso: parts[0]),
                    let amount = TypedAmount.parse(parts[1], currency: stored.currency)
                else {
                    return redirect(
                        "/dashboard/requests", notice: session.t("dash.requests.bad_line", String(index + 1)))
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
        return try await answer(try pathID(context), .decline, fields: fields, context: context)
    }

    /// `POST /dashboard/requests/{id}/reply` — `message` required.
    @Sendable func reply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await form(request, context)
        let session = try await session(context)
        let message = (fields["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !message.isEmpty else {
            return redirect("/dashboard/requests", notice: session.t("dash.requests.answer_empty"))
        }
        return try await answer(try pathID(context), .reply, fields: fields, context: context)
    }

    func answer(_ id: Int64, _ answer: RequestAnswer, fields: FormFields, context: AppRequestContext) async throws
        -> Response
    {
        let session = try await session(context)
        let message = (fields["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard message.unicodeScalars.count <= API.answerLimit else {
            return redirect(
                "/dashboard/requests", notice: session.t("dash.requests.answer_long", String(API.answerLimit)))
        }
        guard !PlainText.hasControlCharacters(message, allowingLineBreaks: true) else {
            return redirect("/dashboard/requests", notice: session.t("dash.requests.answer_control"))
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
            let answered = try await settings.requests(store, at: now).answer(
                id: id, answer, message: message.isEmpty ? nil : message, today: try await today(),
                audit: session.audit("request.\(outcome.rawValue)", detail: message.isEmpty ? nil : message, at: now)
            ) { notice in library.requestNotice(notice) }
            let number = String(id)
            let done =
                switch answered.status {
                case .accepted: session.t("dash.requests.done.accepted", number)
                case .declined: session.t("dash.requests.done.declined", number)
                case .answered: session.t("dash.requests.done.answered", number)
                default:
                    session.t("dash.requests.done.other", number, Dashboard.requestStatus(answered.status, session.t))
                }
            return redirect("/dashboard/requests", notice: done)
        } catch let error as RequestAnswerError {
            let stored = try await store.request(id: id)
            return redirect(
                "/dashboard/requests",
                notice: session.t("dash.requests.not_done", Problem(error, currency: stored.currency).detail))
        } catch StoreError.notFound {
            throw HTTPError(.notFound)
        }
    }
}
