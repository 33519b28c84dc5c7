import Foundation
import Hummingbird
import RelanceCore
import RelanceStore

/// The business's logo: uploaded from the settings page (a small PNG or JPEG), served to customer pages.
extension Dashboard {
    /// `GET /logo` — public: customer pages show it. Cached for a year under its hash.
    @Sendable func logo(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let logo = try await store.logo() else { throw HTTPError(.notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: logo.mediaType, .cacheControl: "public, max-age=31536000, immutable",
                .xContentTypeOptions: "nosniff", .contentSecurityPolicy: "default-src 'none'",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: logo.bytes)))
    }

    /// `POST /dashboard/settings/logo` — `multipart/form-data` with `csrf` and a `logo` file, or `remove`.
    @Sendable func uploadLogo(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let dashboardSession = context.dashboardSession else { throw HTTPError(.unauthorized) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Store.logoLimit + 16 * 1024)
        } catch {
            throw HTTPError(.contentTooLarge, message: "The logo may be 64 KB at most.")
        }
        guard
            let parts = MultipartForm.parse(
                Array(body.readableBytesView), contentType: request.headers[.contentType] ?? ""),
            let csrf = parts["csrf"].map({ String(decoding: $0.bytes, as: UTF8.self) }),
            Crypto.constantTimeEqual(Array(csrf.utf8), Array(dashboardSession.csrf.utf8))
        else {
            throw HTTPError(.forbidden, message: "The form's security token is missing or wrong; reload the page.")
        }
        let session = try await self.session(context)
        try requireOwner(session)
        let now = settings.clock.now()
        if parts["remove"] != nil {
            try await store.saveLogo(nil, now: now, audit: session.audit("logo.removed", at: now))
            return redirect("/dashboard/settings", notice: "Logo removed.")
        }
        guard let file = parts["logo"], !file.bytes.isEmpty else {
            return redirect("/dashboard/settings", notice: "No logo: choose a PNG or JPEG file.")
        }
        guard file.bytes.count <= Store.logoLimit else {
            return redirect("/dashboard/settings", notice: "No logo: the file is over 64 KB.")
        }
        // The type comes from the bytes, never from the file name or the browser's claim.
        let type: String
        if file.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            type = "image/png"
        } else if file.bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            type = "image/jpeg"
        } else {
            return redirect("/dashboard/settings", notice: "No logo: only PNG and JPEG images are accepted.")
        }
        try await store.saveLogo(
            Logo(bytes: file.bytes, mediaType: type), now: now,
            audit: session.audit("logo.saved", detail: "\(file.bytes.count) bytes", at: now))
        return redirect("/dashboard/settings", notice: "Logo saved.")
    }
}

/// Just enough of `multipart/form-data` (RFC 7578) for one small file and a few fields.
enum MultipartForm {
    struct Part {
        var filename: String?
        var bytes: [UInt8]
    }

    /// The parts by field name, or nil when the body is not multipart with the announced boundary.
    static func parse(_ body: [UInt8], contentType: String) -> [String: Part]? {
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

    static func attribute(_ key: String, in headers: String) -> String? {
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

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
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
