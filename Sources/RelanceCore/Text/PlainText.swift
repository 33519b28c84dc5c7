/// The rule every text that enters from outside (API field, form, spreadsheet cell) follows: no
/// control characters. A NUL, an escape sequence or a stray line break in a name would reach text
/// messages, CSV exports and logs.
public enum PlainText {
    /// Whether `text` holds a control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F),
    /// read on its UTF-8 bytes: in Swift `"\r\n"` is one Character, and bytes are quicker for imports.
    /// With `allowingLineBreaks`, CR and LF are text (an address, a message's body); the rest is not.
    public static func hasControlCharacters(_ text: String, allowingLineBreaks: Bool = false) -> Bool {
        // A native string's bytes in place (an import reads every cell); any other through its UTF-8 view.
        text.utf8.withContiguousStorageIfAvailable { hasControlCharacters($0, allowingLineBreaks: allowingLineBreaks) }
            ?? hasControlCharacters(text.utf8, allowingLineBreaks: allowingLineBreaks)
    }

    static func hasControlCharacters(_ bytes: some Collection<UInt8>, allowingLineBreaks: Bool) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if (byte < 0x20 && !(allowingLineBreaks && (byte == 10 || byte == 13))) || byte == 0x7F { return true }
            // U+0080–U+009F are C2 80 – C2 9F in UTF-8.
            if previous == 0xC2 && byte >= 0x80 && byte <= 0x9F { return true }
            previous = byte
        }
        return false
    }

    /// `text` without its control characters, line breaks kept: for what a customer types, where an
    /// invisible character carries nothing worth a refusal.
    public static func withoutControlCharacters(_ text: String) -> String {
        guard hasControlCharacters(text, allowingLineBreaks: true) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars
        where scalar.properties.generalCategory != .control || scalar == "\n" || scalar == "\r" {
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// `text` without the white space around it. Most fields have none: they are returned as they are,
    /// without Foundation's trimming, which is slow on Linux (a 100,000-row import spent a fifth of its
    /// time in it).
    public static func trimmed(_ text: String) -> String {
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard let first = bytes.first, let last = bytes.last else { return true }
            return first > 32 && first < 128 && last > 32 && last < 128
        }
        if plain == true { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
