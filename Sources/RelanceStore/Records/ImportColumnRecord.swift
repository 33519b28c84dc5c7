import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// A row of `import_column`: the field a person mapped a spreadsheet column to, by the column's title.
struct ImportColumnRecord: TableRow {
    static let databaseTableName = "import_column"

    var title: String
    /// A field name, or an empty one for a column left out.
    var field: String
    var updatedAt: Date
}
