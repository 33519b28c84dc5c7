import Foundation

/// The one rule for an email address, wherever Relance takes one (the API, the dashboard's forms and
/// accounts, the import, the business profile) and before it sends to one: an address taken anywhere is
/// one the SMTP client will send to, so no reminder is skipped later for an address accepted earlier.
public enum EmailAddress {
    /// A plain `local@domain.tld` address: printable ASCII without spaces, quotes, angle brackets or
    /// line breaks (nothing that could end a header or a command), at most 254 characters.
    public static func isValid(_ address: String) -> Bool {
        // One pass over the bytes, no Foundation: the import checks an address on each of 100,000 rows,
        // twice (its two readings).
        address.utf8.withContiguousStorageIfAvailable(isValid) ?? Array(address.utf8).withUnsafeBufferPointer(isValid)
    }

    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let dot = UInt8(ascii: "."), dash = UInt8(ascii: "-")
        let local = bytes[..<at]
        guard (1...64).contains(local.count), local.first != dot, local.last != dot else { return false }
        var previous: UInt8 = 0
        for byte in local {
            guard byte > 32, byte < 127, !forbidden(byte), !(byte == dot && previous == dot) else { return false }
            previous = byte
        }
        // Labels of 1 to 63 letters, digits and inner dashes; at least two of them.
        var labels = 0
        var length = 0
        var last: UInt8 = 0
        for byte in bytes[(at + 1)...] {
            if byte == dot {
                guard length > 0, last != dash else { return false }
                labels += 1
                length = 0
            } else {
                let alphanumeric =
                    (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                guard alphanumeric || byte == dash, !(byte == dash && length == 0) else { return false }
                length += 1
                guard length <= 63 else { return false }
            }
            last = byte
        }
        guard length > 0, last != dash else { return false }
        return labels + 1 >= 2
    }

    private static func forbidden(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["),
            UInt8(ascii: "]"), UInt8(ascii: "\\"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"),
            UInt8(ascii: "\""), UInt8(ascii: "@"), UInt8(ascii: " "):
            return true
        default:
            return false
        }
    }
}

/// One email as it goes on the wire: RFC 5322 headers and a `multipart/alternative` body with a
/// plain-text part and an HTML part, UTF-8 in quoted-printable, CRLF line ends.
public struct EmailMessage: Sendable, Equatable {
    public var fromAddress: String
    public var fromName: String?
    public var to: String
    public var replyTo: String?
    public var subject: String
    public var text: String
    public var html: String?
    /// An https URL that unsubscribes with one POST (RFC 8058), shown to mail clients as a button.
    public var unsubscribeURL: String?
    /// Without the angle brackets.
    public var messageID: String
    public var date: Date

    public init(
        fromAddress: String, fromName: String?, to: String, replyTo: String? = nil, subject: String, text: String,
        html: String? = nil, unsubscribeURL: String? = nil, messageID: String, date: Date
    ) {
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.unsubscribeURL = unsubscribeURL
        self.messageID = messageID
        self.date = date
    }

    /// The whole message, headers and body, lines ending in CRLF (no SMTP dot-stuffing yet).
    public func rendered() -> String {
        var headers = [
            "Date: " + MIME.date(date),
            "From: " + MIME.mailbox(fromName, fromAddress),
            "To: <\(to)>",
        ]
        if let replyTo { headers.append("Reply-To: <\(replyTo)>") }
        headers.append(MIME.header("Subject", subject))
        headers.append("Message-ID: <\(messageID)>")
        headers.append("MIME-Version: 1.0")
        // A reminder is sent by a program: out-of-office replies should not answer it (RFC 3834).
        headers.append("Auto-Submitted: auto-generated")
        if let unsubscribeURL {
            headers.append("List-Unsubscribe: <\(unsubscribeURL)>")
            // One-click is defined for https only (RFC 8058 §3.1).
            if unsubscribeURL.hasPrefix("https://") {
                headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
            }
        }
        let textPart = MIME.quotedPrintable(text)
        guard let html else {
            headers += [
                "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable",
            ]
            return headers.joined(separator: "\r\n") + "\r\n\r\n" + textPart + "\r\n"
        }
        // "=_" never occurs in quoted-printable output, so the boundary cannot appear inside a part.
        let boundary = "=_relance_" + Crypto.sha256Hex(messageID).prefix(24)
        headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        let body = [
            "--" + boundary,
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            textPart,
            "--" + boundary,
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            MIME.quotedPrintable(html),
            "--" + boundary + "--",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body.joined(separator: "\r\n") + "\r\n"
    }
}

/// The encodings an email needs: RFC 2047 words for non-ASCII headers, RFC 2045 quoted-printable
/// for bodies, and the RFC 5322 date.
public enum MIME {
    /// `Name: value`, as is when the value is short printable ASCII, else as UTF-8 encoded words on
    /// folded lines, each word at most 75 characters and never splitting a character.
    public static func header(_ name: String, _ value: String) -> String {
        let value = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if value.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) && name.count + 2 + value.utf8.count <= 78 {
            return name + ": " + value
        }
        return name + ": " + encodedWords(value, firstLineUsed: name.count + 2).joined(separator: "\r\n ")
    }

    /// `=?UTF-8?B?…?=` words for folded lines of at most 76 characters (RFC 2047 §2): 45 bytes of text
    /// per word (72 characters, after the folding space 73), fewer in the first after `Name: `.
    public static func encodedWords(_ value: String, firstLineUsed: Int = 1) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in value.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            let budget = words.isEmpty ? max(3, (76 - firstLineUsed - 12) / 4 * 3) : 45
            if chunk.count + bytes.count > budget {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    /// A `From` mailbox: a plain display name quoted, any other name as encoded words.
    public static func mailbox(_ name: String?, _ address: String) -> String {
        guard let name, !name.isEmpty else { return "<\(address)>" }
        let clean = name.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            let quoted = clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(address)>"
        }
        return (encodedWords(clean, firstLineUsed: 6) + ["<\(address)>"]).joined(separator: "\r\n ")
    }

    /// Quoted-printable with CRLF line ends and lines of at most 76 characters; any line break in
    /// the input (`\n` or `\r\n`) is a hard break.
    public static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var lines: [String] = []
        let source = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var out: [UInt8] = []
            var width = 0
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                var piece: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last) {
                    piece = [byte]
                } else {
                    piece = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                }
                // A soft break keeps each line at 76 characters, the "=" included.
                if width + piece.count > (last ? 76 : 75) {
                    out += Array("=\r\n".utf8)
                    width = 0
                }
                out += piece
                width += piece.count
            }
            lines.append(String(decoding: out, as: UTF8.self))
        }
        return lines.joined(separator: "\r\n")
    }

    private static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter
    }()
    private static let dateLock = NSLock()

    /// `Sun, 29 Nov 2026 08:00:00 +0000`.
    public static func date(_ date: Date) -> String {
        dateLock.lock()
        defer { dateLock.unlock() }
        return dateFormatter.string(from: date)
    }
}

/// The HTML part of a reminder, made from its text: the same words, the link as a button, and the
/// business's details and an unsubscribe link at the foot. Inline styles only, as mail clients want.
public enum EmailHTML {
    /// `logoURL`: the business's logo, shown in place of its name at the top (with the name as its
    /// alternative text, for clients that block images).
    public static func render(
        text: String, link: String, buttonLabel: String, businessName: String, footer: [String],
        unsubscribe: (url: String, label: String)?, language: Language, logoURL: String? = nil
    ) -> String {
        let paragraphs = text.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        var body = ""
        for paragraph in paragraphs {
            if paragraph == link {
                body += button(link, buttonLabel)
                continue
            }
            let escaped = HTML.escaped(paragraph).replacingOccurrences(of: "\n", with: "<br>")
            let linked = escaped.replacingOccurrences(
                of: HTML.escaped(link),
                with: "<a href=\"\(HTML.escaped(link))\" style=\"color:#0b5cad\">\(HTML.escaped(link))</a>")
            body += "<p style=\"margin:0 0 16px\">\(linked)</p>\n"
        }
        if !paragraphs.contains(link) { body += button(link, buttonLabel) }
        var foot = footer.filter { !$0.isEmpty }.map(HTML.escaped).joined(separator: "<br>")
        if let unsubscribe {
            foot +=
                (foot.isEmpty ? "" : "<br>")
                + "<a href=\"\(HTML.escaped(unsubscribe.url))\" style=\"color:#555\">\(HTML.escaped(unsubscribe.label))</a>"
        }
        return """
            <!doctype html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width,initial-scale=1">\
            <title>\(HTML.escaped(businessName))</title></head>
            <body style="margin:0;padding:0;background:#f4f4f2">
            <div style="max-width:560px;margin:0 auto;padding:24px 16px;font:16px/1.5 -apple-system,Segoe UI,Roboto,Arial,sans-serif;color:#1a1a1a">
            \(heading(businessName, logoURL))
            \(body)<p style="margin:28px 0 0;font-size:13px;color:#555">\(foot)</p>
            </div>
            </body></html>
            """
    }

    private static func heading(_ businessName: String, _ logoURL: String?) -> String {
        guard let logoURL else {
            return "<p style=\"margin:0 0 20px;font-weight:600;font-size:18px\">\(HTML.escaped(businessName))</p>"
        }
        return
            "<p style=\"margin:0 0 20px\"><img src=\"\(HTML.escaped(logoURL))\" alt=\"\(HTML.escaped(businessName))\" "
            + "height=\"40\" style=\"display:block;height:40px;width:auto;font-weight:600;font-size:18px\"></p>"
    }

    private static func button(_ link: String, _ label: String) -> String {
        "<p style=\"margin:24px 0\"><a href=\"\(HTML.escaped(link))\" style=\"display:inline-block;"
            + "background:#0b5cad;color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;"
            + "font-weight:600\">\(HTML.escaped(label))</a></p>\n"
    }
}
