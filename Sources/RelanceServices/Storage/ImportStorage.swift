import Foundation
import RelanceCore

/// What a spreadsheet import needs of a database: to write checked rows a batch at a time (each row
/// created, updated or left as it is, one refused row costing only itself) and to say which numbers it
/// already holds.
public protocol ImportStorage: StorageHealth {
    /// Writes one batch in one transaction. `numbersAreNew` says no invoice existed when the import began
    /// and the file repeats no number, so nothing needs looking up.
    func importInvoices(_ rows: [(line: Int, invoice: NewInvoice)], now: Date, numbersAreNew: Bool) async throws
        -> ImportCounts
    /// How many of `numbers` are already invoices.
    func knownInvoiceCount(numbers: [String]) async throws -> Int
    /// Whether any invoice exists at all.
    func hasInvoices() async throws -> Bool
}
