// libFuzzer targets for every parser of outside input. Built by scripts/fuzz together with the sources of
// RelanceCore (one module, so internal helpers are reachable) and run one target at a time, chosen by
// RELANCE_FUZZ_TARGET. Each target feeds the fuzzer's bytes to a parser and, where the parser's promise
// can be stated, checks it: a crash, a trap or a broken promise stops the run with the input saved.
//
// Not part of the package: `swift build` and `make test` never compile this file.

import Foundation

/// A broken promise: the fuzzer records it as a crash, with the input that caused it.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data(("promise broken: " + message() + "\n").utf8))
        abort()
    }
}

/// Splits the input into a few fields at 0x00 bytes, for parsers that take several values.
func fields(_ bytes: [UInt8], _ count: Int) -> [String] {
    var parts = bytes.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    while parts.count < count { parts.append("") }
    return parts
}

let now = Date(timeIntervalSince1970: 1_772_528_340)  // 2026-03-03T08:59:00Z
let keyring: LinkKeyring = {
    let text =
        "2:" + Base64URL.encode(Array(repeating: 7, count: 32)) + "\n1:"
        + Base64URL.encode(Array(repeating: 9, count: 32))
    return (try? LinkKeyring(parsing: text))!.withUnsubscribeKey(instanceSecret: Array(repeating: 3, count: 32))
}()
let formTokens = HourlyToken(key: Array(repeating: 5, count: 32), validHours: 2)
let box = SecretBox(instanceSecret: Array(repeating: 1, count: 32), purpose: "store")
let currencies = ["EUR", "JPY", "TND", "CLF"].compactMap { Currency(code: $0) }

let targets: [String: ([UInt8]) -> Void] = [
    "typed-amount": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        for currency in currencies {
            guard let value = TypedAmount.parse(text, currency: currency) else { continue }
            require(value >= 0 && value <= Money.maximumMinorUnits, "amount out of range: \(value)")
            // What Relance writes for an amount reads back as the same amount.
            let written = Format.typedAmount(Money(minorUnits: value, currency: currency), .en)
            require(TypedAmount.parse(written, currency: currency) == value, "\(written) does not read back")
        }
    },
    "calendar-date": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let day = CalendarDate(iso: text) {
            require(day.iso == text, "\(text) read as \(day.iso)")
            _ = day.adding(days: 3650)
            _ = day.isoWeekday
        }
    },
    "instant": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let instant = Instant.parse(text) {
            let written = Instant.format(instant)
            require(Instant.parse(written) != nil, "\(written), written from \(text), does not read back")
        }
    },
    "phone": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let phone = PhoneNumber(text) {
            require(PhoneNumber(phone.e164) == phone, "\(phone.e164) does not read back")
            _ = PhoneDisplay.format(phone.e164)
            _ = phone.masked
        }
        // A number already in E.164 reads the same whichever way it arrives: typed, or from a gateway.
        if let strict = PhoneNumber(text) {
            require(PhoneNumber(typed: text) == strict, "typed \(text) reads differently")
            require(PhoneNumber(gateway: text) == strict, "gateway \(text) reads differently")
        }
    },
    "email": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if EmailAddress.isValid(text) {
            _ = MIME.mailbox("Name", text)
        }
        _ = MIME.header("Subject", text)
        _ = MIME.quotedPrintable(text)
    },
    "form-rules": { bytes in
        // Fields cut at NUL bytes, fed to the rules the API and the dashboard share.
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        func part(_ index: Int) -> String? { index < parts.count ? parts[index] : nil }
        var invoice = InvoiceDraft()
        invoice.number = part(0)
        invoice.customer?.name = part(1)
        invoice.customer?.phone = part(2).map(PhoneNumber.compact)
        invoice.customer?.email = part(3)
        invoice.customer?.locale = part(4)
        invoice.customer?.timeZone = part(5)
        invoice.currency = part(6)
        if let typed = part(7), let eur = Currency(code: "EUR") {
            invoice.amount = TypedAmount.parse(typed, currency: eur)
        }
        invoice.issuedOn = part(8)
        invoice.dueOn = part(9)
        invoice.paymentURL = part(10)
        if let checked = try? InvoiceRules.check(invoice) {
            require(checked.number.unicodeScalars.count <= 64, "a number over 64 characters passed")
            require(checked.dueOn >= checked.issuedOn, "due before issued passed")
        }
        var business = BusinessProfile.Draft()
        business.name = part(0)
        business.phone = part(2)
        business.email = part(3)
        business.bankIBAN = part(11)
        business.bankBIC = part(12)
        business.defaultLocale = part(4)
        business.timeZone = part(5)
        business.linkLifetimeDays = part(13).flatMap { Int($0) }
        if let profile = try? BusinessProfile(checking: business) {
            require(!profile.name.isEmpty && profile.name.unicodeScalars.count <= 120, "a bad name passed")
            require(BusinessProfile.linkLifetimes.contains(profile.linkLifetimeDays), "a bad lifetime passed")
        }
    },
    "csv": { bytes in
        for separator: UInt8? in [nil, 59] {
            let whole = Result { () throws(CSVReader.Problem) in try CSVReader.records(bytes, separator: separator) }
            // The same bytes fed in pieces cut where the input says (its first byte sets the sizes) give
            // the same records and the same error: the import reads files a mebibyte at a time.
            var parser = CSVReader.Parser(separator: separator)
            var pieces: [CSVReader.Record] = []
            let step = Int(bytes.first ?? 1) % 7 + 1
            let split = Result { () throws(CSVReader.Problem) in
                var start = 0
                var size = step
                while start < bytes.count {
                    let end = min(bytes.count, start + size)
                    try parser.feed(Array(bytes[start..<end])) { pieces.append($0) }
                    start = end
                    size = size % 13 + step
                }
                try parser.finish { pieces.append($0) }
                if pieces.isEmpty { throw .empty }
                return pieces
            }
            require(whole == split, "pieces parse differently from the whole")
            guard case .success(let records) = whole else { continue }
            var line = 0
            for record in records {
                require(record.line > line, "lines go backwards")
                require(record.fields.count <= CSVReader.widest, "too many fields kept")
                line = record.line
            }
        }
    },
    "template": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        guard let template = try? MessageTemplate(text) else { return }
        var values: [MessageVariable: String] = [:]
        for variable in MessageVariable.allCases { values[variable] = "v" }
        let rendered = template.render(values)
        let analysis = SMSText.analyze(rendered)
        require(analysis.segments >= 0, "negative segments")
        _ = template.render([:])
    },
    "sms-text": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        let analysis = SMSText.analyze(text)
        require(analysis.segments >= (analysis.units == 0 ? 0 : 1), "no segment for \(analysis.units) units")
        _ = SMSText.replacingLookalikes(text)
        _ = SMSText.analyze(text, replaceLookalikes: false)
    },
    "stripe-signature": { bytes in
        let parts = fields(bytes, 2)
        _ = StripeSignature.verify(header: parts[0], payload: Array(parts[1].utf8), secret: "whsec_test", now: now)
    },
    "twilio-signature": { bytes in
        let parts = fields(bytes, 4)
        _ = TwilioSignature.isValid(
            signature: parts[0], authToken: "token", url: parts[1], parameters: [(parts[2], parts[3])])
    },
    "signed-link": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if case .valid(let link) = SignedLink.verify(text, keyring: keyring, now: now) {
            // Only a token this keyring made verifies: it is made again, byte for byte.
            require(
                SignedLink.token(linkID: link.linkID, expiresAt: link.expiresAt, keyring: keyring) == text
                    || link.keyID != keyring.signingKey.id,
                "a forged token verified: \(text)")
        }
        _ = keyring.verifyUnsubscribe(text)
    },
    "link-keyring": { bytes in
        _ = try? LinkKeyring(parsing: String(decoding: bytes, as: UTF8.self))
    },
    "form-token": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if formTokens.verify(text, for: "login:x", now: now) {
            let issued = (0...2).map {
                formTokens.make(for: "login:x", now: now.addingTimeInterval(-3600 * Double($0)))
            }
            require(issued.contains(text), "a forged form token verified: \(text)")
        }
    },
    "form-fields": { bytes in
        let fields = FormFields(String(decoding: bytes, as: UTF8.self))
        _ = fields["token"]
        _ = fields.all("weekday")
    },
    "multipart": { bytes in
        let parts = bytes.split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false)
        let contentType = String(decoding: parts.first ?? [], as: UTF8.self)
        let body = parts.count > 1 ? Array(parts[1]) : []
        if let found = MultipartForm.parse(body, contentType: contentType) {
            for part in found.values { require(part.bytes.count <= body.count, "a part larger than the body") }
        }
        _ = MultipartForm.parse(bytes, contentType: "multipart/form-data; boundary=x")
    },
    "accept-language": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        _ = Language.preferred(acceptLanguage: text)
        _ = Language(locale: text)
        _ = UserAgentClass(userAgent: text)
    },
    "ip-address": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let address = IPAddress.parse(text) {
            _ = address.nonPublicKind
            require(IPAddress.parse(address.description) == address, "\(address) does not read back")
        }
        _ = ClientKey.of(text)
    },
    "time-zone": { bytes in
        // Foundation itself traps on some spellings; what reaches it must be one it reads.
        if let zone = TimeZoneName.zone(String(decoding: bytes, as: UTF8.self)) {
            _ = zone.secondsFromGMT(for: now)
        }
    },
    "reply-keyword": { bytes in
        _ = ReplyKeyword(reply: String(decoding: bytes, as: UTF8.self))
    },
    "base64url": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let decoded = Base64URL.decode(text) {
            require(Base64URL.encode(decoded) == text, "\(text) is not the canonical form it decoded from")
        }
        require(Base64URL.decode(Base64URL.encode(bytes)) == bytes, "bytes do not survive a round trip")
    },
    "secret-box": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        require(box.open(text, context: "webhook signing secret") == nil, "a value never sealed opened")
        require(box.open(box.seal(text, context: "c"), context: "c") == text, "a sealed value did not open")
    },
    "creditor-reference": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let reference = CreditorReference.make(text) {
            require(CreditorReference.isValid(reference), "\(reference), made from \(text), is not valid")
        }
        _ = CreditorReference.isValid(text)
        _ = CreditorReference.isValidIBAN(text)
    },
    "plain-text": { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        // The byte scan says what Unicode's general category says.
        let expected = text.unicodeScalars.contains { $0.properties.generalCategory == .control }
        require(PlainText.hasControlCharacters(text) == expected, "control characters misjudged in \(Array(text.utf8))")
    },
    "payment-plan": { bytes in
        guard bytes.count >= 16 else { return }
        var reader = bytes.makeIterator()
        func number(_ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for _ in 0..<width { value = value << 8 | UInt64(reader.next() ?? 0) }
            return value
        }
        // The ranges the forms and the API allow before a plan is computed.
        let balance = Int64(number(8) % UInt64(Money.maximumMinorUnits)) + 1
        let count = Int(number(1) % 60) + 1
        let first = CalendarDate(daysSinceEpoch: Int(number(3) % 2_900_000))
        let frequency = PlanFrequency.allCases[Int(number(1)) % PlanFrequency.allCases.count]
        let plan = PaymentPlan.schedule(balance: balance, count: count, frequency: frequency, firstDate: first)
        require(plan.count == count, "\(plan.count) instalments for \(count)")
        require(plan.reduce(0) { $0 + $1.amount } == balance, "instalments do not add up to \(balance)")
        _ = PaymentPlan.problems(plan, balance: balance, today: first, limits: PlanLimits())
        _ = PaymentPlan.allocate(plan, paid: Int64(number(4)))
    },
]

let selected: ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["RELANCE_FUZZ_TARGET"] ?? ""
    if name == "list" {
        // Written unbuffered and left without exit handlers, which libFuzzer would count as a failure.
        FileHandle.standardOutput.write(Data((targets.keys.sorted().joined(separator: "\n") + "\n").utf8))
        _exit(0)
    }
    guard let target = targets[name] else {
        FileHandle.standardError.write(Data("set RELANCE_FUZZ_TARGET to one of: \(targets.keys.sorted())\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected(bytes)
    return 0
}
