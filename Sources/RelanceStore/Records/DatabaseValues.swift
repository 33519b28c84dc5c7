import GRDB
import RelanceCore

// Statuses, kinds and the other closed sets of values are stored as their raw values, exactly the
// texts the migrations' CHECK constraints list (RecordTests compares the two).
extension MessageStatus: DatabaseValueConvertible {}
extension MessageEventStatus: DatabaseValueConvertible {}
extension MessageKind: DatabaseValueConvertible {}
extension WordingVariant: DatabaseValueConvertible {}
extension PlanStatus: DatabaseValueConvertible {}
extension WebhookDeliveryStatus: DatabaseValueConvertible {}
extension InvoiceEventKind: DatabaseValueConvertible {}
extension Channel: DatabaseValueConvertible {}
extension Language: DatabaseValueConvertible {}
extension ReplyKeyword: DatabaseValueConvertible {}
extension UserAgentClass: DatabaseValueConvertible {}
extension SMSEncoding: DatabaseValueConvertible {}
extension RequestKind: DatabaseValueConvertible {}
extension RequestStatus: DatabaseValueConvertible {}
extension ContactPreference: DatabaseValueConvertible {}
extension CallbackTime: DatabaseValueConvertible {}
extension UserRole: DatabaseValueConvertible {}
extension LinkPurpose: DatabaseValueConvertible {}
extension WebhookEventType: DatabaseValueConvertible {}

/// A day is stored as `YYYY-MM-DD`, which sorts as it should and which the CHECKs on date columns
/// match with GLOB.
extension CalendarDate: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { iso.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> CalendarDate? {
        String.fromDatabaseValue(dbValue).flatMap(CalendarDate.init(iso:))
    }
}

/// A currency is stored as its ISO 4217 code; a code Relance does not know reads as no currency.
extension Currency: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { code.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Currency? {
        String.fromDatabaseValue(dbValue).flatMap(Currency.init(code:))
    }
}

/// A record whose table has an auto-incremented `id`: nil before the insert, always set on a row read
/// back with its `id` column.
protocol AutoIncrementedRecord: TableRecord {
    var id: Int64? { get }
}

extension AutoIncrementedRecord {
    /// The id of a row read back; missing only when the SELECT left `id` out, which is a bug to report
    /// rather than a zero to carry on with.
    func storedID() throws -> Int64 {
        guard let id else { throw DatabaseError(message: "\(Self.databaseTableName) read without its id") }
        return id
    }
}
