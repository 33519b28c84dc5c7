import Foundation
import XCTest

@testable import RelanceCore

final class SMSTextTests: XCTestCase {
    func testPlainTextIsGSM7AndCountsOneSeptetPerCharacter() {
        let analysis = SMSText.analyze("Bonjour Camille, votre facture F-2026-0042 de 123,45 EUR est due le 15/03.")
        XCTAssertEqual(analysis.encoding, .gsm7)
        XCTAssertEqual(analysis.units, 74)
        XCTAssertEqual(analysis.segments, 1)
        XCTAssertEqual(analysis.charactersForcingUCS2, [])
    }

    func testExtensionCharactersCostTwoSeptets() {
        for character in ["^", "{", "}", "\\", "[", "~", "]", "|", "€"] {
            let analysis = SMSText.analyze("a" + character)
            XCTAssertEqual(analysis.encoding, .gsm7, character)
            XCTAssertEqual(analysis.units, 3, character)
        }
    }

    func testSegmentBoundaries() {
        XCTAssertEqual(SMSText.analyze(String(repeating: "a", count: 160)).segments, 1)
        XCTAssertEqual(SMSText.analyze(String(repeating: "a", count: 161)).segments, 2)
        XCTAssertEqual(SMSText.analyze(String(repeating: "a", count: 306)).segments, 2)
        XCTAssertEqual(SMSText.analyze(String(repeating: "a", count: 307)).segments, 3)
        // 80 euro signs are 160 septets: one segment.
        XCTAssertEqual(SMSText.analyze(String(repeating: "€", count: 80)).segments, 1)
        // 152 letters then a euro sign: the escape pair cannot straddle the split, so it moves on.
        let straddle = SMSText.analyze(String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 10))
        XCTAssertEqual(straddle.units, 164)
        XCTAssertEqual(straddle.segments, 2)
        XCTAssertEqual(
            SMSText.analyze(String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152)).segments, 3)

        XCTAssertEqual(SMSText.analyze(String(repeating: "ê", count: 70)).segments, 1)
        XCTAssertEqual(SMSText.analyze(String(repeating: "ê", count: 71)).segments, 2)
        XCTAssertEqual(SMSText.analyze(String(repeating: "ê", count: 134)).segments, 2)
        XCTAssertEqual(SMSText.analyze(String(repeating: "ê", count: 135)).segments, 3)
    }

    func testAccentsOutsideGSM7ForceUCS2AndAreNeverMangled() {
        let analysis = SMSText.analyze("Merci de régler avant la fête, ça évite un rappel: ô î û â ê")
        XCTAssertEqual(analysis.encoding, .ucs2)
        XCTAssertEqual(analysis.charactersForcingUCS2, ["ê", "ç", "ô", "î", "û", "â"])
        XCTAssertTrue(analysis.text.contains("fête, ça"), "accents must be kept: \(analysis.text)")
        // é, è, à, ù, ì, ò, Ç, É are GSM-7.
        XCTAssertEqual(SMSText.analyze("été à Noël? Non: à Pâques").encoding, .ucs2)  // â
        XCTAssertEqual(SMSText.analyze("été à l'école, où? Ç É è ì ò ù ñ ü ö ä Å ß").encoding, .gsm7)
    }

    func testAnEmojiCostsTwoUnitsAndIsNotSplit() {
        let analysis = SMSText.analyze("Merci 🙂")
        XCTAssertEqual(analysis.encoding, .ucs2)
        XCTAssertEqual(analysis.units, 8)
        let text = String(repeating: "a", count: 66) + "🙂" + "a"
        XCTAssertEqual(SMSText.analyze(text).units, 69)
        XCTAssertEqual(SMSText.analyze(text).segments, 1)
        let long = String(repeating: "a", count: 66) + "🙂" + String(repeating: "a", count: 10)
        XCTAssertEqual(SMSText.analyze(long).segments, 2)
    }

    func testTypographicLookalikesAreReplacedByDefault() {
        let text = "L\u{2019}équipe «\u{00A0}Atelier\u{00A0}» – merci\u{2026} 12\u{202F}345,67\u{00A0}€"
        let replaced = SMSText.analyze(text)
        XCTAssertEqual(replaced.encoding, .gsm7)
        XCTAssertEqual(replaced.text, "L'équipe \" Atelier \" - merci... 12 345,67 €")
        let kept = SMSText.analyze(text, replaceLookalikes: false)
        XCTAssertEqual(kept.encoding, .ucs2)
        XCTAssertEqual(kept.charactersForcingUCS2, ["\u{2019}", "«", "\u{00A0}", "»", "–", "…", "\u{202F}"])
    }

    func testDecomposedAccentsCountAsOneCharacter() {
        let decomposed = "e\u{0301}te\u{0301}"  // "été" typed with combining accents
        let analysis = SMSText.analyze(decomposed)
        XCTAssertEqual(analysis.encoding, .gsm7)
        XCTAssertEqual(analysis.units, 3)
    }

    func testSeptetCountsMatchPyPIGsm0338OnRandomStrings() throws {
        guard
            let python = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
                .map({ "\($0)/python3" }).first(where: FileManager.default.isExecutableFile(atPath:)),
            SMSTextTests.run(python, ["-c", "import gsm0338"], input: Data()) != nil
        else {
            if ProcessInfo.processInfo.environment["RELANCE_REQUIRE_TOOLS"] == "1" {
                return XCTFail("python3 with gsm0338 is needed for the cross-check (pip install gsm0338)")
            }
            throw XCTSkip("pip install gsm0338 to run the cross-check")
        }
        // Random strings over GSM-7, its extension table, and characters that are not in it.
        let pool = Array(
            "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà\n\r^{}\\[~]|€"
                + "êâîôûçÀÈÊœŒ’«»–…·•°µ¢©®™¬¦`ÿ" + "ЖЯ中文😀🇫🇷")
        var generator = SystemRandomNumberGenerator()
        var samples: [String] = []
        for index in 0..<4_000 {
            let length = Int.random(in: 0...200, using: &generator)
            // Half the samples stay within GSM-7 so the septet counts get compared too.
            let allowed = index % 2 == 0 ? Array(pool.prefix(while: { $0 != "ê" })) : pool
            samples.append(String((0..<length).map { _ in allowed.randomElement(using: &generator)! }))
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("e2e/gsm_septets.py").path
        let output = try XCTUnwrap(SMSTextTests.run(python, [script], input: try JSONEncoder().encode(samples)))
        let reference = try JSONDecoder().decode([Int?].self, from: output)
        XCTAssertEqual(reference.count, samples.count)
        var gsmCompared = 0
        for (sample, expected) in zip(samples, reference) {
            let ours = SMSText.analyze(sample, replaceLookalikes: false)
            if let expected {
                XCTAssertEqual(ours.encoding, .gsm7, sample.debugDescription)
                XCTAssertEqual(ours.units, expected, sample.debugDescription)
                gsmCompared += 1
            } else {
                XCTAssertEqual(ours.encoding, .ucs2, sample.debugDescription)
                XCTAssertFalse(ours.charactersForcingUCS2.isEmpty)
            }
        }
        XCTAssertGreaterThan(gsmCompared, 1_500)
    }

    static func run(_ path: String, _ arguments: [String], input: Data) -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }
}
