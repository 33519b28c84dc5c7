/// ISO 11649 structured creditor references (`RF` + 2 check digits + up to 21 letters and digits), which
/// banks carry untouched from payer to payee, so a transfer can be matched to its invoice by machine.
public enum CreditorReference {
    /// The reference for an invoice number: its letters and digits, uppercased; nil when it has none or
    /// more than 21 (then the caller uses another key, such as the invoice id).
    public static func make(_ source: String) -> String? {
        let body = String(
            source.uppercased().unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
            })
        guard !body.isEmpty, body.count <= 21, let remainder = mod97(body + "RF00") else { return nil }
        let check = 98 - remainder
        return "RF" + (check < 10 ? "0" : "") + String(check) + body
    }

    /// Whether `reference` (spaces ignored) is a well-formed RF reference with matching check digits.
    public static func isValid(_ reference: String) -> Bool {
        let compact = reference.uppercased().filter { $0 != " " }
        guard compact.hasPrefix("RF"), (5...25).contains(compact.count) else { return false }
        return mod97(String(compact.dropFirst(4)) + String(compact.prefix(4))) == 1
    }

    /// IBAN check digits (ISO 13616) use the same arithmetic: country and check digits moved to the end,
    /// the whole taken mod 97, which must leave 1.
    public static func isValidIBAN(_ iban: String) -> Bool {
        let compact = iban.uppercased()
        let characters = Array(compact)
        guard (15...34).contains(characters.count), characters[0].isLetter, characters[1].isLetter,
            characters[2].isNumber, characters[3].isNumber
        else { return false }
        return mod97(String(compact.dropFirst(4)) + String(compact.prefix(4))) == 1
    }

    /// `RF18539007547034` → `RF18 5390 0754 7034`, as it is printed for people.
    public static func grouped(_ reference: String) -> String {
        var out = ""
        for (index, character) in reference.enumerated() {
            if index > 0 && index % 4 == 0 { out.append(" ") }
            out.append(character)
        }
        return out
    }

    /// Letters count as 10–35, the digits of the whole as one big number, taken mod 97 digit by digit.
    static func mod97(_ text: String) -> Int? {
        var remainder = 0
        for scalar in text.unicodeScalars {
            let value: Int
            switch scalar {
            case "0"..."9": value = Int(scalar.value - 48)
            case "A"..."Z": value = Int(scalar.value - 55)
            default: return nil
            }
            remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97
        }
        return remainder
    }
}
