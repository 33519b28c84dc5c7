import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension Store {
    /// The business profile (one row, created by the first migration).
    public func business() async throws -> Business {
        try await pool.read { db in try Store.business(db) }
    }

    static func business(_ db: Database) throws -> Business {
        guard let business = try Business.fetchOne(db.cachedStatement(sql: Business.selectSQL)) else {
            throw DatabaseError(message: "business row missing")
        }
        return business
    }

    /// Replaces the business profile, the sending rules and the plan rules together: the dashboard's
    /// settings are saved whole or not at all.
    public func saveSettings(
        business: Business, rules: SendingRules, pauseOnReply: Bool, plans: PlanSettings, now: Date,
        audit: AuditNote? = nil
    ) async throws {
        try await write(audit: audit) { db in
            try Store.writeBusiness(db, business)
            try Store.writeSendingRules(db, rules, pauseOnReply: pauseOnReply, now: now)
            try Store.writePlanSettings(db, plans)
        }
    }

    /// Replaces the business profile.
    public func saveBusiness(_ business: Business, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in try Store.writeBusiness(db, business) }
    }

    static func writeBusiness(_ db: Database, _ business: Business) throws {
        try db.execute(
            sql: """
                UPDATE business SET name = ?, phone = ?, email = ?, address = ?, payment_url = ?,
                    bank_beneficiary = ?, bank_iban = ?, bank_bic = ?, default_locale = ?, time_zone = ?,
                    link_lifetime_days = ?, legal = ?
                WHERE id = 1
                """,
            arguments: [
                business.name, business.phone, business.email, business.address, business.paymentURL,
                business.bankBeneficiary, business.bankIBAN, business.bankBIC, business.defaultLocale,
                business.timeZone, business.linkLifetimeDays, business.legal,
            ])
    }
}

extension Store {
    /// The business profile, read synchronously (and outside a transaction: one SELECT) for pages.
    public func businessNow() throws -> Business {
        try syncReader.read { db in try Store.business(db) }
    }
}

/// A logo as stored: its bytes and their media type.
public struct Logo: Sendable, Equatable {
    public var bytes: [UInt8]
    public var mediaType: String

    public init(bytes: [UInt8], mediaType: String) {
        self.bytes = bytes
        self.mediaType = mediaType
    }
}

extension Store {
    /// The largest logo accepted, in bytes.
    public static let logoLimit = 65_536

    /// Replaces the business's logo (nil removes it).
    public func saveLogo(_ logo: Logo?, now: Date, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            let hash = logo.map { String(Crypto.hex(Crypto.sha256($0.bytes)).prefix(12)) }
            try db.execute(
                sql: "UPDATE business SET logo = ?, logo_type = ?, logo_hash = ? WHERE id = 1",
                arguments: [logo.map { Data($0.bytes) }, logo?.mediaType, hash])
        }
    }

    /// The logo, if any.
    public func logo() async throws -> Logo? {
        try await pool.read { db in
            guard let business = try BusinessRecord.fetchOne(db, key: 1), let data = business.logo,
                let type = business.logoType
            else { return nil }
            return Logo(bytes: Array(data), mediaType: type)
        }
    }
}
