import XCTest

@testable import RelanceCore

/// The one rule for what a template may be; the dashboard and the API only word its problems.
final class TemplateRulesTests: XCTestCase {
    func problem(_ result: Result<MessageTemplate, TemplateRules.Problem>) -> TemplateRules.Problem? {
        if case .failure(let problem) = result { problem } else { nil }
    }

    func testABodyIsPresentShortWithoutControlCharactersAndParses() {
        XCTAssertEqual(problem(TemplateRules.body(" \n ")), .empty)
        XCTAssertEqual(problem(TemplateRules.body(String(repeating: "é", count: 2001))), .tooLong)
        XCTAssertNil(problem(TemplateRules.body(String(repeating: "é", count: 2000))))
        XCTAssertEqual(problem(TemplateRules.body("Bonjour\u{7}")), .controlCharacters)
        XCTAssertNil(problem(TemplateRules.body("Bonjour {{customer_name}},\nà bientôt")))
        guard case .syntax(let description) = problem(TemplateRules.body("Bonjour {{nobody}}")) else {
            return XCTFail("an unknown variable is a syntax problem")
        }
        XCTAssertTrue(description.contains("nobody"), description)
    }

    func testASubjectIsOneShortLine() {
        XCTAssertEqual(problem(TemplateRules.subject("")), .empty)
        XCTAssertEqual(problem(TemplateRules.subject(String(repeating: "a", count: 201))), .tooLong)
        XCTAssertEqual(problem(TemplateRules.subject("Facture\nimpayée")), .lineBreak)
        XCTAssertEqual(problem(TemplateRules.subject("Facture\u{1B}")), .controlCharacters)
        XCTAssertNil(problem(TemplateRules.subject("Facture {{invoice_number}}")))
    }
}
