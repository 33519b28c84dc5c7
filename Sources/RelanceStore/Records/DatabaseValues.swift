import GRDB
import RelanceCore
import RelanceServices

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

/// A row of one of our tables, read and written through Codable, its columns named by
/// `SnakeCaseColumns`.
protocol TableRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, SnakeCaseColumns {}

/// A row of a table whose `id` SQLite assigns: nil before the insert, set by it, and always present on
/// a row read back with its `id` column.
protocol AutoIncrementedRow: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord,
    SnakeCaseColumns
{
    var id: Int64? { get set }
}

extension AutoIncrementedRow {
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The id of a row read back; missing only when the SELECT left `id` out, which is a bug to report
    /// rather than a zero to carry on with.
    func storedID() throws -> Int64 {
        guard let id else { throw DatabaseError(message: "\(Self.databaseTableName) read without its id") }
        return id
    }
}

/// Tables name their columns in snake_case (`invoice_id`, `payment_url`), records their properties in
/// camelCase with acronyms in capitals (`invoiceID`, `paymentURL`): one rule for every table record,
/// instead of a list of coding keys per table. Hot reads (the tick, the dashboard's list, the claim)
/// decode into structs with their own keys, which skip the conversion.
public protocol SnakeCaseColumns {}

extension FetchableRecord where Self: SnakeCaseColumns {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { column in ColumnKey(ColumnName.property(column)) }
    }
}

extension EncodableRecord where Self: SnakeCaseColumns {
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
        .custom { key in ColumnName.column(key.stringValue) }
    }
}

/// The naming rule both ways; the acronyms are those the schema uses.
enum ColumnName {
    static let acronyms = ["id": "ID", "url": "URL", "iban": "IBAN", "bic": "BIC"]

    /// `invoice_id` → `invoiceID`.
    static func property(_ column: String) -> String {
        var parts = column.split(separator: "_").map(String.init)
        guard !parts.isEmpty else { return column }
        let first = parts.removeFirst()
        return first + parts.map { acronyms[$0] ?? $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `invoiceID` → `invoice_id`, `paymentURL` → `payment_url`.
    static func column(_ property: String) -> String {
        var out = ""
        let characters = Array(property)
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A word starts at a capital after a small letter or digit, or at the last capital of an
                // acronym followed by a small letter (`HTTPServer` → `http_server`).
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    out.append("_")
                }
            }
            out.append(Character(character.lowercased()))
        }
        return out
    }
}

/// A coding key made from a column's name.
struct ColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ stringValue: String) { self.stringValue = stringValue }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
