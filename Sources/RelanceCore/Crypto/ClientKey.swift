/// Who a limit applies to: an IPv4 address, or an IPv6 client's /64, since one subscriber usually holds
/// a whole /64 and could otherwise take a fresh address for every request. An IPv4 address written as
/// IPv6 (`::ffff:192.0.2.1`) is the IPv4 client.
public enum ClientKey {
    public static func of(_ address: String) -> String {
        guard address.utf8.count <= 64 else { return "invalid" }
        var text = address
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        guard text.contains(":"), let bytes = IPAddress.parse(text)?.unmapped else { return text }
        if case .v4(let v4) = bytes { return v4.map(String.init).joined(separator: ".") }
        guard case .v6(let v6) = bytes else { return text }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(v6[$0]) << 8 | UInt16(v6[$0 + 1]), radix: 16) }
            .joined(separator: ":") + "::/64"
    }
}
