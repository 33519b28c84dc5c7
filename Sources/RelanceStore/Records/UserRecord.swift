import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `user`: a dashboard account. The password is kept only as its scrypt hash.
struct UserRecord: AutoIncrementedRow {
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

    enum Columns {
        static let id = Column("id")
        static let email = Column("email")
        static let role = Column("role")
        static let disabledAt = Column("disabled_at")
    }
}
