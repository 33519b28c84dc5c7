import Foundation
import GRDB
import RelanceCore

/// One payment received against an invoice: a row of `payment`, as the API shows it. Its id is never
/// nil (the API always has one), so a new payment is inserted by SQL and read back through this record.
public struct PaymentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "payment"

    public var id: Int64
    public var invoiceID: Int64
    /// In minor units of the invoice's currency.
    public var amount: Int64
    /// A `PaymentMethod`'s raw value; the column only limits its length.
    public var method: String
    public var reference: String?
    public var receivedAt: Date
    public var recordedAt: Date

    public enum Columns {
        public static let id = Column("id")
        public static let invoiceID = Column("invoice_id")
        public static let receivedAt = Column("received_at")
    }
}
