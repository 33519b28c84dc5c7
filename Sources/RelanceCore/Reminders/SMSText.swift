import Foundation

/// How an SMS body travels: 7-bit GSM 03.38 when every character is in its alphabet, UCS-2 otherwise.
public enum SMSEncoding: String, Sendable, Codable, CaseIterable {
    case gsm7
    case ucs2
}

/// What a text costs as an SMS: its encoding, size in units (septets or UTF-16 code units) and segments,
/// and which characters forced UCS-2.
public struct SMSAnalysis: Equatable, Sendable {
    /// The text as it will be sent (lookalikes replaced when asked).
    public let text: String
    public let encoding: SMSEncoding
    /// Septets for GSM-7 (an extension character counts two), UTF-16 code units for UCS-2.
    public let units: Int
    public let segments: Int
    /// Characters outside GSM-7, each once, in order of appearance; empty for GSM-7 texts.
    public let charactersForcingUCS2: [Character]

    /// Units one segment holds for this encoding when the message is split (153 or 67) or not (160 or 70).
    public var unitsPerSegment: Int {
        switch encoding {
        case .gsm7: segments > 1 ? 153 : 160
        case .ucs2: segments > 1 ? 67 : 70
        }
    }
}

/// GSM 03.38 rules and SMS segment counting.
public enum SMSText {
    /// The GSM 03.38 default alphabet, in code order (0x1B, the escape, is left out).
    static let basic: Set<Unicode.Scalar> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
            .unicodeScalars)
    /// The extension table: each costs an escape septet plus its own.
    static let extended: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)

    /// Typographic characters with a plain GSM-7 equivalent that reads the same.
    public static let lookalikes: [Character: String] = [
        "\u{2019}": "'", "\u{2018}": "'", "\u{201A}": "'", "\u{2032}": "'", "\u{02BC}": "'",
        "\u{201C}": "\"", "\u{201D}": "\"", "\u{201E}": "\"", "\u{00AB}": "\"", "\u{00BB}": "\"",
        "\u{2039}": "'", "\u{203A}": "'",
        "\u{2013}": "-", "\u{2014}": "-", "\u{2012}": "-", "\u{2010}": "-", "\u{2011}": "-", "\u{2212}": "-",
        "\u{2026}": "...",
        "\u{00A0}": " ", "\u{202F}": " ", "\u{2009}": " ", "\u{2007}": " ", "\u{2002}": " ", "\u{2003}": " ",
        "\u{200A}": " ", "\u{2008}": " ",
        "\u{200B}": "", "\u{FEFF}": "",
        "\u{2022}": "-",
    ]

    /// True when `scalar` can be sent in GSM-7 (basic or extension table).
    public static func isGSM7(_ scalar: Unicode.Scalar) -> Bool {
        basic.contains(scalar) || extended.contains(scalar)
    }

    /// `text` with typographic lookalikes replaced by GSM-7 characters; accented letters outside GSM-7
    /// (ê, â, î, ô, û, ç…) are left as they are, never turned into other letters.
    public static func replacingLookalikes(_ text: String) -> String {
        // Plain ASCII has no lookalikes: most texts are mostly ASCII, and this runs for every message.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            if let replacement = lookalikes[character] { out += replacement } else { out.append(character) }
        }
        return out
    }

    /// Encoding, size and segments of `text` (in NFC, so é is one character however it was typed),
    /// optionally after replacing lookalikes.
    public static func analyze(_ text: String, replaceLookalikes: Bool = true) -> SMSAnalysis {
        let replaced = replaceLookalikes ? replacingLookalikes(text) : text
        let body = replaced.utf8.allSatisfy { $0 < 0x80 } ? replaced : replaced.precomposedStringWithCanonicalMapping
        var forcing: [Character] = []
        var seen: Set<Unicode.Scalar> = []
        for scalar in body.unicodeScalars where !isGSM7(scalar) && seen.insert(scalar).inserted {
            forcing.append(Character(scalar))
        }
        if forcing.isEmpty {
            // Septet costs in order; an escape pair may not be split across two segments.
            let costs = body.unicodeScalars.map { extended.contains($0) ? 2 : 1 }
            let units = costs.reduce(0, +)
            return SMSAnalysis(
                text: body, encoding: .gsm7, units: units, segments: units <= 160 ? 1 : pack(costs, capacity: 153),
                charactersForcingUCS2: [])
        }
        // UTF-16 code units; a character outside the BMP takes a surrogate pair, never split.
        let costs = body.unicodeScalars.map { UTF16.width($0) }
        let units = costs.reduce(0, +)
        return SMSAnalysis(
            text: body, encoding: .ucs2, units: units, segments: units <= 70 ? 1 : pack(costs, capacity: 67),
            charactersForcingUCS2: forcing)
    }

    /// How many segments of `capacity` units hold the characters of these costs without splitting one.
    static func pack(_ costs: [Int], capacity: Int) -> Int {
        var segments = 1
        var used = 0
        for cost in costs {
            if used + cost > capacity {
                segments += 1
                used = 0
            }
            used += cost
        }
        return segments
    }
}
