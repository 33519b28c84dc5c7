import Foundation
import RelanceTestSupport
import XCTest

/// schemathesis against a live `relance serve --demo`: every operation of `Public/openapi.yaml` with
/// examples, boundary values, random valid and invalid data and chained calls; no server error, and
/// every answer as the spec says (`Tests/e2e/api_schema.py` lists the checks).
final class APISchemaTests: XCTestCase {
    func testALiveServerAnswersEveryOperationAsItsSpecSays() throws {
        let binary = try relanceBinary()
        let st = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/st" }
            .first(where: FileManager.default.isExecutableFile(atPath:))
        guard st != nil else {
            if ProcessInfo.processInfo.environment["RELANCE_REQUIRE_TOOLS"] == "1" {
                XCTFail("pip install schemathesis")
            }
            throw XCTSkip("pip install schemathesis")
        }
        let result = try runCommand(
            ["python3", Harness.repository.appendingPathComponent("Tests/e2e/api_schema.py").path, "--serve", binary])
        let text = result.output + result.errors
        XCTAssertEqual(result.status, 0, String(text.suffix(6000)))
        XCTAssertTrue(text.contains("Tested: "), String(text.suffix(2000)))
    }
}
