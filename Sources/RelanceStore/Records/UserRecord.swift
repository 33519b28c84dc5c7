import Foundation
import GRDB
import RelanceCore

/// A row of `user`: a dashboard account. The password is kept only as its scrypt hash.
struct UserRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, AutoIncrementedRecord {
    static let databaseTableName = "user"

    var id: Int64?
    var email: String
    var passwordHash: String
    var role: UserRole
    var failedSignIns: Int
    var lockedUntil: Date?
    var createdAt: Date
    var disabledAt: Date?
    /// Nil follows the business's language.
    var language: Language?

    enum CodingKeys: String, CodingKey {
        case id
        case email
        case passwordHash = "password_hash"
        case role
        case failedSignIns = "failed_sign_ins"
        case lockedUntil = "locked_until"
        case createdAt = "created_at"
        case disabledAt = "disabled_at"
        case language
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let email = Column(CodingKeys.email)
        static let passwordHash = Column(CodingKeys.passwordHash)
        static let role = Column(CodingKeys.role)
        static let failedSignIns = Column(CodingKeys.failedSignIns)
        static let lockedUntil = Column(CodingKeys.lockedUntil)
        static let createdAt = Column(CodingKeys.createdAt)
        static let disabledAt = Column(CodingKeys.disabledAt)
        static let language = Column(CodingKeys.language)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
