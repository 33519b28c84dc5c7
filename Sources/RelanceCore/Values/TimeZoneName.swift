import Foundation

/// Time zones by the name someone typed: an IANA name (`Europe/Paris`) or an offset from GMT/UTC.
public enum TimeZoneName {
    /// The zone named `identifier`, or nil. Foundation stops the whole process on some offset spellings
    /// (`GMT+01:x0` overflows inside its parser), so an offset is read here first and only a well-formed
    /// one reaches Foundation: `GMT+1`, `UTC-0530`, `GMT+05:30`, `UTC+5.30`, up to ±18:00.
    public static func zone(_ identifier: String) -> TimeZone? {
        guard !identifier.isEmpty, identifier.utf8.count <= 64, !PlainText.hasControlCharacters(identifier) else {
            return nil
        }
        if identifier.hasPrefix("GMT") || identifier.hasPrefix("UTC") {
            let rest = identifier.dropFirst(3)
            if let sign = rest.first, sign == "+" || sign == "-" {
                guard isOffset(rest.dropFirst()) else { return nil }
            }
        }
        return TimeZone(identifier: identifier)
    }

    /// `H`, `HH`, `HHMM`, `HH:MM`, `HH.MM`, `H:MM` or `H.MM`, at most 18:00.
    static func isOffset(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        func digit(_ index: Int) -> Int? {
            index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 ? Int(bytes[index] - 48) : nil
        }
        var index = 0
        guard let first = digit(0) else { return false }
        var hours = first
        index = 1
        if let second = digit(1) {
            hours = first * 10 + second
            index = 2
        }
        guard hours <= 18 else { return false }
        if index == bytes.count { return true }
        if bytes[index] == 58 || bytes[index] == 46 {
            index += 1
        }  // : or .
        else if index == 1 {
            return false
        }  // "1" then minutes needs a separator
        guard bytes.count - index == 2, let tens = digit(index), let ones = digit(index + 1), tens <= 5 else {
            return false
        }
        return hours < 18 || tens * 10 + ones == 0
    }
}
