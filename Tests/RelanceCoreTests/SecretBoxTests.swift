import XCTest

@testable import RelanceCore

final class SecretBoxTests: XCTestCase {
    func testASealedSecretOpensOnlyWithItsKeyAndPurposeAndIntact() throws {
        let instance = Crypto.randomBytes(32)
        let box = SecretBox(instanceSecret: instance, purpose: "store")
        let sealed = box.seal("whsec_abc", context: "webhook signing secret")
        XCTAssertTrue(sealed.hasPrefix("enc1:"))
        XCTAssertFalse(sealed.contains("whsec_abc"))
        XCTAssertNotEqual(sealed, box.seal("whsec_abc", context: "webhook signing secret"), "a fresh nonce each time")
        XCTAssertEqual(box.open(sealed, context: "webhook signing secret"), "whsec_abc")
        XCTAssertEqual(
            SecretBox(instanceSecret: instance, purpose: "store").open(sealed, context: "webhook signing secret"),
            "whsec_abc", "the same instance secret opens it after a restart")

        XCTAssertNil(box.open(sealed, context: "another column"))
        XCTAssertNil(
            SecretBox(instanceSecret: instance, purpose: "other").open(sealed, context: "webhook signing secret"))
        XCTAssertNil(
            SecretBox(instanceSecret: Crypto.randomBytes(32), purpose: "store").open(
                sealed, context: "webhook signing secret"))
        // Any changed byte is refused.
        var bytes = try XCTUnwrap(Base64URL.decode(String(sealed.dropFirst(5))))
        for index in [0, 12, bytes.count - 1] {
            bytes[index] ^= 1
            XCTAssertNil(box.open("enc1:" + Base64URL.encode(bytes), context: "webhook signing secret"), "\(index)")
            bytes[index] ^= 1
        }
        for junk in ["", "enc1:", "enc1:AAAA", "whsec_abc", "enc1:" + String(repeating: "A", count: 10_000)] {
            XCTAssertNil(box.open(junk, context: "webhook signing secret"), junk)
        }
        XCTAssertEqual(box.open(box.seal("", context: "x"), context: "x"), "")
        // Found by fuzzing: what the box seals, it opens, long texts included.
        let long = String(repeating: "\u{FFFD}", count: 4_000)
        XCTAssertEqual(box.open(box.seal(long, context: "x"), context: "x"), long)
    }
}
