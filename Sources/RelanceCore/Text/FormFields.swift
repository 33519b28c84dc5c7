import Foundation

/// Decoded `application/x-www-form-urlencoded` fields; the first value of a repeated name wins, and
/// `all` gives every value (checkboxes).
public struct FormFields: Sendable {
    private var values: [String: [String]] = [:]

    public init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = parts.first else { continue }
            let name = FormFields.decode(rawName)
            let value = parts.count > 1 ? FormFields.decode(parts[1]) : ""
            if let name, let value, (values[name]?.count ?? 0) < 100 { values[name, default: []].append(value) }
        }
    }

    public subscript(name: String) -> String? { values[name]?.first }

    public func all(_ name: String) -> [String] { values[name] ?? [] }

    public static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
