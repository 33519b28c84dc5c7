import Foundation

/// A phone number in E.164 form: `+`, a country code that does not start with 0, 8 to 15 digits.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public let e164: String

    /// A number as people type it, without the spaces, dots, dashes and brackets they put in it:
    /// `+33 6 12-34 (56) 78` becomes `+33612345678` (still to be checked by `init?`). Public for the
    /// forms whose text goes through `CustomerRules` (its length and control-character checks) first;
    /// anywhere else, `init?(typed:)`.
    public static func compact(_ typed: String) -> String {
        // Most numbers in a spreadsheet of 100,000 rows are already bare: no copy for them.
        guard typed.utf8.contains(where: isPunctuation) else { return typed }
        return String(decoding: typed.utf8.filter { !isPunctuation($0) }, as: UTF8.self)
    }

    /// Space, dot, dash and brackets.
    static func isPunctuation(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"): true
        default: false
        }
    }

    /// A number as a person typed it (a form, a spreadsheet, the business's settings): `compact`, then
    /// the E.164 check. The API and stored numbers give E.164 already and use `init?(_:)`; gateways,
    /// `init?(gateway:)`.
    public init?(typed: String) { self.init(PhoneNumber.compact(typed)) }

    /// A sender's number as an SMS gateway reports it: `+33612345678`, `33612345678` or `0033612345678`.
    public init?(gateway: String) {
        var digits = gateway.trimmingCharacters(in: .whitespaces)
        if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
        if !digits.hasPrefix("+") { digits = "+" + digits }
        self.init(digits)
    }

    /// Strict E.164, for a number that must already be in that form.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 9, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"),
            bytes[1] >= UInt8(ascii: "1"), bytes[1] <= UInt8(ascii: "9"),
            bytes.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        e164 = text
    }

    public var description: String { e164 }

    /// `+33 6•• •• •• 78`: enough for a person to recognise their own number, not to dial it.
    public var masked: String {
        let digits = Array(e164.dropFirst())
        guard digits.count > 6 else { return "+" + String(repeating: "•", count: digits.count) }
        let head = String(digits.prefix(3))
        let tail = String(digits.suffix(2))
        return "+" + head + String(repeating: "•", count: digits.count - 5) + tail
    }
}

/// A phone number as people read it.
public enum PhoneDisplay {
    /// French numbers in pairs (`+33 1 23 45 67 89`); others as stored.
    public static func format(_ e164: String) -> String {
        let bytes = Array(e164.utf8)
        guard bytes.count == 12, bytes[0] == UInt8(ascii: "+"), bytes[1] == UInt8(ascii: "3"),
            bytes[2] == UInt8(ascii: "3")
        else { return e164 }
        var out: [UInt8] = Array("+33 ".utf8)
        out.append(bytes[3])
        for index in stride(from: 4, to: 12, by: 2) {
            out.append(UInt8(ascii: " "))
            out.append(bytes[index])
            out.append(bytes[index + 1])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
