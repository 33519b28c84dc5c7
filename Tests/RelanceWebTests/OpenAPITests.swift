import Foundation
import Hummingbird
import HummingbirdTesting
import RelanceTestSupport
import XCTest

@testable import RelanceWeb

/// `Public/openapi.yaml` is written by hand; this keeps it and the router saying the same thing.
final class OpenAPITests: HarnessTestCase {
    /// `METHOD /api/v1/path/{param}` for every operation the spec describes, read line by line: paths
    /// sit at two spaces of indentation, their methods at four.
    static func documentedOperations() throws -> Set<String> {
        let text = try String(
            contentsOf: Harness.repository.appendingPathComponent("Public/openapi.yaml"), encoding: .utf8)
        var operations: Set<String> = []
        var path: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                // The spec gives each template channel its own path (their bodies differ); the router
                // serves both with one route.
                path = String(line.dropFirst(2).dropLast()).replacingOccurrences(
                    of: "/templates/{stage}/sms/", with: "/templates/{stage}/{channel}/"
                ).replacingOccurrences(of: "/templates/{stage}/email/", with: "/templates/{stage}/{channel}/")
            } else if !line.hasPrefix(" "), !line.isEmpty {
                path = nil
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = String(line.dropFirst(4).dropLast())
                if methods.contains(method) { operations.insert(method.uppercased() + " " + path) }
            }
        }
        return operations
    }

    func testEveryAPIRouteIsDocumentedAndEveryDocumentedOperationExists() throws {
        let routed = Set(
            harness.router.routes.map { "\($0.method) \($0.path)" }.filter { $0.contains(" /api/v1/") }.map { route in
                // `:id` in the router is `{id}` in the spec.
                route.split(separator: "/", omittingEmptySubsequences: false).map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }.joined(separator: "/")
            })
        let documented = try Self.documentedOperations()
        XCTAssertGreaterThan(routed.count, 25)
        XCTAssertEqual(routed.subtracting(documented).sorted(), [], "routes missing from Public/openapi.yaml")
        XCTAssertEqual(documented.subtracting(routed).sorted(), [], "operations in the spec that no route serves")
    }

    func testTheSpecIsServedAsYAMLWithoutAKey() async throws {
        let harness = self.harness!
        try await harness.app.test(.router) { client in
            let response = try await client.execute(uri: "/api/openapi.yaml", method: .get)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.headers[.contentType], "application/yaml; charset=utf-8")
            XCTAssertTrue(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
        }
    }
}
