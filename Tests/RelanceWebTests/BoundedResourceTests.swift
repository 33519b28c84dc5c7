import Foundation
import Hummingbird
import HummingbirdTesting
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

#if canImport(Glibc)
    import Glibc
#endif

/// Memory and connections an attacker can ask for stay bounded.
final class BoundedResourceTests: XCTestCase {
    func testTheLimiterForgetsTheLeastRecentlySeenClientFirstAndNeverGrowsPastItsSize() {
        let limiter = RateLimiter(burst: 1, perMinute: 1, clients: 100)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertTrue(limiter.allow("198.51.100.1", now: now))
        XCTAssertFalse(limiter.allow("198.51.100.1", now: now), "its one token is spent")
        // A flood of new addresses: the table stays at its size.
        for index in 0..<10_000 { _ = limiter.allow("flood-\(index)", now: now) }
        XCTAssertEqual(limiter.count, 100)
        // The first client was the least recently seen, so it was forgotten (and starts afresh).
        XCTAssertTrue(limiter.allow("198.51.100.1", now: now))

        // A client seen recently survives newcomers that only fill the rest of the table.
        let small = RateLimiter(burst: 1, perMinute: 1, clients: 3)
        XCTAssertTrue(small.allow("a", now: now))
        XCTAssertTrue(small.allow("b", now: now))
        XCTAssertFalse(small.allow("a", now: now))  // "a" is now the most recently seen
        XCTAssertTrue(small.allow("c", now: now))
        XCTAssertTrue(small.allow("d", now: now))  // evicts "b", the least recent
        XCTAssertFalse(small.allow("a", now: now), "still remembered, still spent")
        XCTAssertTrue(small.allow("b", now: now), "forgotten, so a fresh bucket")
    }

    func testIPv6ClientsAreCountedByTheirSlash64() {
        XCTAssertEqual(ClientKey.of("2001:db8:1:2:aaaa::1"), ClientKey.of("2001:db8:1:2:ffff:1:2:3"))
        XCTAssertEqual(ClientKey.of("2001:db8:1:2::1"), "2001:db8:1:2::/64")
        XCTAssertNotEqual(ClientKey.of("2001:db8:1:2::1"), ClientKey.of("2001:db8:1:3::1"))
        XCTAssertEqual(ClientKey.of("[2001:db8:1:2::9]"), "2001:db8:1:2::/64")
        XCTAssertEqual(ClientKey.of("fe80::1%eth0"), "fe80:0:0:0::/64")
        XCTAssertEqual(ClientKey.of("::ffff:198.51.100.7"), "198.51.100.7")
        XCTAssertEqual(ClientKey.of("198.51.100.7"), "198.51.100.7")
        XCTAssertEqual(ClientKey.of(String(repeating: "1", count: 1_000)), "invalid")
    }

    func testAConnectionThatSendsNoCompleteRequestIsClosed() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let app = try buildApplication(
            store: harness.store, settings: harness.settings, logger: harness.logs.logger, idleSeconds: 1)
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            for opening in ["", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "] {
                let socket = try Self.connect(port: port)
                defer { close(socket) }
                _ = opening.withCString { send(socket, $0, strlen($0), 0) }
                // Nothing more is sent; the server must hang up well before the 8 s this waits.
                let started = ContinuousClock.now
                var byte: UInt8 = 0
                let received = recv(socket, &byte, 1, 0)
                XCTAssertEqual(received, 0, "closed by the server, not timed out (\(opening.debugDescription))")
                XCTAssertLessThan(ContinuousClock.now - started, .seconds(8))
            }
            // A complete request is still answered.
            let socket = try Self.connect(port: port)
            defer { close(socket) }
            _ = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".withCString { send(socket, $0, strlen($0), 0) }
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = recv(socket, &buffer, buffer.count, 0)
            XCTAssertTrue(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        }
    }

    static func connect(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 8, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(socket)
            throw POSIXError(.ECONNREFUSED)
        }
        return socket
    }
}
