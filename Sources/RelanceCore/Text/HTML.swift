/// Escaping for text and attribute values in HTML.
public enum HTML {
    public static func escape(_ string: String) -> [UInt8] {
        var out: [UInt8] = []
        escape(string, into: &out)
        return out
    }

    public static func escape(_ string: String, into out: inout [UInt8]) {
        // Most values hold nothing to escape: copy them whole.
        if !string.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) {
            out.append(contentsOf: string.utf8)
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
    }

    public static func escaped(_ string: String) -> String { String(decoding: escape(string), as: UTF8.self) }
}
