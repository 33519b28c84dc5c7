#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IP address as bytes, read from its usual text form, and whether it lies on the public internet.
/// Outbound requests whose destination a stranger can choose (webhook endpoints) may only go to a
/// public address: never this machine, the local network, or a cloud's metadata service.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// An address in dotted-quad (`192.0.2.1`) or IPv6 (`2001:db8::1`, `::ffff:192.0.2.1`) form,
    /// without brackets or zone. Other spellings that some resolvers accept (`127.1`, `2130706433`,
    /// `0x7f000001`, `0177.0.0.1`) are not addresses here; they reach the check only after a resolver
    /// has turned them into one.
    public static func parse(_ text: String) -> IPAddress? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        if !text.contains(":") {
            // inet_pton's IPv4 form is exactly four decimal parts, each at most 255, no leading zeros.
            var bytes = [UInt8](repeating: 0, count: 4)
            let ok = text.withCString { inet_pton(AF_INET, $0, &bytes) } == 1
            return ok ? .v4(bytes) : nil
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard text.withCString({ inet_pton(AF_INET6, $0, &bytes) }) == 1 else { return nil }
        return .v6(bytes)
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else self.
    public var unmapped: IPAddress {
        if case .v6(let b) = self, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF {
            return .v4(Array(b[12..<16]))
        }
        return self
    }

    public var description: String {
        switch self {
        case .v4(let b): return b.map(String.init).joined(separator: ".")
        case .v6(let b):
            var out = [CChar](repeating: 0, count: 64)
            _ = b.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &out, 64) }
            return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Why this address is not on the public internet (`loopback`, `private`, `link-local`…), or nil
    /// when it is.
    public var nonPublicKind: String? {
        switch unmapped {
        case .v4(let b): return IPAddress.v4Kind(b)
        case .v6(let b):
            let word0 = UInt16(b[0]) << 8 | UInt16(b[1])
            if b.allSatisfy({ $0 == 0 }) { return "unspecified" }
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback" }
            // Formats that carry an IPv4 address: judged by it (NAT64 64:ff9b::/96, 6to4 2002::/16),
            // or refused because it cannot be checked (IPv4-compatible ::a.b.c.d, Teredo 2001::/32).
            if b[0..<12].elementsEqual([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
                return IPAddress.v4Kind(Array(b[12..<16]))
            }
            if word0 == 0x2002 { return IPAddress.v4Kind(Array(b[2..<6])) }
            if b[0..<12].allSatisfy({ $0 == 0 }) { return "reserved" }
            if word0 == 0x2001 && b[2] == 0 && b[3] == 0 { return "reserved" }
            if b[0] == 0xFF { return "multicast" }
            if b[0] & 0xFE == 0xFC { return "private" }  // fc00::/7, including fd00:ec2::254
            if word0 & 0xFFC0 == 0xFE80 { return "link-local" }
            if word0 & 0xFFC0 == 0xFEC0 { return "private" }  // site-local, deprecated
            if word0 == 0x2001 && b[2] == 0x0D && b[3] == 0xB8 { return "reserved" }  // documentation
            if word0 == 0x0100 && b[2..<8].allSatisfy({ $0 == 0 }) { return "reserved" }  // discard
            // Only global unicast (2000::/3) is routed on the internet.
            if b[0] & 0xE0 != 0x20 { return "reserved" }
            return nil
        }
    }

    static func v4Kind(_ b: [UInt8]) -> String? {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return "unspecified"
        case (127, _, _): return "loopback"
        case (10, _, _), (172, 16...31, _), (192, 168, _): return "private"
        case (100, 64...127, _): return "shared"  // carrier-grade NAT, and Alibaba's metadata service
        case (169, 254, _): return "link-local"  // and the metadata service of most clouds
        case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), (198, 18...19, _), (192, 88, 99):
            return "reserved"
        case (224...239, _, _): return "multicast"
        case (240...255, _, _): return "reserved"
        default: return nil
        }
    }
}
