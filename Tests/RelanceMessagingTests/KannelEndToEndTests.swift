import Foundation
import RelanceProviders
import RelanceTestSupport
import XCTest

/// Drives the real thing: bearerbox, smsbox and the fake SMSC from Debian's `kannel` packages, the
/// `relance` binary serving webhooks, and `relance remind --once --at …` across an invoice's life
/// (Tests/e2e/kannel_e2e.py holds the scenario).
final class KannelEndToEndTests: XCTestCase {
    static let repository = Repository.root

    func testRemindersTravelThroughKannelAndStopWhenTheyShould() throws {
        try run("kannel_e2e.py")
    }

    func testAKillNineWhileSendingThousandsNeverSendsTwice() throws {
        try run("kannel_crash.py")
    }

    func testASIGTERMMidBurstFinishesWhatWasHandedOverAndLeavesNothingUnknown() throws {
        try run("kannel_drain.py")
    }

    func testRemindersSurviveAGatewayThatRefusesThrottlesHangsOrAnswersLateAndNoPhoneIsTextedTwice() throws {
        try run("kannel_faults.py")
    }

    func testEmailRemindersWaitOutAMailServerThatIsDownAndArriveOnceEach() throws {
        try run("smtp_faults.py")
    }

    func run(_ script: String) throws {
        let required = ProcessInfo.processInfo.environment["RELANCE_REQUIRE_TOOLS"] == "1"
        let binary = KannelEndToEndTests.repository.appendingPathComponent(".build/debug/relance").path
        let tools = ["/usr/sbin/bearerbox", "/usr/sbin/smsbox", "/usr/lib/kannel/test/fakesmsc", binary]
        let missing = tools.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard missing.isEmpty else {
            let message =
                "missing \(missing.joined(separator: ", ")) (apt-get install kannel kannel-extras; make test builds relance)"
            if required { return XCTFail(message) }
            throw XCTSkip(message)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", KannelEndToEndTests.repository.appendingPathComponent("Tests/e2e/\(script)").path, binary,
        ]
        process.currentDirectoryURL = KannelEndToEndTests.repository
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning {
            process.terminate()
            return XCTFail("\(script) did not finish in 5 minutes")
        }
        // 77: the script could not run, a tool it needs is missing (smtp_faults.py without aiosmtpd).
        if process.terminationStatus == 77 {
            let message = "\(script) could not run: a tool is missing (its output is above)"
            if required { return XCTFail(message) }
            throw XCTSkip(message)
        }
        XCTAssertEqual(process.terminationStatus, 0, "\(script) failed (its output is above)")
    }
}
