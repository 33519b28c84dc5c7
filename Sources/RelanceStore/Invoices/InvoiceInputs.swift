import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A link row and the token that opens it.
public struct IssuedLink: Sendable, Equatable {
    public var linkID: Int64
    public var invoiceID: Int64
    public var token: String
    public var expiresAt: Date
}
