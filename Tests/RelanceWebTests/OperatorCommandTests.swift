import Foundation
import GRDB
import RelanceCore
import RelanceTestSupport
import XCTest

@testable import RelanceStore
@testable import RelanceWeb

/// What an operator does from a shell, run through the real `relance` binary: files created for the
/// owner only, a database others can read refused, API keys listed and revoked, key rotation that
/// cannot leave a server unable to start.
final class OperatorCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relance-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    var database: String { directory.appendingPathComponent("relance.sqlite").path }

    /// Runs `relance ARGUMENTS --database …` with the usual umask of a shell (022).
    func relance(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let binary = try relanceBinary()
        var environment = ProcessInfo.processInfo.environment
        for name in ["RELANCE_DATABASE", "RELANCE_LINK_KEYS", "RELANCE_SECRET"] { environment[name] = nil }
        return try runCommand(
            ["sh", "-c", "umask 022; exec \"$0\" \"$@\"", binary] + arguments + ["--database", database],
            environment: environment)
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }

    func testEverythingIsCreatedForTheOwnerOnlyAndAnOpenDatabaseIsRefused() throws {
        var result = try relance(["apikey", "create", "--name", "billing"])
        XCTAssertEqual(result.status, 0, result.errors)
        for name in ["relance.sqlite", "relance.sqlite-wal", "relance-secret", "relance-link-keys"] {
            let path = directory.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            XCTAssertEqual(try mode(path), 0o600, name)
        }
        XCTAssertEqual(try mode(database), 0o600)
        // A database someone made readable by others is refused, with the fix in the message.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database)
        result = try relance(["apikey", "list"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("readable by others"), result.errors)
        XCTAssertTrue(result.errors.contains("chmod 600"), result.errors)
    }

    func testAPIKeysAreListedWithoutTheirSecretAndRevokedAtOnce() throws {
        let first = try relance(["apikey", "create", "--name", "billing"])
        let secret = first.output.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(secret.hasPrefix("rlk_"), first.output)
        _ = try relance(["apikey", "create", "--name", "erp"])
        var list = try relance(["apikey", "list"])
        XCTAssertEqual(list.status, 0, list.errors)
        let lines = list.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("1\t\(secret.prefix(12))…\tbilling\tcreated "), String(lines[0]))
        XCTAssertTrue(lines[0].hasSuffix("never used\tactive"), String(lines[0]))
        XCTAssertFalse(list.output.contains(secret), "the key itself is never shown again")

        var revoke = try relance(["apikey", "revoke", "1"])
        XCTAssertEqual(revoke.status, 0, revoke.errors)
        XCTAssertTrue(revoke.errors.contains("revoked API key 1"))
        revoke = try relance(["apikey", "revoke", "1"])
        XCTAssertTrue(revoke.errors.contains("already revoked"))
        revoke = try relance(["apikey", "revoke", "99"])
        XCTAssertNotEqual(revoke.status, 0)
        XCTAssertTrue(revoke.errors.contains("api key 99 does not exist"), revoke.errors)
        list = try relance(["apikey", "list"])
        XCTAssertTrue(list.output.split(separator: "\n")[0].contains("REVOKED"), list.output)
        XCTAssertTrue(list.output.split(separator: "\n")[1].hasSuffix("active"), list.output)
        let store = try Store(path: database)
        let key = try awaitValue { try await store.apiKey(secret: secret) }
        XCTAssertNil(key, "a revoked key opens nothing")
    }

    func testRotatingWithEveryKeyIDTakenFailsAndLeavesKeysThatLoad() throws {
        let keys = directory.appendingPathComponent("relance-link-keys").path
        let full =
            (0...Int(SignedLink.maximumKeyID)).map { "\($0):" + Base64URL.encode(Crypto.randomBytes(32)) }
            .joined(separator: "\n") + "\n"
        FileManager.default.createFile(atPath: keys, contents: Data(full.utf8), attributes: [.posixPermissions: 0o600])
        var result = try relance(["linkkey", "rotate"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("link key ids are in use"), result.errors)
        XCTAssertEqual(try String(contentsOfFile: keys, encoding: .utf8), full, "the key file is untouched")
        // Whatever reads the keys still starts.
        result = try relance(["remind", "--once", "--dry-run"])
        XCTAssertEqual(result.status, 0, result.errors)
        // With a free id, rotation works and the new key signs.
        try (full.split(separator: "\n").dropLast().joined(separator: "\n") + "\n").write(
            toFile: keys, atomically: false, encoding: .utf8)
        result = try relance(["linkkey", "rotate"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("signed with key 31"), result.errors)
    }
}

extension OperatorCommandTests {
    func testABackupTakenWhileWritesGoOnRestoresAndOldLinksStillOpen() throws {
        // An instance with invoices and a link sent to a customer.
        let csv = directory.appendingPathComponent("invoices.csv")
        let rows = (1...300).map { "F-\($0);Client \($0);+3361\(String(format: "%07d", $0));12,50;2026-04-01" }
        try ("number;customer_name;customer_phone;amount;due_on\n" + rows.joined(separator: "\n")).write(
            to: csv, atomically: true, encoding: .utf8)
        var result = try relance(["import", csv.path])
        XCTAssertEqual(result.status, 0, result.errors)
        result = try relance(["link", "F-7", "--base-url", "https://pay.example.com"])
        XCTAssertEqual(result.status, 0, result.errors)
        let url = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = String(try XCTUnwrap(url.split(separator: "/").last))

        // Writes go on in another process's connection while the backup runs.
        let store = try Store(path: database)
        let writing = DispatchGroup()
        final class Flag: @unchecked Sendable { var stop = false; var writes = 0 }
        let flag = Flag()
        DispatchQueue.global().async(group: writing) {
            while !flag.stop {
                try? store.pool.write { db in
                    try db.execute(
                        sql: "INSERT INTO audit (at, action, detail) VALUES (?, 'load', ?)",
                        arguments: [Date(), String(repeating: "x", count: 500)])
                }
                flag.writes += 1
            }
        }
        let backup = directory.appendingPathComponent("backup-1").path
        result = try relance(["backup", backup])
        flag.stop = true
        writing.wait()
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertGreaterThan(flag.writes, 0, "writes went on during the backup")
        XCTAssertTrue(result.errors.contains("integrity ok"), result.errors)
        for name in ["relance.sqlite", "relance-link-keys", "relance-secret"] {
            XCTAssertEqual(try mode(backup + "/" + name), 0o600, name)
        }
        XCTAssertEqual(try mode(backup), 0o700)
        let check = try Store.check(path: backup + "/relance.sqlite")
        XCTAssertEqual(check.integrity, "ok")
        XCTAssertEqual(check.pendingMigrations, [])
        // A second backup never overwrites the first.
        result = try relance(["backup", backup])
        XCTAssertNotEqual(result.status, 0)

        // Restored on a new machine (a new folder), the old link opens the invoice page.
        let restored = directory.appendingPathComponent("new")
        let target = restored.appendingPathComponent("relance.sqlite").path
        result = try runCommand([
            try relanceBinary(), "restore", backup, "--database", target,
        ])
        XCTAssertEqual(result.status, 0, result.errors)
        // Restoring again over files in place needs --force, and keeps them beside.
        result = try runCommand([try relanceBinary(), "restore", backup, "--database", target])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("--force"), result.errors)
        result = try runCommand([try relanceBinary(), "restore", backup, "--database", target, "--force"])
        XCTAssertEqual(result.status, 0, result.errors)
        let kept = try FileManager.default.contentsOfDirectory(atPath: restored.path)
        XCTAssertTrue(kept.contains { $0.hasPrefix("relance.sqlite.before-restore-") }, "\(kept)")

        let port = 20_000 + Int.random(in: 0..<20_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: try relanceBinary())
        server.arguments = ["serve", "--database", target, "--port", String(port)]
        var environment = ProcessInfo.processInfo.environment
        environment["RELANCE_RESOURCES"] = Harness.repository.path
        environment["RELANCE_SCHEDULER"] = "off"
        for name in ["RELANCE_DATABASE", "RELANCE_LINK_KEYS", "RELANCE_SECRET"] { environment[name] = nil }
        server.environment = environment
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        var page = ""
        for _ in 0..<100 {
            let fetched = try runCommand([
                "curl", "-s", "-A", Harness.iPhone, "http://127.0.0.1:\(port)/p/\(token)",
            ])
            page = fetched.output
            if !page.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertTrue(page.contains("F-7"), String(page.prefix(500)))
    }
}

extension OperatorCommandTests {
    func testMetricsAreReadByPrometheusOwnParserAndNotPublicWithoutAToken() throws {
        func get(_ url: String, _ headers: [String] = []) throws -> (status: String, body: String) {
            let result = try runCommand(
                ["curl", "-s", "-w", "\n%{http_code}", "-A", Harness.iPhone] + headers.flatMap { ["-H", $0] } + [url])
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
            return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
        }
        // Two random ports: one taken by another program stops the server at once; it is then started
        // again on others rather than waited for.
        var server = Process()
        var port = 0
        var metricsPort = 0
        var ready = ""
        for _ in 0..<3 where ready != "200" {
            port = 20_000 + Int.random(in: 0..<20_000)
            metricsPort = port + 1
            server = Process()
            server.executableURL = URL(fileURLWithPath: try relanceBinary())
            server.arguments = ["serve", "--demo", "--port", String(port)]
            var environment = ProcessInfo.processInfo.environment
            environment["RELANCE_RESOURCES"] = Harness.repository.path
            environment["RELANCE_METRICS_ADDRESS"] = "127.0.0.1:\(metricsPort)"
            environment["RELANCE_METRICS_TOKEN"] = "a-long-scrape-token"
            environment["RELANCE_TICK_SECONDS"] = "1"
            for name in ["RELANCE_DATABASE", "RELANCE_LINK_KEYS", "RELANCE_SECRET"] { environment[name] = nil }
            server.environment = environment
            server.currentDirectoryURL = directory
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            for _ in 0..<150 where ready != "200" && server.isRunning {
                ready = (try? get("http://127.0.0.1:\(port)/readyz").status) ?? ""
                if ready != "200" { Thread.sleep(forTimeInterval: 0.2) }
            }
            if ready != "200" {
                server.terminate()
                server.waitUntilExit()
            }
        }
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        XCTAssertEqual(ready, "200", "/readyz says the database takes writes and nothing is pending")
        XCTAssertEqual(try get(base + "/readyz").body.trimmingCharacters(in: .whitespacesAndNewlines), "ready")
        // Not public: the public listener has no /metrics without the token.
        XCTAssertEqual(try get(base + "/metrics").status, "404")
        XCTAssertEqual(try get(base + "/metrics", ["Authorization: Bearer wrong"]).status, "404")
        XCTAssertEqual(try get(base + "/metrics", ["Authorization: Bearer a-long-scrape-token"]).status, "200")
        _ = try get(base + "/nowhere")
        // The demo's texts go out through the console provider within a few seconds.
        var scraped = try get("http://127.0.0.1:\(metricsPort)/metrics")
        for _ in 0..<100 where !scraped.body.contains("relance_messages_total{") {
            Thread.sleep(forTimeInterval: 0.3)
            scraped = try get("http://127.0.0.1:\(metricsPort)/metrics")
        }
        XCTAssertEqual(scraped.status, "200")
        let parsed = try XCTUnwrap(
            try runPythonHelper("metrics_parse.py", input: Data(scraped.body.utf8), needs: "prometheus_client"),
            "prometheus_client refused the text")
        let families = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(parsed.utf8)) as? [String: [String: Any]])
        func samples(_ name: String) -> [[String: Any]] { families[name]?["samples"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(families["http_server_request_duration"]?["type"] as? String, "histogram")
        XCTAssertTrue(
            samples("hb_requests").contains {
                ($0["labels"] as? [String: String])?["http_route"] == "/readyz"
                    && ($0["labels"] as? [String: String])?["http_response_status_code"] == "200"
            }, "\(samples("hb_requests"))")
        XCTAssertTrue(
            samples("hb_requests").contains { ($0["labels"] as? [String: String])?["http_route"] == "NotFound" })
        XCTAssertEqual(families["relance_scheduler_tick_seconds"]?["type"] as? String, "histogram")
        XCTAssertNotNil(families["relance_outbox_queued"])
        XCTAssertNotNil(families["relance_outbox_oldest_queued_seconds"])
        // prometheus_client names a counter's family without its `_total`.
        let sent = samples("relance_messages").first {
            ($0["labels"] as? [String: String])?["outcome"] == "sent"
                && ($0["labels"] as? [String: String])?["channel"] == "sms"
        }
        XCTAssertGreaterThan(sent?["value"] as? Double ?? 0, 0, "\(samples("relance_messages"))")
        // Paths never reach the labels: routes only.
        XCTAssertFalse(scraped.body.contains("/p/I"), "a token in the metrics")
    }
}

func awaitValue<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    nonisolated(unsafe) var value: T?
    try awaitSync { value = try await body() }
    return try XCTUnwrap(value)
}
