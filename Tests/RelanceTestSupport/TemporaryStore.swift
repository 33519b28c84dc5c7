import Foundation
import RelanceCore
import RelanceStore

/// A database file of its own in a fresh temporary folder, migrated as `relance serve` opens it.
public struct TemporaryStore: Sendable {
    public let directory: URL
    public let store: Store

    /// `label` names the folder, to tell whose leftovers are whose.
    public init(_ label: String, secrets: SecretBox? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "relance-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try Store(
            path: directory.appendingPathComponent("test.sqlite").path, secrets: secrets, phrases: Repository.phrases)
    }

    /// Another file in the same folder.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    public func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}
