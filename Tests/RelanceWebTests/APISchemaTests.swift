import Foundation
import XCTest

/// schemathesis against a live `relance serve --demo`: every operation of `Public/openapi.yaml` with
/// examples, boundary values, random valid and invalid data and chained calls; no server error, and
/// every answer as the spec says (`Tests/e2e/api_schema.py` lists the checks).
final class APISchemaTests: XCTestCase {
    func testALiveServerAnswersEveryOperationAsItsSpecSays() throws {
        let environment = ProcessInfo.processInfo.environment
        let binary = Harness.repository.appendingPathComponent(".build/debug/relance").path
        let required = environment["RELANCE_REQUIRE_TOOLS"] == "1"
        let st = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/st" }
            .first(where: FileManager.default.isExecutableFile(atPath:))
        guard FileManager.default.isExecutableFile(atPath: binary), st != nil else {
            if required { XCTFail("needs .build/debug/relance (make test) and pip install schemathesis") }
            throw XCTSkip("needs .build/debug/relance (make test) and pip install schemathesis")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Harness.repository.appendingPathComponent("Tests/e2e/api_schema.py").path, "--serve", binary,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(text.suffix(6000)))
        XCTAssertTrue(text.contains("Tested: "), String(text.suffix(2000)))
    }
}
