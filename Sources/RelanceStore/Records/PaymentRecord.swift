import Foundation
import GRDB
import RelanceCore
import RelanceServices

extension PaymentRecord: FetchableRecord, PersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "payment"

    public enum Columns {
        public static let id = Column("id")
        public static let invoiceID = Column("invoice_id")
        public static let receivedAt = Column("received_at")
    }
}
