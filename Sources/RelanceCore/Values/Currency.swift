/// An ISO 4217 currency with the number of decimals its minor unit has (EUR 2, JPY 0, TND 3).
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    /// The currency for an ISO 4217 code, or nil when the code is not an active currency.
    public init?(code: String) {
        guard code.utf8.count == 3, let exponent = Currency.exponents[code] else { return nil }
        self.code = code
        self.exponent = exponent
    }

    public var description: String { code }

    /// How many minor units make one major unit (100 for EUR, 1 for JPY, 1000 for TND).
    public var minorUnitsPerMajor: Int64 {
        var factor: Int64 = 1
        for _ in 0..<exponent { factor *= 10 }
        return factor
    }

    /// A short symbol where one is unambiguous for a reader; otherwise nil and the code is shown.
    public var symbol: String? { Currency.symbols[code] }

    static let symbols: [String: String] = [
        "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪",
        "NGN": "₦", "UAH": "₴", "VND": "₫", "PHP": "₱", "TRY": "₺",
    ]

    // Active ISO 4217 codes (list of 2024) and their minor-unit exponents; 2 unless listed otherwise.
    static let exponents: [String: Int] = {
        let twoDecimals = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP \
            BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD \
            FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD \
            KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD \
            NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP \
            SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED \
            VES WST XCD XCG YER ZAR ZMW ZWG
            """
        let zeroDecimals = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
        let threeDecimals = "BHD IQD JOD KWD LYD OMR TND"
        let fourDecimals = "CLF UYW"
        var table: [String: Int] = [:]
        for (list, exponent) in [(twoDecimals, 2), (zeroDecimals, 0), (threeDecimals, 3), (fourDecimals, 4)] {
            for code in list.split(separator: " ") { table[String(code)] = exponent }
        }
        return table
    }()
}

/// An amount of money: an integer count of minor units in one currency.
public struct Money: Hashable, Sendable {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The largest amount Relance accepts for one invoice or payment: 10^15 minor units, far above
    /// any real invoice and far enough from Int64's limit that sums of many payments cannot overflow.
    public static let maximumMinorUnits: Int64 = 1_000_000_000_000_000

    /// The amounts an invoice or a payment may have: something, and at most `maximumMinorUnits`. One
    /// bound for the API's JSON numbers and for amounts people type (forms, import), each only wording
    /// a refusal its own way.
    public static let acceptedMinorUnits: ClosedRange<Int64> = 1...Money.maximumMinorUnits

    /// The sum of many amounts, held at Int64's limit instead of trapping. Each amount is at most
    /// `maximumMinorUnits`, so reaching the limit takes more than 9,000 of them at that maximum: no
    /// business has such a total, and a capped figure is only ever shown to whoever built it on purpose.
    public static func total(_ amounts: some Sequence<Int64>) -> Int64 {
        var sum: Int64 = 0
        for amount in amounts {
            let (next, overflow) = sum.addingReportingOverflow(amount)
            if overflow { return amount < 0 ? .min : .max }
            sum = next
        }
        return sum
    }
}
