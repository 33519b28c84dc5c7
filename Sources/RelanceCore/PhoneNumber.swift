/// A phone number in E.164 form: `+`, a country code that does not start with 0, 8 to 15 digits.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public let e164: String

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
