import Foundation

/// Just enough of `multipart/form-data` (RFC 7578) for one small file and a few fields.
public enum MultipartForm {
    public struct Part: Sendable {
        public var filename: String?
        public var bytes: [UInt8]
    }

    /// The parts by field name, or nil when the body is not multipart with the announced boundary.
    public static func parse(_ body: [UInt8], contentType: String) -> [String: Part]? {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
            let range = contentType.range(of: "boundary=")
        else { return nil }
        var boundary = String(contentType[range.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !boundary.isEmpty, boundary.utf8.count <= 70 else { return nil }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [String: Part] = [:]
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: body, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else { return nil }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            guard from + 2 <= end, body[from] == 13, body[from + 1] == 10 else { continue }
            from += 2
            guard let headerEnd = find([13, 10, 13, 10], in: body, from: from), headerEnd < end else { continue }
            let headers = String(decoding: body[from..<headerEnd], as: UTF8.self)
            guard let name = attribute("name", in: headers) else { continue }
            // The part's content ends with the CRLF that comes before the next delimiter.
            let contentEnd = max(headerEnd + 4, end - 2)
            if parts[name] == nil {
                parts[name] = Part(
                    filename: attribute("filename", in: headers), bytes: Array(body[(headerEnd + 4)..<contentEnd]))
            }
        }
        return parts
    }

    public static func attribute(_ key: String, in headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            for item in line.split(separator: ";") {
                let pair = item.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix(key + "=") {
                    return String(pair.dropFirst(key.count + 1)).trimmingCharacters(
                        in: CharacterSet(charactersIn: "\""))
                }
            }
        }
        return nil
    }

    public static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var index = from
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle {
                return index
            }
            index += 1
        }
        return nil
    }
}
