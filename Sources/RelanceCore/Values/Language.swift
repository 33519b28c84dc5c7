/// The languages customer pages and messages are written in.
public enum Language: String, Sendable, CaseIterable {
    case fr, en

    /// From a stored locale (`fr`, `fr-BE`, `en_GB`), or nil when it names no language we speak.
    public init?(locale: String?) {
        guard let locale, locale.utf8.count >= 2 else { return nil }
        let prefix = locale.prefix(2).lowercased()
        guard let language = Language(rawValue: prefix) else { return nil }
        let rest = locale.dropFirst(2)
        guard rest.isEmpty || rest.first == "-" || rest.first == "_" else { return nil }
        self = language
    }

    /// The best of our languages for an `Accept-Language` header, honouring q-values.
    public static func preferred(acceptLanguage: String?) -> Language? {
        guard let acceptLanguage else { return nil }
        var best: (Language, Double)?
        for item in acceptLanguage.split(separator: ",").prefix(20) {
            let parts = item.split(separator: ";")
            guard let tag = parts.first?.trimmingCharacters(in: .whitespaces),
                let language = Language(locale: tag)
            else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix("q="), let value = Double(pair.dropFirst(2)) { quality = value }
            }
            if quality > 0, quality > (best?.1 ?? 0) { best = (language, quality) }
        }
        return best?.0
    }

    /// A customer's stored locale wins; then the browser's; then the business default.
    public static func resolve(customerLocale: String?, acceptLanguage: String?, fallback: Language) -> Language {
        Language(locale: customerLocale) ?? preferred(acceptLanguage: acceptLanguage) ?? fallback
    }
}

/// Amounts and dates written the way a reader of each language expects.
public enum Format {
    static let noBreakSpace = "\u{00A0}"
    static let narrowNoBreakSpace = "\u{202F}"

    /// `1 234,56 €` in French, `€1,234.56` in English; codes where no symbol is clear (`CHF 12.00`).
    public static func amount(_ money: Money, _ language: Language) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        if money.minorUnits < 0 { out.append(UInt8(ascii: "-")) }
        let symbol = money.currency.symbol
        if language == .en {
            if let symbol {
                out += symbol.utf8
            } else {
                out += money.currency.code.utf8
                out += noBreakSpaceUTF8
            }
        }
        appendNumber(
            money, grouping: language == .fr ? narrowNoBreakSpaceUTF8 : [UInt8(ascii: ",")],
            decimal: language == .fr ? UInt8(ascii: ",") : UInt8(ascii: "."), to: &out)
        if language == .fr {
            out += noBreakSpaceUTF8
            out += (symbol ?? money.currency.code).utf8
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let noBreakSpaceUTF8 = Array(noBreakSpace.utf8)
    static let narrowNoBreakSpaceUTF8 = Array(narrowNoBreakSpace.utf8)

    /// The magnitude's digits with `grouping` every three, then the minor unit after `decimal`.
    static func appendNumber(_ money: Money, grouping: [UInt8], decimal: UInt8, to out: inout [UInt8]) {
        let factor = UInt64(money.currency.minorUnitsPerMajor)
        let magnitude = money.minorUnits.magnitude
        let major = Array(String(magnitude / factor).utf8)
        for (index, digit) in major.enumerated() {
            if index > 0 && (major.count - index) % 3 == 0 { out += grouping }
            out.append(digit)
        }
        if money.currency.exponent > 0 {
            out.append(decimal)
            let minor = Array(String(magnitude % factor).utf8)
            for _ in minor.count..<money.currency.exponent { out.append(UInt8(ascii: "0")) }
            out += minor
        }
    }

    static let monthsFR = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre",
    ]
    static let monthsEN = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// `3 mars 2026` / `3 March 2026`, never an all-number date that reads differently by country.
    public static func date(_ date: CalendarDate, _ language: Language) -> String {
        let (year, month, day) = date.components
        switch language {
        case .fr: return (day == 1 ? "1er" : String(day)) + noBreakSpace + monthsFR[month - 1] + " " + String(year)
        case .en: return String(day) + noBreakSpace + monthsEN[month - 1] + " " + String(year)
        }
    }
}

extension Format {
    /// The amount as a bank form wants it: no grouping, the language's decimal mark, the code
    /// (`1234,56 EUR` / `1234.56 EUR`).
    public static func plainAmount(_ money: Money, _ language: Language) -> String {
        typedAmount(money, language) + " " + money.currency.code
    }

    /// The number alone, as a person would type it into a form: `411,52` in French, `411.52` in English.
    public static func typedAmount(_ money: Money, _ language: Language) -> String {
        let factor = UInt64(money.currency.minorUnitsPerMajor)
        let magnitude = money.minorUnits.magnitude
        var number = (money.minorUnits < 0 ? "-" : "") + String(magnitude / factor)
        if money.currency.exponent > 0 {
            number += (language == .fr ? "," : ".") + pad(Int(magnitude % factor), money.currency.exponent)
        }
        return number
    }
}
