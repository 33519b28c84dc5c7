import Foundation
import Logging
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

/// Log lines leave the request's thread and still arrive whole, in order, and the count of any dropped.
final class BufferedLogTests: XCTestCase {
    func testLinesArriveInOrderOneLineEachAndOverflowIsCounted() throws {
        let pipe = Pipe()
        // No writer thread: on a busy machine it would take lines before the buffer fills, and fewer be dropped.
        let sink = LogSink(descriptor: pipe.fileHandleForWriting.fileDescriptor, capacity: 5, writer: false)
        var logger = Logger(label: "relance") { BufferedLogHandler(label: $0, sink: sink) }
        logger.logLevel = .info
        logger.debug("not at this level")
        for index in 0..<7 {
            logger.info("request", metadata: ["route": "/p/{token}", "status": "200", "n": "\(index)"])
        }
        logger.error("two\nlines")  // past capacity too: counted, not written
        sink.flush()
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains(" info relance: ") }.count, 5, text)
        XCTAssertTrue(lines[0].contains("n=0 route=/p/{token} status=200 [RelanceWebTests] request"), String(lines[0]))
        XCTAssertTrue(lines[4].contains("n=4"), String(lines[4]))
        XCTAssertNotNil(lines[0].firstMatch(of: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info/))
        XCTAssertTrue(
            lines.last?.contains("log lines dropped") == true && lines.last?.contains("count=3") == true, text)
        XCTAssertFalse(text.contains("not at this level"))
    }

    func testTheWriterEmptiesTheBufferWithoutBeingAsked() throws {
        let pipe = Pipe()
        let sink = LogSink(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        let logger = Logger(label: "relance") { BufferedLogHandler(label: $0, sink: sink) }
        logger.error("a line\r\nwith a break")
        // No flush: the writer's own thread writes it within a tenth of a second.
        var data = Data()
        let end = Date().addingTimeInterval(5)
        while !String(decoding: data, as: UTF8.self).contains("\n") && Date() < end {
            data += pipe.fileHandleForReading.availableData
        }
        let line = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(line.hasSuffix("[RelanceWebTests] a line with a break\n"), line)
    }
}
