import Foundation
import RelanceCore
import XCTest

/// The repository's root, to find templates/, Public/ and Tests/e2e from any test.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The repository's catalogues, read once: what a store needs to word texts to customers.
    public static let phrases: Catalogue = {
        do {
            return try Catalogue(directory: root.appendingPathComponent("templates"))
        } catch {
            fatalError("templates/strings.*.txt: \(error)")
        }
    }()
}

/// Runs async work to its end from a synchronous context (an initialiser, a `setUp`).
public func awaitSync(_ body: @escaping @Sendable () async throws -> Void) throws {
    let semaphore = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: Error?
    Task {
        do { try await body() } catch { failure = error }
        semaphore.signal()
    }
    semaphore.wait()
    if let failure { throw failure }
}

/// Runs a helper of Tests/e2e with `input` on stdin and returns what it printed, or nil when it exits
/// with an error. A Python package it needs that is not installed is a skip, or a failure when CI
/// requires the tools (`pip install` names them in `needs`).
public func runPythonHelper(_ script: String, input: Data, needs packages: String) throws -> String? {
    let environment = ProcessInfo.processInfo.environment
    let python = (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
        .first(where: FileManager.default.isExecutableFile(atPath:))
    guard let python else { throw XCTSkip("python3 is needed") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [Repository.root.appendingPathComponent("Tests/e2e/\(script)").path]
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if errors.contains("ModuleNotFoundError") {
        if environment["RELANCE_REQUIRE_TOOLS"] == "1" { XCTFail("pip install \(packages): \(script) needs it") }
        throw XCTSkip("pip install \(packages) to run \(script)")
    }
    return process.terminationStatus == 0 ? String(decoding: output, as: UTF8.self) : nil
}

/// The `relance` binary `make test` builds; a skip without it, or a failure when CI requires the tools.
public func relanceBinary() throws -> String {
    let binary = Repository.root.appendingPathComponent(".build/debug/relance").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        if ProcessInfo.processInfo.environment["RELANCE_REQUIRE_TOOLS"] == "1" {
            XCTFail("needs .build/debug/relance (make test builds it)")
        }
        throw XCTSkip("needs .build/debug/relance (make test builds it)")
    }
    return binary
}

/// Runs `arguments` (the first is looked up on PATH by /usr/bin/env) and waits: its status, standard
/// output and standard error.
public func runCommand(_ arguments: [String], environment: [String: String]? = nil) throws -> (
    status: Int32, output: String, errors: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Both pipes are read at once, so neither can fill up and stall the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errorData = Box()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { errorData.data = errors.fileHandleForReading.readDataToEndOfFile() }
    let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, out, String(decoding: errorData.data, as: UTF8.self))
}
