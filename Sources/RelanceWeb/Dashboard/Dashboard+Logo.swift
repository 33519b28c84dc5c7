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
        guard let parts = try await multipartForm(request, context, limit: Store.logoLimit) else {
            throw HTTPError(.contentTooLarge, message: try await self.session(context).t("dash.logo.limit"))
        }
        let session = try await self.session(context)
        try requireOwner(session)
        let now = settings.clock.now()
        if parts["remove"] != nil {
            try await store.saveLogo(nil, now: now, audit: session.audit("logo.removed", at: now))
            return redirect("/dashboard/settings", notice: session.t("dash.logo.removed"))
        }
        guard let file = parts["logo"], !file.bytes.isEmpty else {
            return redirect("/dashboard/settings", notice: session.t("dash.logo.no_file"))
        }
        guard file.bytes.count <= Store.logoLimit else {
            return redirect("/dashboard/settings", notice: session.t("dash.logo.too_big"))
        }
        // The type comes from the bytes, never from the file name or the browser's claim.
        let type: String
        if file.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            type = "image/png"
        } else if file.bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            type = "image/jpeg"
        } else {
            return redirect("/dashboard/settings", notice: session.t("dash.logo.wrong_type"))
        }
        try await store.saveLogo(
            Logo(bytes: file.bytes, mediaType: type), now: now,
            audit: session.audit("logo.saved", detail: "\(file.bytes.count) bytes", at: now))
        return redirect("/dashboard/settings", notice: session.t("dash.logo.saved"))
    }
}
