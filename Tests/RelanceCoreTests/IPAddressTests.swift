import XCTest

@testable import RelanceCore

/// The address check behind outbound requests whose URL someone else chose. Pure: nothing is sent.
final class IPAddressTests: XCTestCase {
    func testAddressesInsideAnyNetworkAreNotPublic() {
        let inside: [(String, String)] = [
            ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
            ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("0.1.2.3", "unspecified"),
            ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
            ("192.168.1.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
            ("fd00:ec2::254", "private"),  // AWS's metadata service over IPv6
            ("fec0::1", "private"),
            ("169.254.169.254", "link-local"),  // the metadata service of most clouds
            ("169.254.0.1", "link-local"), ("fe80::1", "link-local"), ("febf::1", "link-local"),
            ("100.64.0.1", "shared"), ("100.100.100.200", "shared"),  // CGNAT, Alibaba's metadata
            ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
            ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "reserved"),
            ("198.18.0.1", "reserved"), ("2001:db8::1", "reserved"), ("100::1", "reserved"),
            // IPv4 inside IPv6: judged by the IPv4 address.
            ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:7f00:1", "loopback"), ("64:ff9b::a00:1", "private"), ("2002:7f00:1::", "loopback"),
            ("2002:a9fe:a9fe::1", "link-local"), ("::127.0.0.1", "reserved"), ("2001::1", "reserved"),
        ]
        for (text, kind) in inside {
            let address = IPAddress.parse(text)
            XCTAssertNotNil(address, text)
            XCTAssertEqual(address?.nonPublicKind, kind, text)
        }
    }

    func testPublicAddressesPass() {
        for text in [
            "1.1.1.1", "8.8.8.8", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.255.0.1",
            "2606:4700:4700::1111", "2a00:1450:4007::1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
        ] {
            let address = IPAddress.parse(text)
            XCTAssertNotNil(address, text)
            XCTAssertNil(address?.nonPublicKind, text)
        }
    }

    func testOnlyPlainSpellingsAreAddresses() {
        // Spellings some resolvers read as 127.0.0.1 are not addresses to this parser; they are checked
        // only after a resolver has turned them into one.
        for text in [
            "2130706433", "0x7f000001", "127.1", "0177.0.0.1", "127.0.0.01", "127.0.0.1.", "1.2.3.256", "",
            "[::1]", "::1%lo", "localhost", String(repeating: "1", count: 100), "1:2:3:4:5:6:7:8:9",
        ] {
            XCTAssertNil(IPAddress.parse(text), text)
        }
        XCTAssertEqual(IPAddress.parse("::ffff:127.0.0.1")?.unmapped, .v4([127, 0, 0, 1]))
        XCTAssertEqual(IPAddress.parse("2001:db8::1")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress.parse("192.0.2.1")?.description, "192.0.2.1")
    }
}
