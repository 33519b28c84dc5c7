import Foundation
import RelanceTestSupport
import XCTest

/// A hostile walk through every form a customer, a signed-in owner and a stranger at the sign-in page can
/// reach, against a live `relance serve --demo`: each field in turn replaced by integer edges, huge
/// numbers, CR LF, markup, NUL, long and odd Unicode, with valid tokens and each request from its own
/// address. The process must stay up, no answer may be a 5xx, and nothing may come back unescaped
/// (`Tests/e2e/form_walk.py` holds the walk).
final class FormWalkTests: XCTestCase {
    func testThousandsOfHostilePostsLeaveTheServerUpWithoutA5xx() throws {
        let binary = try relanceBinary()
        let walk = try runCommand(
            ["python3", Harness.repository.appendingPathComponent("Tests/e2e/form_walk.py").path, "--serve", binary])
        let text = walk.output + walk.errors
        XCTAssertEqual(walk.status, 0, String(text.suffix(8000)))
        // The walk really walked: thousands of posts over the three kinds of forms.
        let posts = text.firstMatch(of: /- (\d+) POSTs in all/).flatMap { Int($0.1) } ?? 0
        XCTAssertGreaterThan(posts, 2_000, text)
        XCTAssertTrue(text.contains("0 failure(s)"), String(text.suffix(2000)))
    }
}
