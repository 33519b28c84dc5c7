import Foundation
import XCTest

@testable import RelanceCore

final class DomainTests: XCTestCase {
    func testCurrenciesHaveTheirISOExponentAndUnknownCodesAreRejected() throws {
        XCTAssertEqual(Currency(code: "EUR")?.exponent, 2)
        XCTAssertEqual(Currency(code: "JPY")?.exponent, 0)
        XCTAssertEqual(Currency(code: "TND")?.exponent, 3)
        XCTAssertEqual(Currency(code: "CLF")?.exponent, 4)
        for bad in ["eur", "EURO", "XXX", "ABC", "", "€"] { XCTAssertNil(Currency(code: bad), bad) }
    }

    func testAmountsAreWrittenTheWayEachLanguageReadsThem() throws {
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        XCTAssertEqual(Format.amount(Money(minorUnits: 123_456, currency: eur), .fr), "1\u{202F}234,56\u{00A0}€")
        XCTAssertEqual(Format.amount(Money(minorUnits: 123_456, currency: eur), .en), "€1,234.56")
        XCTAssertEqual(Format.amount(Money(minorUnits: 5, currency: eur), .en), "€0.05")
        XCTAssertEqual(Format.amount(Money(minorUnits: 1_234_567_890, currency: eur), .en), "€12,345,678.90")
        let jpy = try XCTUnwrap(Currency(code: "JPY"))
        XCTAssertEqual(Format.amount(Money(minorUnits: 1500, currency: jpy), .en), "¥1,500")
        let tnd = try XCTUnwrap(Currency(code: "TND"))
        XCTAssertEqual(Format.amount(Money(minorUnits: 12_345, currency: tnd), .fr), "12,345\u{00A0}TND")
        let chf = try XCTUnwrap(Currency(code: "CHF"))
        XCTAssertEqual(Format.amount(Money(minorUnits: 1200, currency: chf), .en), "CHF\u{00A0}12.00")
        XCTAssertEqual(Format.plainAmount(Money(minorUnits: 123_456, currency: eur), .fr), "1234,56 EUR")
    }

    func testInstantsAreReadExactlyAsRFC3339WritesThem() throws {
        let cases: [(String, String?)] = [
            ("2026-03-31T23:30:00Z", "2026-03-31T23:30:00Z"),
            ("2026-03-31T23:30:00.5Z", "2026-03-31T23:30:00Z"),
            ("2026-03-31T23:30:00.123456789Z", "2026-03-31T23:30:00Z"),
            ("2026-04-01T01:30:00+02:00", "2026-03-31T23:30:00Z"),
            ("2026-03-31T20:00:00-03:30", "2026-03-31T23:30:00Z"),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
            // Foundation took these and moved them to another day; they are not instants.
            ("2026-02-30T00:00:00Z", nil), ("2026-04-31T00:00:00Z", nil), ("2025-02-29T00:00:00Z", nil),
            ("2026-03-31T24:00:00Z", nil), ("2026-03-31T23:60:00Z", nil), ("2026-03-31T23:59:60Z", nil),
            ("2026-03-31t23:30:00z", nil), ("2026-03-31 23:30:00Z", nil), ("2026-03-31T23:30:00", nil),
            ("2026-03-31T23:30Z", nil), ("2026-03-31T23:30:00.Z", nil), ("2026-03-31T23:30:00.1234567890Z", nil),
            ("2026-03-31T23:30:00+18:01", nil), ("2026-03-31T23:30:00+1:00", nil), ("1969-12-31T23:59:59Z", nil),
            ("0887-01-01T00:00:00Z", nil), ("", nil), ("+2026-03-31T23:30:00Z", nil),
            ("2026-03-31T23:30:00Z" + String(repeating: " ", count: 100), nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(Instant.parse(text).map(Instant.format), expected, text)
        }
        XCTAssertEqual(
            Instant.parse("2026-03-31T23:30:00.25Z")?.timeIntervalSince1970,
            (Instant.parse("2026-03-31T23:30:00Z")?.timeIntervalSince1970 ?? 0) + 0.25)
    }

    func testTimeZoneNamesThatFoundationWouldTrapOnAreRefusedFirst() {
        // Each of these stopped the process inside Foundation's GMT-offset parser (found by schemathesis).
        for name in ["GMT+01:x0", "UTC+01:x0", "GMT+1::30", "GMT+01:99", "GMT+19", "GMT+18:30", "GMT+", "UTC-1x"] {
            XCTAssertNil(TimeZoneName.zone(name), name)
        }
        let offsets: [(String, Int)] = [
            ("GMT+1", 3600), ("UTC-0530", -19_800), ("GMT+05:30", 19_800), ("UTC+5.30", 19_800),
            ("GMT-18:00", -64_800), ("GMT", 0), ("UTC", 0),
        ]
        for (name, seconds) in offsets {
            XCTAssertEqual(TimeZoneName.zone(name)?.secondsFromGMT(), seconds, name)
        }
        XCTAssertEqual(TimeZoneName.zone("Europe/Paris")?.identifier, "Europe/Paris")
        for name in ["", "Mars/Base", "Europe/Paris\u{0}", String(repeating: "A/", count: 40)] {
            XCTAssertNil(TimeZoneName.zone(name), name)
        }
    }

    func testDatesAreParsedStrictlyAndWrittenInWords() throws {
        XCTAssertEqual(CalendarDate(iso: "2024-02-29")?.iso, "2024-02-29")
        for bad in [
            "2023-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "2026/01/01", "2026-01-01T00:00", "", "abcd-ef-gh",
        ] {
            XCTAssertNil(CalendarDate(iso: bad), bad)
        }
        let date = try XCTUnwrap(CalendarDate(iso: "2026-03-01"))
        XCTAssertEqual(Format.date(date, .fr), "1er\u{00A0}mars 2026")
        XCTAssertEqual(Format.date(date.adding(days: 14), .en), "15\u{00A0}March 2026")
        XCTAssertEqual(date.isoWeekday, 7)  // a Sunday
        for days in stride(from: -719_000, through: 2_900_000, by: 997) {
            let day = CalendarDate(daysSinceEpoch: days)
            let (y, m, d) = day.components
            XCTAssertEqual(CalendarDate(year: y, month: m, day: d), day)
        }
    }

    func testTodayDependsOnTheTimeZone() throws {
        // 23:30 UTC on 31 March is already 1 April in Paris (UTC+2).
        let instant = try XCTUnwrap(Instant.parse("2026-03-31T23:30:00Z"))
        let paris = try XCTUnwrap(TimeZone(identifier: "Europe/Paris"))
        let newYork = try XCTUnwrap(TimeZone(identifier: "America/New_York"))
        XCTAssertEqual(CalendarDate(instant: instant, timeZone: paris).iso, "2026-04-01")
        XCTAssertEqual(CalendarDate(instant: instant, timeZone: newYork).iso, "2026-03-31")
        XCTAssertEqual(Instant.format(instant), "2026-03-31T23:30:00Z")
    }

    func testDueStateAroundTheDueDate() throws {
        let due = try XCTUnwrap(CalendarDate(iso: "2026-03-15"))
        XCTAssertEqual(DueState(status: .open, dueOn: due, today: due.adding(days: -3)), .dueIn(days: 3))
        XCTAssertEqual(DueState(status: .open, dueOn: due, today: due), .dueToday)
        XCTAssertEqual(DueState(status: .open, dueOn: due, today: due.adding(days: 1)), .overdue(days: 1))
        XCTAssertEqual(DueState(status: .paid, dueOn: due, today: due.adding(days: 9)), .paid)
        XCTAssertEqual(DueState(status: .open, dueOn: due, today: due.adding(days: 9)).daysOverdue, 9)
    }

    func testPhoneNumbersMustBeE164() {
        for good in ["+33612345678", "+14155550123", "+447700900123", "+123456789012345"] {
            XCTAssertNotNil(PhoneNumber(good), good)
        }
        for bad in [
            "0612345678", "+0612345678", "+33 6 12 34 56 78", "33612345678", "+3361234567890123", "+1234567",
            "+33abc45678", "",
        ] {
            XCTAssertNil(PhoneNumber(bad), bad)
        }
        XCTAssertEqual(PhoneNumber("+33612345678")?.masked, "+336••••••78")
    }

    func testAGatewaysSenderNumberMayLackItsPlusOrUse00() {
        for given in ["+33612345678", "33612345678", "0033612345678", " 33612345678 "] {
            XCTAssertEqual(PhoneNumber(gateway: given)?.e164, "+33612345678", given)
        }
        for bad in ["", "+", "0612345678x", "00", "+0033612345678"] {
            XCTAssertNil(PhoneNumber(gateway: bad), bad)
        }
    }

    func testATypedNumberLosesItsPunctuationThenMeetsTheSameE164Rule() {
        XCTAssertEqual(PhoneNumber(typed: "+33 6 12-34 (56) 78")?.e164, "+33612345678")
        XCTAssertEqual(PhoneNumber(typed: " +33.6.12.34.56.78 ")?.e164, "+33612345678")
        XCTAssertEqual(PhoneNumber(typed: "+33612345678")?.e164, "+33612345678")
        for bad in ["06 12 34 56 78", "+33 6 12 34 56 7x", "", "()"] {
            XCTAssertNil(PhoneNumber(typed: bad), bad)
        }
        // The API's numbers stay strict: typed punctuation is for people's forms only.
        XCTAssertNil(PhoneNumber("+33 6 12 34 56 78"))
        XCTAssertEqual(PhoneNumber.compact("+33612345678"), "+33612345678")
        XCTAssertEqual(PhoneNumber.compact("+33 (0)6-12"), "+330612")
    }

    func testPaymentMethodsAreOneListWithCheckAcceptedButNotOffered() {
        XCTAssertEqual(PaymentMethod(typed: " Direct_Debit "), .directDebit)
        XCTAssertEqual(PaymentMethod(typed: "check"), .check)
        for bad in ["", " ", "bitcoin", "virement", "card,cash"] {
            XCTAssertNil(PaymentMethod(typed: bad), bad)
        }
        XCTAssertEqual(PaymentMethod.listing, "card, cash, check, cheque, direct_debit, other, transfer")
        XCTAssertEqual(PaymentMethod.offered, [.card, .cash, .cheque, .directDebit, .other, .transfer])
    }

    func testAPaymentReferenceIsTrimmedAndBounded() {
        XCTAssertNil(PaymentReference.trimmed(nil))
        XCTAssertNil(PaymentReference.trimmed(" \n "))
        XCTAssertEqual(PaymentReference.trimmed(" VIR-42\n"), "VIR-42")
        XCTAssertEqual(PaymentReference.problems(String(repeating: "x", count: 200)), [])
        XCTAssertEqual(PaymentReference.problems(String(repeating: "x", count: 201)), [.tooLong])
        XCTAssertEqual(PaymentReference.problems("VIR\u{0007}42"), [.controlCharacters])
    }

    func testTypedAmountsMeetTheSameBoundsAsTheAPIs() throws {
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        XCTAssertEqual(Money.acceptedMinorUnits, 1...Money.maximumMinorUnits)
        // Zero reads as an amount, but no invoice or payment is of nothing.
        XCTAssertEqual(TypedAmount.parse("0,00", currency: eur), 0)
        XCTAssertFalse(Money.acceptedMinorUnits.contains(0))
        let largest = try XCTUnwrap(TypedAmount.parse("10 000 000 000 000,00", currency: eur))
        XCTAssertTrue(Money.acceptedMinorUnits.contains(largest))
    }

    func testLanguageComesFromTheCustomerThenTheBrowser() {
        XCTAssertEqual(Language.resolve(customerLocale: "en-GB", acceptLanguage: "fr", fallback: .fr), .en)
        XCTAssertEqual(
            Language.resolve(customerLocale: nil, acceptLanguage: "de-DE,en;q=0.8,fr;q=0.9", fallback: .en), .fr)
        XCTAssertEqual(Language.resolve(customerLocale: "de", acceptLanguage: "es", fallback: .en), .en)
        XCTAssertEqual(Language.resolve(customerLocale: "french", acceptLanguage: nil, fallback: .en), .en)
        XCTAssertEqual(Language.resolve(customerLocale: nil, acceptLanguage: "fr;q=0, en", fallback: .fr), .en)
    }

    func testLinkPreviewFetchersAreNotPeople() {
        let previews = [
            "WhatsApp/2.23.20.0 A", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.0", nil, "",
        ]
        for agent in previews { XCTAssertEqual(UserAgentClass(userAgent: agent), .preview, agent ?? "nil") }
        let people = [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Line/13.1.0",
        ]
        for agent in people { XCTAssertEqual(UserAgentClass(userAgent: agent), .person, agent) }
    }

    func testDefaultLinkExpiryIsDueDatePlusLifetimeButNeverSoonerThanTwoWeeks() throws {
        let paris = try XCTUnwrap(TimeZone(identifier: "Europe/Paris"))
        let due = try XCTUnwrap(CalendarDate(iso: "2026-03-15"))
        let now = try XCTUnwrap(Instant.parse("2026-03-01T10:00:00Z"))
        let expiry = LinkLifetime.defaultExpiry(dueOn: due, lifetimeDays: 60, timeZone: paris, now: now)
        XCTAssertEqual(Instant.format(expiry), "2026-05-14T22:00:00Z")  // end of 14 May in Paris
        let late = try XCTUnwrap(Instant.parse("2026-08-01T10:00:00Z"))
        XCTAssertEqual(
            LinkLifetime.defaultExpiry(dueOn: due, lifetimeDays: 60, timeZone: paris, now: late),
            late.addingTimeInterval(14 * 86_400))
        // An invoice due in year 9999 still gets a link that ends within the longest lifetime.
        let far = try XCTUnwrap(CalendarDate(iso: "9999-12-31"))
        XCTAssertEqual(
            LinkLifetime.defaultExpiry(dueOn: far, lifetimeDays: 60, timeZone: paris, now: now),
            now.addingTimeInterval(TimeInterval(LinkLifetime.maximumDays) * 86_400))
    }
}

final class CreditorReferenceTests: XCTestCase {
    func testReferencesCarryCheckDigitsBanksVerify() {
        // The example of ISO 11649 and of the European Payments Council's guidance.
        XCTAssertTrue(CreditorReference.isValid("RF18 5390 0754 7034"))
        XCTAssertEqual(CreditorReference.make("539007547034"), "RF18539007547034")
        XCTAssertEqual(CreditorReference.make("F-2026-0042").map(CreditorReference.isValid), true)
        XCTAssertEqual(CreditorReference.make("f-2026-0042"), CreditorReference.make("F20260042"))
        XCTAssertFalse(CreditorReference.isValid("RF19 5390 0754 7034"))
        XCTAssertFalse(CreditorReference.isValid("RF18 5390 0754 7035"))
        XCTAssertNil(CreditorReference.make("---"))
        XCTAssertNil(CreditorReference.make(String(repeating: "A", count: 22)))
        XCTAssertEqual(CreditorReference.grouped("RF18539007547034"), "RF18 5390 0754 7034")
        // Every reference made is valid, whatever the number.
        for number in ["1", "Z", "INV-000001", "ÉTÉ-2026/7", "abcdefghijklmnopqrstu"] {
            guard let reference = CreditorReference.make(number) else { return XCTFail(number) }
            XCTAssertTrue(CreditorReference.isValid(reference), "\(number) → \(reference)")
        }
    }
}
