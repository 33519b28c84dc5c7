import Foundation
import XCTest

@testable import RelanceCore

final class SignedLinkTests: XCTestCase {
    let keyA = try! LinkKey(id: 1, secret: Array(repeating: 0xA1, count: 32))
    let keyB = try! LinkKey(id: 2, secret: Array(repeating: 0xB2, count: 32))
    let expiry = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { expiry.addingTimeInterval(-3600) }

    func testRoundTripCarriesLinkIDExpiryAndKey() throws {
        let keyring = try LinkKeyring(keys: [keyA])
        // MUT
        let token = SignedLink.token(linkID: 123_456_789, expiresAt: expiry, keyring: keyring)
        // validate
        XCTAssertEqual(token.count, 30)
        XCTAssertTrue(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        XCTAssertEqual(
            SignedLink.verify(token, keyring: keyring, now: now),
            .valid(SignedLink(linkID: 123_456_789, expiresAt: expiry, keyID: 1)))
    }

    func testLargestLinkIDRoundTrips() throws {
        let keyring = try LinkKeyring(keys: [keyA])
        let token = SignedLink.token(linkID: SignedLink.maximumLinkID, expiresAt: expiry, keyring: keyring)
        guard case .valid(let link) = SignedLink.verify(token, keyring: keyring, now: now) else {
            return XCTFail("largest id did not verify")
        }
        XCTAssertEqual(link.linkID, SignedLink.maximumLinkID)
    }

    func testEverySingleBitFlipOfTheTokenBytesIsRejected() throws {
        let keyring = try LinkKeyring(keys: [keyA])
        let token = SignedLink.token(linkID: 42, expiresAt: expiry, keyring: keyring)
        let bytes = try XCTUnwrap(Base64URL.decode(token))
        XCTAssertEqual(bytes.count, 22)
        for bit in 0..<(bytes.count * 8) {
            var flipped = bytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            let forged = Base64URL.encode(flipped)
            XCTAssertEqual(SignedLink.verify(forged, keyring: keyring, now: now), .invalid, "bit \(bit) accepted")
        }
    }

    func testEverySingleBitFlipOfTheTokenCharactersIsRejected() throws {
        // Includes the unused low bits of the last character: a second spelling of the same bytes.
        let keyring = try LinkKeyring(keys: [keyA])
        let token = Array(SignedLink.token(linkID: 42, expiresAt: expiry, keyring: keyring).utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for position in token.indices {
            let value = try XCTUnwrap(alphabet.firstIndex(of: token[position]))
            for bit in 0..<6 {
                var forged = token
                forged[position] = alphabet[value ^ (1 << bit)]
                let text = String(decoding: forged, as: UTF8.self)
                XCTAssertEqual(
                    SignedLink.verify(text, keyring: keyring, now: now), .invalid, "char \(position) bit \(bit)")
            }
        }
    }

    func testMalformedTokensAreInvalid() throws {
        let keyring = try LinkKeyring(keys: [keyA])
        let token = SignedLink.token(linkID: 42, expiresAt: expiry, keyring: keyring)
        let cases = [
            "", String(token.dropLast()), token + "A", token + "=", token + "==", String(token.dropFirst()),
            token.replacingOccurrences(of: token.prefix(1), with: "+"), "/" + token.dropFirst(),
            String(repeating: "A", count: 30), String(repeating: "_", count: 30), String(repeating: "A", count: 5000),
            "é" + token.dropFirst(2), token.prefix(29) + "\u{0}", "..%2F..%2Fetc%2Fpasswd",
        ]
        for candidate in cases {
            XCTAssertEqual(SignedLink.verify(candidate, keyring: keyring, now: now), .invalid, candidate)
        }
    }

    func testExpiryBoundaryWithPinnedClock() throws {
        let keyring = try LinkKeyring(keys: [keyA])
        let token = SignedLink.token(linkID: 7, expiresAt: expiry, keyring: keyring)
        let link = SignedLink(linkID: 7, expiresAt: expiry, keyID: 1)
        XCTAssertEqual(SignedLink.verify(token, keyring: keyring, now: expiry.addingTimeInterval(-1)), .valid(link))
        XCTAssertEqual(SignedLink.verify(token, keyring: keyring, now: expiry), .expired(link))
        XCTAssertEqual(
            SignedLink.verify(token, keyring: keyring, now: expiry.addingTimeInterval(86_400)), .expired(link))
    }

    func testRotationKeepsOldLinksWorkingAndDroppingAKeyEndsThem() throws {
        let before = try LinkKeyring(keys: [keyA])
        let oldToken = SignedLink.token(linkID: 9, expiresAt: expiry, keyring: before)
        // setup: B becomes the signing key, A still verifies
        let rotated = try LinkKeyring(keys: [keyB, keyA])
        let newToken = SignedLink.token(linkID: 10, expiresAt: expiry, keyring: rotated)
        // validate
        XCTAssertEqual(
            SignedLink.verify(oldToken, keyring: rotated, now: now),
            .valid(.init(linkID: 9, expiresAt: expiry, keyID: 1)))
        XCTAssertEqual(
            SignedLink.verify(newToken, keyring: rotated, now: now),
            .valid(.init(linkID: 10, expiresAt: expiry, keyID: 2)))
        XCTAssertEqual(
            SignedLink.verify(newToken, keyring: before, now: now), .invalid, "unknown key id must not verify")
        let dropped = try LinkKeyring(keys: [keyB])
        XCTAssertEqual(SignedLink.verify(oldToken, keyring: dropped, now: now), .invalid)
    }

    func testAKeyWithTheSameIDButAnotherSecretRejects() throws {
        let other = try LinkKey(id: 1, secret: Array(repeating: 0x11, count: 32))
        let token = SignedLink.token(linkID: 5, expiresAt: expiry, keyring: try LinkKeyring(keys: [keyA]))
        XCTAssertEqual(SignedLink.verify(token, keyring: try LinkKeyring(keys: [other]), now: now), .invalid)
    }

    func testKeyringTextParsingRotationAndErrors() throws {
        let text = LinkKeyring.generate()
        let keyring = try LinkKeyring(parsing: text)
        XCTAssertEqual(keyring.signingKey.id, 1)
        let rotated = try LinkKeyring(parsing: keyring.rotated())
        XCTAssertEqual(rotated.signingKey.id, 2)
        let token = SignedLink.token(linkID: 1, expiresAt: expiry, keyring: keyring)
        XCTAssertEqual(
            SignedLink.verify(token, keyring: rotated, now: now), .valid(.init(linkID: 1, expiresAt: expiry, keyID: 1)))

        // With every id taken, rotating fails instead of writing a keyring that names one id twice.
        let full = (0...Int(SignedLink.maximumKeyID)).map { "\($0):" + Base64URL.encode(Crypto.randomBytes(32)) }
        let crowded = try LinkKeyring(parsing: full.joined(separator: "\n"))
        XCTAssertThrowsError(try crowded.rotated()) { XCTAssertEqual($0 as? LinkKeyError, .allIDsInUse) }
        let almost = try LinkKeyring(parsing: full.dropLast().joined(separator: "\n"))
        XCTAssertEqual(try LinkKeyring(parsing: try almost.rotated()).signingKey.id, SignedLink.maximumKeyID)

        XCTAssertThrowsError(try LinkKeyring(parsing: "")) { XCTAssertEqual($0 as? LinkKeyError, .empty) }
        XCTAssertThrowsError(try LinkKeyring(parsing: "1:c2hvcnQ")) {
            XCTAssertEqual($0 as? LinkKeyError, .keyTooShort(id: 1))
        }
        XCTAssertThrowsError(try LinkKeyring(parsing: "nonsense")) {
            XCTAssertEqual($0 as? LinkKeyError, .malformed(entry: 1))
        }
        let secret = Base64URL.encode(Array(repeating: 7, count: 32))
        XCTAssertThrowsError(try LinkKeyring(parsing: "40:\(secret)")) {
            XCTAssertEqual($0 as? LinkKeyError, .badKeyID(40))
        }
        XCTAssertThrowsError(try LinkKeyring(parsing: "3:\(secret),3:\(secret)")) {
            XCTAssertEqual($0 as? LinkKeyError, .duplicateID(3))
        }
    }

    func testHMACMatchesRFC4231TestCase2() {
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Crypto.hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(Crypto.sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testPrecomputedHMACMatchesOpenSSLForAllKeyAndMessageLengths() {
        for keyLength in [0, 1, 32, 63, 64, 65, 200] {
            let key = Crypto.randomBytes(keyLength)
            let precomputed = HMACKey(key)
            for messageLength in [0, 1, 55, 56, 64, 1000] {
                let message = Crypto.randomBytes(messageLength)
                XCTAssertEqual(
                    precomputed.tag(Array(message.prefix(3)), Array(message.dropFirst(3))),
                    Crypto.hmacSHA256(key: key, message: message), "key \(keyLength), message \(messageLength)")
            }
        }
    }

    func testBase64URLRoundTripsAndRejectsNonCanonical() {
        for length in 0..<40 {
            let bytes = Crypto.randomBytes(length)
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(bytes)), bytes)
        }
        XCTAssertNil(Base64URL.decode("AB"))  // low bits set: not what an encoder writes for one byte
        XCTAssertEqual(Base64URL.decode("AA"), [0])
        XCTAssertNil(Base64URL.decode("A"))
        XCTAssertNil(Base64URL.decode("AA=="))
        XCTAssertNil(Base64URL.decode("A+/A"))
    }
}
