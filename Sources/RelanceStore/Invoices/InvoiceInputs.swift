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

extension Store {
    static func currency(_ code: String) throws -> Currency {
        guard let currency = Currency(code: code) else {
            throw DatabaseError(message: "unknown currency \(code) in database")
        }
        return currency
    }

    static func date(_ text: String) throws -> CalendarDate {
        guard let date = CalendarDate(iso: text) else { throw DatabaseError(message: "bad date \(text) in database") }
        return date
    }
}
