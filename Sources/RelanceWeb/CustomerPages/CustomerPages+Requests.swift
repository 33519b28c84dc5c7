import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore

/// "Propose a payment plan" and "ask a question", reached from the invoice or statement page. Both work
/// without JavaScript: the plan form posts back to itself to show the exact schedule, and only a
/// schedule the customer has seen can be sent.
extension CustomerPages {
    func addRequestRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(PublicURLs.Page.plan.route), use: planForm)
        router.post(RouterPath(PublicURLs.Page.plan.route), use: submitPlan)
        router.get(RouterPath(PublicURLs.Page.question.route), use: questionForm)
        router.post(RouterPath(PublicURLs.Page.question.route), use: submitQuestion)
    }

    /// Form bodies are small; anything bigger is not a person typing.
    static let formBodyLimit = 16 * 1024
    static let messageLimit = 1000

    /// The open invoice(s) a form is about: one for an invoice link, the open ones for a statement link.
    struct FormTarget {
        var token: String
        var linkID: Int64
        var business: Business
        var language: Language
        var today: CalendarDate
        var invoices: [StatementData.Line]
        var isStatement: Bool
        /// The business's rules for plans and its reply time, which every form shows.
        var plans: PlanSettings

        /// The invoice the customer picked (statement forms), else the only one.
        func invoice(number: String?) -> StatementData.Line {
            invoices.first { $0.number == number } ?? invoices[0]
        }
    }

    enum Resolution {
        case target(FormTarget)
        case answer(Response)
    }

    /// A valid link to something still open, or the response that explains why not.
    func resolveTarget(_ request: Request, context: AppRequestContext) async throws -> Resolution {
        let token = context.parameters.get(PublicURLs.tokenParameter) ?? ""
        let now = settings.clock.now()
        let acceptLanguage = request.headers[.acceptLanguage]
        let backToPage = Response(status: .seeOther, headers: [.location: PublicURLs.Page.invoice.path(token)])
        let link: SignedLink
        switch SignedLink.verify(token, keyring: settings.keyring, now: now) {
        case .invalid:
            return .answer(try unknownLink(request, context: context, acceptLanguage: acceptLanguage, now: now))
        case .expired:
            return .answer(backToPage)  // the page says it expired and offers a fresh link
        case .valid(let valid): link = valid
        }
        func target(
            _ business: Business, locale: String?, zone: String?, _ lines: [StatementData.Line], statement: Bool
        )
            async throws -> FormTarget
        {
            let language = Language.resolve(
                customerLocale: locale, acceptLanguage: acceptLanguage,
                fallback: Language(locale: business.defaultLocale) ?? .fr)
            let timeZone = timeZones.zone(zone) ?? timeZones.zone(business.timeZone) ?? .gmt
            return FormTarget(
                token: token, linkID: link.linkID, business: business, language: language,
                today: CalendarDate(instant: now, timeZone: timeZone), invoices: lines, isStatement: statement,
                plans: try await store.planSettings())
        }
        if let data = try store.pageData(linkID: link.linkID), data.expiresAt == link.expiresAt {
            guard !data.revoked, data.status == .open, data.balance.minorUnits > 0 else { return .answer(backToPage) }
            let line = StatementData.Line(
                invoiceID: data.invoiceID, number: data.number, balance: data.balance, dueOn: data.dueOn)
            return .target(
                try await target(
                    data.business, locale: data.customerLocale, zone: data.customerTimeZone, [line], statement: false))
        }
        if let data = try await store.statementData(linkID: link.linkID), data.expiresAt == link.expiresAt {
            guard !data.revoked, !data.lines.isEmpty else { return .answer(backToPage) }
            return .target(
                try await target(
                    data.business, locale: data.customerLocale, zone: data.customerTimeZone, data.lines, statement: true
                ))
        }
        return .answer(
            try unknownLink(request, context: context, acceptLanguage: acceptLanguage, now: now, limit: false))
    }

    /// The plan form as first shown: three monthly payments starting in a week.
    @Sendable func planForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let resolution = try await resolveTarget(request, context: context)
        guard case .target(let target) = resolution else { return resolution.response }
        let invoice = target.invoice(number: request.uri.queryParameters["invoice"].map(String.init))
        var input = PlanInput(
            invoiceNumber: target.isStatement ? invoice.number : nil, count: "3", frequency: .monthly,
            first: target.today.adding(days: 7).iso, note: "", contact: .sms, rows: [])
        let schedule = PaymentPlan.schedule(
            balance: invoice.balance.minorUnits, count: 3, frequency: .monthly, firstDate: target.today.adding(days: 7))
        input.rows = schedule.map {
            (
                $0.dueOn.iso,
                Format.typedAmount(Money(minorUnits: $0.amount, currency: invoice.balance.currency), target.language)
            )
        }
        return planPage(target, invoice, input, errors: [], notice: nil, status: .ok)
    }

    /// `POST /p/{token}/plan`: shows the schedule for the choices made, or sends a schedule the customer has seen.
    @Sendable func submitPlan(_ request: Request, context: AppRequestContext) async throws -> Response {
        let acceptance = try await acceptForm(request, context: context, purpose: "plan")
        guard case .accepted(let target, let fields) = acceptance else { return acceptance.response }
        let language = target.language
        let invoice = target.invoice(number: fields["invoice"])
        let currency = invoice.balance.currency
        let maximum = target.plans.limits.maximumInstalments
        var input = PlanInput(
            invoiceNumber: target.isStatement ? invoice.number : nil, count: (fields["count"] ?? "").trimmed,
            frequency: PlanFrequency(rawValue: fields["frequency"] ?? "") ?? .monthly,
            first: (fields["first"] ?? "").trimmed,
            note: PlainText.withoutControlCharacters(fields["note"] ?? "").trimmed,
            contact: ContactPreference(rawValue: fields["contact"] ?? "") ?? .sms, rows: [])
        var errors: [String] = []
        let count = Int(input.count).flatMap { (2...maximum).contains($0) ? $0 : nil }
        if count == nil { errors.append(library.phrase("plan_err_count", language, String(maximum))) }
        let first = CalendarDate(iso: input.first)
        if first == nil { errors.append(library.phrase("plan_err_first", language)) }
        // Counted as the database counts: in code points, not the Characters a combining accent joins.
        if input.note.unicodeScalars.count > CustomerPages.messageLimit {
            errors.append(library.phrase("plan_err_note", language, String(CustomerPages.messageLimit)))
        }

        // The rows shown last time are the schedule, unless the choices above them changed since.
        var schedule: [Instalment] = []
        var changed = false
        let shownRows = Int(fields["rows"] ?? "").map { min(max($0, 0), maximum) } ?? 0
        if fields["basis"] == input.basis, shownRows > 0 {
            var rowErrors: [String] = []
            for index in 1...shownRows {
                let date = (fields["date_\(index)"] ?? "").trimmed
                let amount = (fields["amount_\(index)"] ?? "").trimmed
                input.rows.append((date, amount))
                let day = CalendarDate(iso: date)
                let minor = TypedAmount.parse(amount, currency: currency)
                if day == nil { rowErrors.append(library.phrase("plan_err_date", language, String(index))) }
                if minor == nil { rowErrors.append(library.phrase("plan_err_amount", language, String(index))) }
                if let day, let minor { schedule.append(Instalment(dueOn: day, amount: minor)) }
            }
            errors += rowErrors
            if !rowErrors.isEmpty { schedule = [] }
        } else if let count, let first {
            schedule = PaymentPlan.schedule(
                balance: invoice.balance.minorUnits, count: count, frequency: input.frequency, firstDate: first)
            input.rows = schedule.map {
                ($0.dueOn.iso, Format.typedAmount(Money(minorUnits: $0.amount, currency: currency), language))
            }
            changed = fields["basis"] != nil
        }
        if errors.isEmpty, !schedule.isEmpty {
            errors += PaymentPlan.problems(
                schedule, balance: invoice.balance.minorUnits, today: target.today, limits: target.plans.limits
            ).map { problemText($0, currency: currency, language) }
        }
        let sending = fields["action"] == "send"
        guard sending, errors.isEmpty, !changed, !schedule.isEmpty else {
            let notice = sending && changed && errors.isEmpty ? library.phrase("plan_changed", language) : nil
            return planPage(
                target, invoice, input, errors: errors, notice: notice,
                status: errors.isEmpty ? .ok : .unprocessableContent)
        }
        let new = NewRequest(
            kind: .plan, invoiceID: invoice.invoiceID, linkID: target.linkID, schedule: schedule,
            message: input.note.isEmpty ? nil : input.note, contact: input.contact,
            ipHash: ipHash(context.clientAddress(request, trustForwardedFor: settings.trustForwardedFor)))
        let outcome = try await submit(new, target: target)
        switch outcome {
        case .created(let stored), .duplicate(let stored):
            let accepted = stored.status == .accepted
            var values = baseValues(target.business)
            values[.heading] = library.phrase(accepted ? "plan_accepted_heading" : "plan_sent_heading", language)
            values[.text] = library.phrase(accepted ? "plan_accepted_text" : "plan_sent_text", language)
            values[.schedule_rows] = readOnlyRows(stored.schedule, currency: currency, language)
            values[.back_href] = PublicURLs.Page.invoice.path(target.token)
            return page("request-sent", language, values, status: .ok)
        case .invalid(let problems):
            return planPage(
                target, invoice, input, errors: problems.map { problemText($0, currency: currency, language) },
                notice: nil, status: .unprocessableContent)
        case .notOpen:
            return Response(status: .seeOther, headers: [.location: PublicURLs.Page.invoice.path(target.token)])
        case .rateLimited:
            return limitedPage(target)
        }
    }

    /// The question form.
    @Sendable func questionForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let resolution = try await resolveTarget(request, context: context)
        guard case .target(let target) = resolution else { return resolution.response }
        let invoice = target.invoice(number: request.uri.queryParameters["invoice"].map(String.init))
        return questionPage(target, invoice, message: "", callback: nil, errors: [], status: .ok)
    }

    /// `POST /p/{token}/question`
    @Sendable func submitQuestion(_ request: Request, context: AppRequestContext) async throws -> Response {
        let acceptance = try await acceptForm(request, context: context, purpose: "question")
        guard case .accepted(let target, let fields) = acceptance else { return acceptance.response }
        let language = target.language
        let invoice = target.invoice(number: fields["invoice"])
        let message = PlainText.withoutControlCharacters(fields["message"] ?? "").trimmed
        let callback = CallbackTime(rawValue: fields["callback"] ?? "")
        var errors: [String] = []
        if message.isEmpty { errors.append(library.phrase("question_err_empty", language)) }
        if message.unicodeScalars.count > CustomerPages.messageLimit {
            errors.append(library.phrase("question_err_long", language, String(CustomerPages.messageLimit)))
        }
        guard errors.isEmpty else {
            return questionPage(
                target, invoice, message: message, callback: callback, errors: errors,
                status: .unprocessableContent)
        }
        let new = NewRequest(
            kind: .question, invoiceID: invoice.invoiceID, linkID: target.linkID, message: message, callback: callback,
            ipHash: ipHash(context.clientAddress(request, trustForwardedFor: settings.trustForwardedFor)))
        switch try await submit(new, target: target) {
        case .created, .duplicate:
            var values = baseValues(target.business)
            values[.heading] = library.phrase("question_sent_heading", language)
            values[.text] = library.phrase("question_sent_text", language)
            values[.reply_time] = target.plans.replyTime[language] ?? library.phrase("reply_time_default", language)
            values[.back_href] = PublicURLs.Page.invoice.path(target.token)
            return page("request-sent", language, values, status: .ok)
        case .invalid, .notOpen:
            return Response(status: .seeOther, headers: [.location: PublicURLs.Page.invoice.path(target.token)])
        case .rateLimited:
            return limitedPage(target)
        }
    }

    // MARK: - Shared steps

    enum FormAcceptance {
        case accepted(FormTarget, FormFields)
        case refused(Response)
    }

    /// What every form POST must pass before its fields are read: the address's budget, a same-origin
    /// request, a small body, a live link and a form token issued for this link and form.
    func acceptForm(_ request: Request, context: AppRequestContext, purpose: String) async throws -> FormAcceptance {
        let now = settings.clock.now()
        let client = context.rateKey(request, trustForwardedFor: settings.trustForwardedFor)
        let business = try await store.business()
        let language = Language.resolve(
            customerLocale: nil, acceptLanguage: request.headers[.acceptLanguage],
            fallback: Language(locale: business.defaultLocale) ?? .fr)
        guard requestLimiter.allow(client, now: now) else {
            return .refused(
                messagePage(
                    "link-problem", business, language, heading: "renewal_limited_heading",
                    text: "request_limited_text", status: .tooManyRequests))
        }
        let forbidden = messagePage(
            "error", business, language, heading: "forbidden_heading", text: "forbidden_text", status: .forbidden)
        if let site = request.headers[.secFetchSite], site != "same-origin", site != "none" {
            return .refused(forbidden)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: CustomerPages.formBodyLimit)
        } catch {
            return .refused(
                messagePage(
                    "error", business, language, heading: "error_heading", text: "error_text", status: .contentTooLarge)
            )
        }
        let resolution = try await resolveTarget(request, context: context)
        guard case .target(let target) = resolution else { return .refused(resolution.response) }
        let fields = FormFields(String(buffer: body))
        guard let csrf = fields["csrf"], verifyFormToken(csrf, token: target.token, now: now, purpose: purpose) else {
            return .refused(forbidden)
        }
        return .accepted(target, fields)
    }

    func submit(_ new: NewRequest, target: FormTarget) async throws -> RequestOutcome {
        let library = self.library
        let outcome = try await settings.requests(store).submit(new, today: target.today) { notice in
            library.requestNotice(notice)
        }
        switch outcome {
        case .created(let stored):
            // The business hears of it here until the dashboard and outgoing webhooks exist.
            logger.notice(
                "customer request received",
                metadata: [
                    "request": "\(stored.id)", "invoice": "\(stored.invoiceID)", "kind": "\(stored.kind.rawValue)",
                    "status": "\(stored.status.rawValue)",
                ])
        case .duplicate(let stored):
            logger.info("customer request sent twice", metadata: ["request": "\(stored.id)"])
        default:
            break
        }
        return outcome
    }

    func limitedPage(_ target: FormTarget) -> Response {
        messagePage(
            "link-problem", target.business, target.language, heading: "renewal_limited_heading",
            text: "request_limited_text", status: .tooManyRequests)
    }

    // MARK: - Rendering

    struct PlanInput {
        var invoiceNumber: String?
        var count: String
        var frequency: PlanFrequency
        var first: String
        var note: String
        var contact: ContactPreference
        var rows: [(date: String, amount: String)]

        /// The choices the shown rows were computed from.
        var basis: String { [invoiceNumber ?? "", count, frequency.rawValue, first].joined(separator: "|") }
    }

    func planPage(
        _ target: FormTarget, _ invoice: StatementData.Line, _ input: PlanInput, errors: [String], notice: String?,
        status: HTTPResponse.Status
    ) -> Response {
        let language = target.language
        let plans = target.plans
        let currency = invoice.balance.currency
        var values = formValues(target, invoice, purpose: "plan", action: .plan)
        values[.errors] = errorItems(errors)
        values[.notice] = notice
        values[.f_basis] = input.basis
        values[.f_count] = input.count
        values[.f_max] = String(plans.limits.maximumInstalments)
        values[.f_first] = input.first
        values[.f_min] = target.today.iso
        let last = target.today.adding(days: plans.limits.maximumSpanDays)
        values[.f_last] = last.iso
        values[.f_note] = input.note
        values[.limits_text] = library.phrase(
            "plan_limits", language, String(plans.limits.maximumInstalments),
            Format.amount(Money(minorUnits: plans.limits.minimumInstalment, currency: currency), language),
            Format.date(last, language))
        values[.frequency_options] = options(
            PlanFrequency.allCases.map { ($0.rawValue, library.phrase("frequency_\($0.rawValue)", language)) },
            selected: input.frequency.rawValue)
        var contact: [UInt8] = []
        for choice in ContactPreference.allCases {
            contact += Array("<label class=\"choice\"><input type=\"radio\" name=\"contact\" value=\"".utf8)
            contact += Array(choice.rawValue.utf8) + Array("\"".utf8)
            contact += Array((choice == input.contact ? " checked" : "").utf8) + Array("> ".utf8)
            contact += HTML.escape(library.phrase("contact_\(choice.rawValue)", language)) + Array("</label>\n".utf8)
        }
        values[.contact_options] = String(decoding: contact, as: UTF8.self)
        if !input.rows.isEmpty {
            values[.f_rows] = String(input.rows.count)
            var rows: [UInt8] = []
            let payment = library.phrase("plan_payment", language)
            for (index, row) in input.rows.enumerated() {
                let number = String(index + 1)
                rows += Array("<tr><th scope=\"row\">".utf8) + Array(number.utf8)
                rows += Array("</th><td><input type=\"date\" name=\"date_".utf8) + Array(number.utf8)
                rows += Array("\" value=\"".utf8) + HTML.escape(row.date) + Array("\" aria-label=\"".utf8)
                rows += HTML.escape("\(payment) \(number), \(library.phrase("plan_date", language))")
                rows += Array("\" required></td><td><input name=\"amount_".utf8) + Array(number.utf8)
                rows += Array("\" inputmode=\"decimal\" class=\"money\" value=\"".utf8) + HTML.escape(row.amount)
                rows += Array("\" aria-label=\"".utf8)
                rows += HTML.escape("\(payment) \(number), \(library.phrase("plan_amount", language))")
                rows += Array("\" required></td></tr>\n".utf8)
            }
            values[.schedule_rows] = String(decoding: rows, as: UTF8.self)
            values[.schedule_total] = Format.amount(invoice.balance, language)
        }
        return page("plan", language, values, status: status)
    }

    func questionPage(
        _ target: FormTarget, _ invoice: StatementData.Line, message: String, callback: CallbackTime?,
        errors: [String], status: HTTPResponse.Status
    ) -> Response {
        let language = target.language
        var values = formValues(target, invoice, purpose: "question", action: .question)
        values[.errors] = errorItems(errors)
        values[.f_message] = message
        values[.callback_options] = options(
            [("", library.phrase("callback_none", language))]
                + CallbackTime.allCases.map { ($0.rawValue, library.phrase("callback_\($0.rawValue)", language)) },
            selected: callback?.rawValue ?? "")
        values[.reply_time] = target.plans.replyTime[language] ?? library.phrase("reply_time_default", language)
        return page("question", language, values, status: status)
    }

    /// Values both forms show: the invoice, the form's target and token, the invoice picker of a statement.
    func formValues(_ target: FormTarget, _ invoice: StatementData.Line, purpose: String, action: PublicURLs.Page)
        -> PageValues
    {
        var values = baseValues(target.business)
        values[.number] = invoice.number
        values[.balance] = Format.amount(invoice.balance, target.language)
        values[.form_action] = action.path(target.token)
        values[.back_href] = PublicURLs.Page.invoice.path(target.token)
        values[.csrf] = formToken(token: target.token, now: settings.clock.now(), purpose: purpose)
        if target.isStatement {
            values[.invoice_options] = options(
                target.invoices.map {
                    ($0.number, "\($0.number) · \(Format.amount($0.balance, target.language))")
                }, selected: invoice.number)
        }
        return values
    }

    func options(_ choices: [(value: String, label: String)], selected: String) -> String {
        var out: [UInt8] = []
        for choice in choices {
            out += Array("<option value=\"".utf8) + HTML.escape(choice.value) + Array("\"".utf8)
            out += Array((choice.value == selected ? " selected" : "").utf8) + Array(">".utf8)
            out += HTML.escape(choice.label) + Array("</option>".utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    func errorItems(_ errors: [String]) -> String? {
        guard !errors.isEmpty else { return nil }
        return errors.map { "<li>" + HTML.escaped($0) + "</li>" }.joined()
    }

    func readOnlyRows(_ schedule: [Instalment], currency: Currency, _ language: Language) -> String {
        var rows = ""
        for (index, instalment) in schedule.enumerated() {
            rows +=
                "<tr><th scope=\"row\">\(index + 1)</th><td>" + HTML.escaped(Format.date(instalment.dueOn, language))
            rows +=
                "</td><td>"
                + HTML.escaped(Format.amount(Money(minorUnits: instalment.amount, currency: currency), language))
            rows += "</td></tr>\n"
        }
        return rows
    }

    /// A plan problem in the customer's words.
    func problemText(_ problem: PlanProblem, currency: Currency, _ language: Language) -> String {
        func money(_ minor: Int64) -> String { Format.amount(Money(minorUnits: minor, currency: currency), language) }
        switch problem {
        case .tooFewInstalments: return library.phrase("plan_err_too_few", language)
        case .tooManyInstalments(let maximum): return library.phrase("plan_err_too_many", language, String(maximum))
        case .amountsDoNotAddUp(let total, let balance):
            return library.phrase("plan_err_sum", language, money(total), money(balance))
        case .notPositive(let index): return library.phrase("plan_err_not_positive", language, String(index + 1))
        case .belowMinimum(let index, let minimum):
            return library.phrase("plan_err_minimum", language, money(minimum), String(index + 1))
        case .firstDateInPast: return library.phrase("plan_err_past", language)
        case .datesNotIncreasing(let index): return library.phrase("plan_err_order", language, String(index + 1))
        case .beyondMaximumSpan(let lastAllowed):
            return library.phrase("plan_err_span", language, Format.date(lastAllowed, language))
        }
    }
}

extension CustomerPages.FormAcceptance {
    /// The refusal to send back; an accepted form has none, so it leads back to its page.
    var response: Response {
        switch self {
        case .refused(let response): return response
        case .accepted(let target, _):
            return Response(status: .seeOther, headers: [.location: PublicURLs.Page.invoice.path(target.token)])
        }
    }
}

extension CustomerPages.Resolution {
    /// The response to send when the link leads to no open invoice.
    var response: Response {
        switch self {
        case .answer(let response): return response
        case .target(let target):
            return Response(status: .seeOther, headers: [.location: PublicURLs.Page.invoice.path(target.token)])
        }
    }
}

extension PageLibrary {
    /// The text a customer gets about their request: the confirmation, or the business's answer with a
    /// fresh link.
    func requestNotice(_ notice: RequestNotice) -> String {
        let language =
            Language(locale: notice.customerLocale) ?? Language(locale: notice.business.defaultLocale) ?? .fr
        let name = notice.business.name
        let number = notice.invoiceNumber
        var text: String
        switch notice.event {
        case .received:
            text = phrase(notice.kind == .plan ? "sms_request_plan" : "sms_request_question", language, name, number)
        case .acceptedAtOnce, .accepted:
            let first = notice.schedule.first
            text = phrase(
                notice.event == .accepted ? "sms_plan_accepted" : "sms_plan_accepted_now", language, name, number,
                first.map { Format.amount(Money(minorUnits: $0.amount, currency: notice.currency), language) } ?? "",
                first.map { Format.shortDate($0.dueOn, language) } ?? "")
        case .declined:
            text = phrase("sms_plan_declined", language, name, number)
        case .answered:
            text = phrase("sms_question_answered", language, name, number)
        }
        if let answer = notice.answer, !answer.isEmpty { text += " " + answer }
        if let link = notice.link { text += " " + phrase("sms_details", language) + " " + link }
        return text
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
