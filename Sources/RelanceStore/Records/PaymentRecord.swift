import Foundation
import GRDB
import RelanceCore

/// One payment received against an invoice: a row of `payment`, as the API shows it. Its id is never
/// nil (the API always has one), so a new payment is inserted by SQL and read back through this record.
public struct PaymentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
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

    enum CodingKeys: String, CodingKey {
        case id
        case invoiceID = "invoice_id"
        case amount
        case method
        case reference
        case receivedAt = "received_at"
        case recordedAt = "recorded_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let invoiceID = Column(CodingKeys.invoiceID)
        public static let amount = Column(CodingKeys.amount)
        public static let method = Column(CodingKeys.method)
        public static let reference = Column(CodingKeys.reference)
        public static let receivedAt = Column(CodingKeys.receivedAt)
        public static let recordedAt = Column(CodingKeys.recordedAt)
    }
}
