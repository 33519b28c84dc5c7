import Foundation
import Hummingbird
import Logging
import Metrics
import RelanceCore
import RelanceServices
import RelanceStore

/// The pages a customer reaches from a text message: the invoice behind a signed link, and what they
/// see when that link is expired, revoked or wrong. No JavaScript, one stylesheet, nothing third-party.
struct CustomerPages: Sendable {
    let store: Store
    let settings: WebSettings
    let library: PageLibrary
    let clicks: ClickRecorder
    let cssHref: String
    let logger: Logger
    let addresses: AddressHasher
    let formTokens: HourlyToken
    let timeZones = TimeZoneCache()
    /// EPC QR codes by payload: drawing one costs about a millisecond, a page view a few microseconds.
    let qrCodes = QRCodeCache()
    /// Misses (bad tokens, forms) per client address; a valid link is never limited.
    let missLimiter = RateLimiter(burst: 30, perMinute: 30)
    let renewLimiter = RateLimiter(burst: 5, perMinute: 2)
    /// Plan and question form posts (previews included) per client address.
    let requestLimiter = RateLimiter(burst: 20, perMinute: 10)

    init(
        store: Store, settings: WebSettings, library: PageLibrary, clicks: ClickRecorder, cssHref: String,
        logger: Logger
    ) {
        self.store = store
        self.settings = settings
        self.library = library
        self.clicks = clicks
        self.cssHref = cssHref
        self.logger = logger
        addresses = AddressHasher(settings)
        formTokens = HourlyToken(key: settings.derivedKey("customer-form"), validHours: 24)
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(PublicURLs.Page.invoice.route), use: show)
        router.post(RouterPath(PublicURLs.Page.renew.route), use: renew)
        addRequestRoutes(to: router)
        router.post(RouterPath(PublicURLs.Page.checkout.route), use: checkout)
        router.get(RouterPath(PublicURLs.Page.cardPaid.route), use: cardThanks)
        router.get(RouterPath(PublicURLs.Page.unsubscribe.route), use: unsubscribePage)
        router.post(RouterPath(PublicURLs.Page.unsubscribe.route), use: unsubscribe)
    }

    // Strict by default: the page needs its own stylesheet and its own form target, nothing else; and
    // its address, which carries the link's token, is told to no other site.
    static let pageHeaders: HTTPFields = .htmlPage(referrerPolicy: "no-referrer")

    /// `GET /p/{token}`: the invoice page for a person, a neutral page for link-preview fetchers.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let response = try showInvoice(request, context: context)
        guard response.status == .notFound, let token = context.parameters.get(PublicURLs.tokenParameter) else {
            return response
        }
        // Not an invoice link: perhaps a customer's statement, sent with a message about several invoices.
        return try await showStatement(token: token, request: request, context: context) ?? response
    }

    func showInvoice(_ request: Request, context: AppRequestContext) throws -> Response {
        let token = context.parameters.get(PublicURLs.tokenParameter) ?? ""
        let now = settings.clock.now()
        let acceptLanguage = request.headers[.acceptLanguage]
        switch SignedLink.verify(token, keyring: settings.keyring, now: now) {
        case .invalid:
            return try unknownLink(request, context: context, acceptLanguage: acceptLanguage, now: now)
        case .expired(let link):
            guard let data = try store.pageData(linkID: link.linkID), data.expiresAt == link.expiresAt else {
                return try unknownLink(
                    request, context: context, acceptLanguage: acceptLanguage, now: now, limit: false)
            }
            return problemPage(
                data: data, revoked: data.revoked, token: token, acceptLanguage: acceptLanguage, now: now)
        case .valid(let link):
            guard let data = try store.pageData(linkID: link.linkID), data.expiresAt == link.expiresAt else {
                return try unknownLink(
                    request, context: context, acceptLanguage: acceptLanguage, now: now, limit: false)
            }
            if data.revoked {
                return problemPage(data: data, revoked: true, token: token, acceptLanguage: acceptLanguage, now: now)
            }
            let agent = UserAgentClass(userAgent: request.headers[.userAgent])
            let address = context.clientAddress(request, trustForwardedFor: settings.trustForwardedFor)
            clicks.record(ClickEvent(linkID: link.linkID, at: now, agent: agent, ipHash: ipHash(address)))
            let language = Language.resolve(
                customerLocale: data.customerLocale, acceptLanguage: acceptLanguage,
                fallback: Language(locale: data.business.defaultLocale) ?? .fr)
            if agent == .preview {
                var values = baseValues(data.business)
                values.set(.secure, false)
                return page("neutral", language, values, status: .ok)
            }
            return page(
                "invoice", language, invoiceValues(data, token: token, language: language, now: now), status: .ok)
        }
    }

    /// `POST /p/{token}/renew`: "text me a new link", sent to the number on file, never to one typed in.
    @Sendable func renew(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get(PublicURLs.tokenParameter) ?? ""
        let now = settings.clock.now()
        let acceptLanguage = request.headers[.acceptLanguage]
        let business = try await store.business()
        let language = Language.resolve(
            customerLocale: nil, acceptLanguage: acceptLanguage,
            fallback: Language(locale: business.defaultLocale) ?? .fr)
        let client = context.rateKey(request, trustForwardedFor: settings.trustForwardedFor)
        guard renewLimiter.allow(client, now: now) else {
            return messagePage(
                "renewal-sent", business, language, heading: "renewal_limited_heading", text: "renewal_limited_text",
                status: .tooManyRequests)
        }
        if let site = request.headers[.secFetchSite], site != "same-origin", site != "none" {
            return messagePage(
                "error", business, language, heading: "forbidden_heading", text: "forbidden_text", status: .forbidden)
        }
        let form = try await request.body.collect(upTo: 4096)
        let fields = FormFields(String(buffer: form))
        let link: SignedLink
        switch SignedLink.verify(token, keyring: settings.keyring, now: now) {
        case .invalid:
            return messagePage(
                "link-problem", business, language, heading: "unknown_heading", text: "unknown_text", status: .notFound)
        case .valid:
            return Response(status: .seeOther, headers: [.location: PublicURLs.Page.invoice.path(token)])
        case .expired(let expired):
            guard let data = try store.pageData(linkID: expired.linkID), data.expiresAt == expired.expiresAt else {
                return messagePage(
                    "link-problem", business, language, heading: "unknown_heading", text: "unknown_text",
                    status: .notFound)
            }
            link = expired
        }
        guard let csrf = fields["csrf"], verifyFormToken(csrf, token: token, now: now, purpose: "renew") else {
            return messagePage(
                "error", business, language, heading: "forbidden_heading", text: "forbidden_text", status: .forbidden)
        }
        let library = self.library
        let settings = self.settings
        let outcome = try await store.renewLink(fromLinkID: link.linkID, keyring: settings.keyring, now: now) {
            context in
            let smsLanguage =
                Language(locale: context.customerLocale)
                ?? Language(locale: context.business.defaultLocale) ?? .fr
            return library.phrase(
                "sms_renewal", smsLanguage, context.business.name, context.invoiceNumber,
                settings.urls.invoicePage(token: context.link.token))
        }
        switch outcome {
        case .queued(let fresh):
            logger.info("fresh link queued", metadata: ["link": "\(fresh.linkID)", "from": "\(link.linkID)"])
        case .notEligible:
            logger.info("fresh link not sent", metadata: ["from": "\(link.linkID)"])
        case .rateLimited:
            return messagePage(
                "renewal-sent", business, language, heading: "renewal_limited_heading", text: "renewal_limited_text",
                status: .tooManyRequests)
        }
        return messagePage(
            "renewal-sent", business, language, heading: "renewal_heading", text: "renewal_text", status: .ok)
    }

    /// A customer's statement page, or nil when the token is not a valid statement link.
    func showStatement(token: String, request: Request, context: AppRequestContext) async throws -> Response? {
        let now = settings.clock.now()
        let link: SignedLink
        switch SignedLink.verify(token, keyring: settings.keyring, now: now) {
        case .invalid: return nil
        case .valid(let valid): link = valid
        case .expired(let expired): link = expired
        }
        guard let data = try await store.statementData(linkID: link.linkID), data.expiresAt == link.expiresAt else {
            return nil
        }
        let acceptLanguage = request.headers[.acceptLanguage]
        let language = Language.resolve(
            customerLocale: data.customerLocale, acceptLanguage: acceptLanguage,
            fallback: Language(locale: data.business.defaultLocale) ?? .fr)
        if data.revoked || now >= link.expiresAt {
            var values = baseValues(data.business)
            values[.heading] = library.phrase(data.revoked ? "revoked_heading" : "expired_heading", language)
            values[.text] = library.phrase(data.revoked ? "revoked_text" : "statement_expired_text", language)
            return page("link-problem", language, values, status: .gone)
        }
        let agent = UserAgentClass(userAgent: request.headers[.userAgent])
        let address = context.clientAddress(request, trustForwardedFor: settings.trustForwardedFor)
        clicks.record(ClickEvent(linkID: link.linkID, at: now, agent: agent, ipHash: ipHash(address)))
        var values = baseValues(data.business)
        if agent == .preview {
            values.set(.secure, false)
            return page("neutral", language, values, status: .ok)
        }
        values[.customer_name] = data.customerName
        let zone = timeZones.zone(data.customerTimeZone) ?? timeZones.zone(data.business.timeZone) ?? .gmt
        let today = CalendarDate(instant: now, timeZone: zone)
        var rows: [UInt8] = []
        for line in data.lines {
            let state = DueState(status: .open, dueOn: line.dueOn, today: today)
            rows +=
                Array("<li><strong class=\"number\">".utf8) + HTML.escape(line.number) + Array("</strong><span>".utf8)
            rows += HTML.escape(Format.amount(line.balance, language)) + Array("</span><span class=\"due".utf8)
            rows += Array((state.daysOverdue > 0 ? " late" : "").utf8) + Array("\">".utf8)
            rows += HTML.escape(dueText(state, dueOn: line.dueOn, language)) + Array("</span></li>\n".utf8)
        }
        values[.invoice_rows] = String(decoding: rows, as: UTF8.self)
        // Totals are shown for the currency most lines use; mixed currencies are rare for one customer.
        if let currency = data.lines.first?.balance.currency {
            let total = Money(
                minorUnits: Money.total(
                    data.lines.lazy.filter { $0.balance.currency == currency }.map(\.balance.minorUnits)),
                currency: currency)
            values.set(.open)
            values[.balance] = Format.amount(total, language)
            values[.balance_plain] = Format.plainAmount(total, language)
            values[.number] = data.lines.map(\.number).joined(separator: ", ")
            addWaysToPay(&values, business: data.business, paymentURL: data.business.paymentURL)
            values[.plan_href] = PublicURLs.Page.plan.path(token)
            values[.question_href] = PublicURLs.Page.question.path(token)
        }
        return page("statement", language, values, status: .ok)
    }

    func dueText(_ state: DueState, dueOn: CalendarDate, _ language: Language) -> String {
        let date = Format.date(dueOn, language)
        switch state {
        case .dueToday: return library.phrase("due_today", language, date)
        case .dueIn(let days):
            return days == 1
                ? library.phrase("due_in_one", language, date)
                : library.phrase("due_in_many", language, String(days), date)
        case .overdue(let days):
            return days == 1
                ? library.phrase("overdue_one", language, date)
                : library.phrase("overdue_many", language, String(days), date)
        case .paid, .void: return ""
        }
    }

    // MARK: - Pages

    /// The 404 page; `limit` counts the miss against the client's address (forged tokens only: a
    /// genuinely signed token that names no invoice is a statement link or a stale one).
    func unknownLink(
        _ request: Request, context: AppRequestContext, acceptLanguage: String?, now: Date, limit: Bool = true
    ) throws -> Response {
        let client = context.rateKey(request, trustForwardedFor: settings.trustForwardedFor)
        let business = try store.businessNow()
        let language = Language.resolve(
            customerLocale: nil, acceptLanguage: acceptLanguage,
            fallback: Language(locale: business.defaultLocale) ?? .fr)
        // Guessing tokens from one address is slowed down; the answer stays the same page.
        let status: HTTPResponse.Status = !limit || missLimiter.allow(client, now: now) ? .notFound : .tooManyRequests
        return messagePage(
            "link-problem", business, language, heading: "unknown_heading", text: "unknown_text", status: status)
    }

    func problemPage(data: InvoicePageData, revoked: Bool, token: String, acceptLanguage: String?, now: Date)
        -> Response
    {
        let language = Language.resolve(
            customerLocale: data.customerLocale, acceptLanguage: acceptLanguage,
            fallback: Language(locale: data.business.defaultLocale) ?? .fr)
        var values = baseValues(data.business)
        if revoked {
            values[.heading] = library.phrase("revoked_heading", language)
            values[.text] = library.phrase("revoked_text", language)
        } else {
            values[.heading] = library.phrase("expired_heading", language)
            values[.text] = library.phrase("expired_text", language)
            values[.renew_action] = PublicURLs.Page.renew.path(token)
            values[.csrf] = formToken(token: token, now: now, purpose: "renew")
        }
        return page("link-problem", language, values, status: .gone)
    }

    func messagePage(
        _ name: String, _ business: Business, _ language: Language, heading: String, text: String,
        status: HTTPResponse.Status
    ) -> Response {
        var values = baseValues(business)
        values[.heading] = library.phrase(heading, language)
        values[.text] = library.phrase(text, language)
        return page(name, language, values, status: status)
    }

    func page(_ name: String, _ language: Language, _ values: PageValues, status: HTTPResponse.Status) -> Response {
        let bytes = library.page(name, language).render(values)
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(status: status, headers: CustomerPages.pageHeaders, body: .init(byteBuffer: buffer))
    }

    func baseValues(_ business: Business) -> PageValues {
        var values = PageValues()
        values[.css_href] = cssHref
        values[.business_name] = business.name
        values[.business_legal] = business.legal
        values[.logo_src] = business.logoHash.map { PublicURLs.logoPath(version: $0) }
        values.set(.secure)
        if let phone = business.phone {
            values[.business_phone] = phone
            values[.business_phone_display] = PhoneDisplay.format(phone)
        }
        return values
    }

    func invoiceValues(_ data: InvoicePageData, token: String, language: Language, now: Date) -> PageValues {
        var values = baseValues(data.business)
        let business = data.business
        values[.number] = data.number
        values[.customer_name] = data.customerName
        values[.amount] = Format.amount(data.amount, language)
        let timeZone = timeZones.zone(data.customerTimeZone) ?? timeZones.zone(business.timeZone) ?? .gmt
        let today = CalendarDate(instant: now, timeZone: timeZone)
        let dueText = Format.date(data.dueOn, language)
        switch DueState(status: data.status, dueOn: data.dueOn, today: today) {
        case .paid:
            values.set(.paid)
        case .void:
            values.set(.void)
        case .dueToday:
            values.set(.open)
            values[.state_class] = "soon"
            values[.state_text] = library.phrase("due_today", language, dueText)
        case .dueIn(let days):
            values.set(.open)
            values[.state_class] = days <= 3 ? "soon" : "future"
            values[.state_text] =
                days == 1
                ? library.phrase("due_in_one", language, dueText)
                : library.phrase("due_in_many", language, String(days), dueText)
        case .overdue(let days):
            values.set(.open)
            values[.state_class] = "late"
            values[.state_text] =
                days == 1
                ? library.phrase("overdue_one", language, dueText)
                : library.phrase("overdue_many", language, String(days), dueText)
        }
        let balance = data.balance
        values[.balance] = Format.amount(balance, language)
        values[.balance_plain] = Format.plainAmount(balance, language)
        if data.paid > 0, data.status == .open {
            values[.partly_paid] = library.phrase(
                "partly_paid", language,
                Format.amount(Money(minorUnits: data.paid, currency: data.amount.currency), language),
                Format.amount(data.amount, language))
        }
        addWaysToPay(&values, business: business, paymentURL: data.paymentURL)
        // Only invoices with a plan pay for this second read. On a plan, the transfer QR code and the
        // card payment ask for the next instalment, not the whole balance.
        var plan: PlanView?
        if data.hasActivePlan, data.status == .open, let found = try? store.planNow(invoiceID: data.invoiceID),
            found.status == .active
        {
            plan = found
        }
        let payable = plan?.payable(balance: balance) ?? balance
        // An ISO 11649 reference banks pass on untouched, so the transfer can be matched by machine.
        let reference = CreditorReference.make(data.number) ?? CreditorReference.make(String(data.invoiceID))
        values[.creditor_reference] = reference.map(CreditorReference.grouped)
        // For euros, a QR code banking apps read to fill in the whole transfer (EPC "GiroCode").
        // Kept by invoice, balance and language: the payload is built and drawn once, not on every view.
        if let iban = business.bankIBAN, !iban.isEmpty {
            let key =
                "\(data.invoiceID):\(payable.minorUnits):\(language.rawValue):\(iban):\(business.bankBIC ?? ""):"
                + (business.bankBeneficiary ?? business.name)
            values[.epc_qr] = qrCodes.svg(key: key, title: library.phrase("scan_to_pay", language)) {
                EPCPayment.payload(
                    beneficiary: business.bankBeneficiary ?? business.name, iban: iban, bic: business.bankBIC,
                    amount: payable, reference: reference, text: data.number)
            }
        }
        if settings.stripeCheckout != nil, data.status == .open, balance.minorUnits > 0 {
            values[.card_action] = PublicURLs.Page.checkout.path(token)
            values[.card_csrf] = formToken(token: token, now: now, purpose: "checkout")
        }
        values[.plan_href] = PublicURLs.Page.plan.path(token)
        values[.question_href] = PublicURLs.Page.question.path(token)
        values.set(.plan_pending, data.pendingPlan)
        values.set(.question_pending, data.pendingQuestion)
        if let plan { addPlan(&values, plan, currency: data.amount.currency, today: today, language) }
        return values
    }

    /// The plan's instalments: what is paid, what is next and how much.
    func addPlan(
        _ values: inout PageValues, _ plan: PlanView, currency: Currency, today: CalendarDate, _ language: Language
    ) {
        var rows = ""
        for (index, instalment) in plan.instalments.enumerated() {
            let paid = plan.paid[index]
            let (state, label): (String, String)
            if paid >= instalment.amount {
                (state, label) = ("paid", library.phrase("plan_state_paid", language))
            } else if index == plan.nextIndex && instalment.dueOn < today {
                (state, label) = ("late", library.phrase("plan_state_late", language))
            } else if index == plan.nextIndex {
                (state, label) = ("next", library.phrase("plan_state_next", language))
            } else {
                (state, label) = ("later", library.phrase("plan_state_later", language))
            }
            let detail =
                paid > 0 && paid < instalment.amount
                ? library.phrase(
                    "plan_state_part", language, Format.amount(Money(minorUnits: paid, currency: currency), language))
                : label
            rows += "<tr class=\"\(state)\"><td>" + HTML.escaped(Format.date(instalment.dueOn, language)) + "</td><td>"
            rows += HTML.escaped(Format.amount(Money(minorUnits: instalment.amount, currency: currency), language))
            rows += "</td><td>" + HTML.escaped(detail) + "</td></tr>\n"
        }
        values[.plan_rows] = rows
        // On a plan, what matters is the next payment: the state and the transfer amount say it.
        if let next = plan.nextIndex {
            let instalment = plan.instalments[next]
            let remaining = Money(minorUnits: instalment.amount - plan.paid[next], currency: currency)
            let late = instalment.dueOn < today
            values[.state_class] =
                late ? "late" : instalment.dueOn.daysSinceEpoch - today.daysSinceEpoch <= 3 ? "soon" : "future"
            values[.state_text] = library.phrase(
                late ? "plan_next_late" : "plan_next", language, Format.amount(remaining, language),
                Format.date(instalment.dueOn, language))
            values[.balance_plain] = Format.plainAmount(remaining, language)
        }
    }

    /// The payment URL, bank details, phone and address the business offers, as page values.
    func addWaysToPay(_ values: inout PageValues, business: Business, paymentURL: String?) {
        var hasWays = false
        if let url = paymentURL, url.hasPrefix("https://") || url.hasPrefix("http://") {
            values[.payment_url] = url
            hasWays = true
        }
        if let iban = business.bankIBAN, !iban.isEmpty {
            values[.bank_iban] = IBANDisplay.group(iban)
            values[.bank_bic] = business.bankBIC
            values[.bank_beneficiary] = business.bankBeneficiary ?? business.name
            hasWays = true
        }
        if business.phone != nil { hasWays = true }
        if let address = business.address, !address.isEmpty {
            values[.business_address] = address
            hasWays = true
        }
        values[.business_email] = business.email
        values.set(.has_ways, hasWays)
    }

    // MARK: - Helpers

    func ipHash(_ address: String) -> String { addresses.hash(address) }

    /// A form token bound to the link token, the form and the hour it was issued; valid for a day.
    func formToken(token: String, now: Date, purpose: String) -> String {
        formTokens.make(for: "\(purpose):\(token)", now: now)
    }

    func verifyFormToken(_ value: String, token: String, now: Date, purpose: String) -> Bool {
        formTokens.verify(value, for: "\(purpose):\(token)", now: now)
    }
}

/// `TimeZone(identifier:)` parses tzdata each call; customer pages ask for the same few zones.
final class TimeZoneCache: @unchecked Sendable {
    private let lock = NSLock()
    private var zones: [String: TimeZone] = [:]

    func zone(_ identifier: String?) -> TimeZone? {
        guard let identifier else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let zone = zones[identifier] { return zone }
        guard let zone = TimeZoneName.zone(identifier) else { return nil }
        // A fixed number are kept; a name beyond them is still a zone, only not cached.
        if zones.count < 1000 { zones[identifier] = zone }
        return zone
    }
}

enum IBANDisplay {
    /// `FR7630006000011234567890189` → `FR76 3000 6000 0112 3456 7890 189`.
    static func group(_ iban: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(42)
        var count = 0
        for byte in iban.utf8 where byte != UInt8(ascii: " ") {
            if count > 0 && count % 4 == 0 { out.append(UInt8(ascii: " ")) }
            out.append(byte >= 97 && byte <= 122 ? byte - 32 : byte)
            count += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Drawn QR codes, kept by payload, the least recently shown given up first. (It used to be emptied
/// whole at 512: with more customers than that opening their links, as after a morning's reminders,
/// nearly every page drew its code again and pages were served ten times slower: scripts/soak.)
final class QRCodeCache: @unchecked Sendable {
    private let lock = NSLock()
    /// About 3 KB each (a page's code): some 14 MB at most.
    private var drawn = BoundedLRU<String, String>(capacity: 4_096)

    func svg(key: String, title: String, payload: () -> String?) -> String? {
        if let svg = lock.withLock({ drawn.value(for: key) }) { return svg }
        guard let payload = payload(), let code = QRCode.encode(Array(payload.utf8)) else { return nil }
        let svg = code.svg(title: HTML.escaped(title))
        let count = lock.withLock {
            drawn.set(key, svg)
            return drawn.count
        }
        // How full it is, in /metrics: it grows with new balances up to its capacity.
        Gauge(label: "relance_qr_cache_entries").record(count)
        return svg
    }
}
