import Foundation
import XCTest

@testable import RelanceCore

/// The encoder checked by an independent decoder, PyPI zxing-cpp (Tests/e2e/qr_decode.py).
final class QRCodeTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// What zxing-cpp reads from the code, or nil when it reads nothing.
    func decode(_ code: QRCode) throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        let python = (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
            .first(where: FileManager.default.isExecutableFile(atPath:))
        guard let python else { throw XCTSkip("python3 is needed") }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import zxingcpp, numpy"]
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            if environment["RELANCE_REQUIRE_TOOLS"] == "1" {
                XCTFail("pip install zxing-cpp numpy: the QR check needs them")
            }
            throw XCTSkip("pip install zxing-cpp numpy to decode QR codes")
        }
        var text = ""
        let light = String(repeating: "0", count: code.size + 8)
        for _ in 0..<4 { text += light + "\n" }
        for row in code.modules { text += "0000" + row.map { $0 ? "1" : "0" }.joined() + "0000\n" }
        for _ in 0..<4 { text += light + "\n" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [QRCodeTests.repository.appendingPathComponent("Tests/e2e/qr_decode.py").path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    func testCodesOfEveryVersionAnEPCPayloadNeedsDecodeToTheExactText() throws {
        // Lengths that land in versions 1 to 13, text with accents, and a full-length EPC payload.
        var texts = ["A", "Hello, QR", "Relance QR v2 check!", String(repeating: "x", count: 40)]
        // Each of these many bytes exactly, ending in two characters that take 5 bytes in UTF-8.
        texts += [60, 84, 106, 122, 152, 180, 213, 251, 287, 331].map { length in
            String(String(repeating: "Relance 0123456789 ", count: 20).prefix(length - 5)) + "é€"
        }
        var versions: Set<Int> = []
        for text in texts {
            let code = try XCTUnwrap(QRCode.encode(Array(text.utf8)), "\(text.utf8.count) bytes")
            versions.insert(code.version)
            XCTAssertEqual(code.modules.count, code.version * 4 + 17)
            XCTAssertEqual(try decode(code), text, "version \(code.version), mask \(code.mask)")
        }
        XCTAssertTrue(versions.isSuperset(of: [1, 2, 3, 7, 10, 13]), "\(versions.sorted())")
        XCTAssertNil(QRCode.encode(Array(repeating: 65, count: 2_000)))
    }

    func testAnEPCPayloadForAnInvoice() throws {
        let eur = try XCTUnwrap(Currency(code: "EUR"))
        let reference = try XCTUnwrap(CreditorReference.make("F-2026-0042"))
        let payload = try XCTUnwrap(
            EPCPayment.payload(
                beneficiary: "Atelier Martin SARL", iban: "FR76 3000 6000 0112 3456 7890 189", bic: "AGRIFRPP",
                amount: Money(minorUnits: 123_456, currency: eur), reference: reference, text: "ignored"))
        XCTAssertEqual(
            payload,
            "BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Martin SARL\nFR7630006000011234567890189\nEUR1234.56\n\n\(reference)")
        let code = try XCTUnwrap(QRCode.encode(Array(payload.utf8)))
        XCTAssertEqual(try decode(code), payload)
        // Not euros, nothing to pay, or no IBAN: no payload.
        XCTAssertNil(
            EPCPayment.payload(
                beneficiary: "X", iban: "FR7630006000011234567890189", bic: nil,
                amount: Money(minorUnits: 100, currency: try XCTUnwrap(Currency(code: "USD"))), reference: nil,
                text: nil))
        XCTAssertNil(
            EPCPayment.payload(
                beneficiary: "X", iban: "FR76", bic: nil, amount: Money(minorUnits: 100, currency: eur), reference: nil,
                text: nil))
        let unstructured = EPCPayment.payload(
            beneficiary: "X", iban: "FR7630006000011234567890189", bic: nil,
            amount: Money(minorUnits: 5, currency: eur),
            reference: nil, text: "Facture 42")
        XCTAssertEqual(unstructured, "BCD\n002\n1\nSCT\n\nX\nFR7630006000011234567890189\nEUR0.05\n\n\nFacture 42")
    }
}
