import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `session`: a signed-in browser. The cookie's token is kept only as its SHA-256.
struct SessionRecord: AutoIncrementedRow {
    static let databaseTableName = "session"

    var id: Int64?
    var tokenHash: String
    var userID: Int64
    var csrf: String
    var createdAt: Date
    var lastSeenAt: Date
    var expiresAt: Date
    var ipHash: String?
    var endedAt: Date?
}
