import ArgumentParser
import Foundation
import RelanceCore
import RelanceServices
import RelanceStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `relance import FILE.csv`: invoices from a spreadsheet, checked row by row before any is written.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Import invoices from a CSV file (comma or semicolon, UTF-8); a second import updates, never duplicates.")

    @Argument(help: "The CSV file; its first line names the columns.")
    var file: String

    @Flag(help: "Check every row and say what would change, without writing anything.")
    var dryRun = false

    @Option(
        name: .customLong("map"), help: "A column title and the field it holds, e.g. 'Montant TTC=amount'. Repeatable.")
    var mappings: [String] = []

    @OptionGroup var storage: DatabaseOptions

    func run() async throws {
        var overrides: [String: String] = [:]
        for mapping in mappings {
            let parts = mapping.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CommandFailure("--map wants COLUMN=field, not '\(mapping)'")
            }
            overrides[parts[0]] = parts[1]
        }
        let store = try storage.openStore()
        let zone = TimeZoneName.zone(try await store.business().timeZone) ?? .gmt
        let file = InvoiceFile(
            url: URL(fileURLWithPath: self.file), overrides: overrides,
            today: CalendarDate(instant: Date(), timeZone: zone))
        do {
            let check = try await file.check()
            if !check.columnProblems.isEmpty { throw CommandFailure(check.columnProblems.joined(separator: "\n")) }
            guard check.problemCount == 0 else {
                for problem in check.problems { printError(problem) }
                if check.problemCount > check.problems.count {
                    printError("… and \(check.problemCount - check.problems.count) more")
                }
                throw CommandFailure("\(check.problemCount) problem(s) in \(self.file); nothing was imported")
            }
            if dryRun {
                let known = try await file.knownCount(in: store, check: check)
                print(
                    "\(check.valid) rows are valid: \(check.valid - known) new invoices, \(known) already known (updated if changed). Nothing written (--dry-run)."
                )
                return
            }
            try await store.checkpointLess(pages: 20_000)
            let bar = Progress(total: check.valid)
            let total: ImportCounts
            do {
                total = try await file.write(to: store, check: check, now: { Date() }) { done, _ in bar.show(done) }
            } catch {
                printError("stopped after \(bar.lastShown) rows")
                throw error
            }
            bar.finish()
            for refusal in total.refused.prefix(50) { printError(refusal) }
            print(
                "\(total.created) created, \(total.updated) updated, \(total.unchanged) unchanged, \(total.refused.count) refused"
            )
            if !total.refused.isEmpty { throw ExitCode(1) }
        } catch let failure as InvoiceFile.Failure {
            if failure.kind == .changed {
                throw CommandFailure(
                    "\(self.file) changed while it was read; run the import again: what is already in is updated, "
                        + "not duplicated")
            }
            throw CommandFailure(failure.description)
        }
    }

    /// A bar on a terminal, a line every 10,000 rows otherwise (logs, cron).
    final class Progress: Sendable {
        let total: Int
        let terminal = isatty(2) == 1
        /// The rows last shown, and the count at the last line written.
        let state = Mutex((shown: 0, line: 0))

        init(total: Int) { self.total = total }

        var lastShown: Int { state.withLock { $0.shown } }

        func show(_ done: Int) {
            state.withLock { state in
                state.shown = done
                if terminal {
                    let width = 30
                    let filled = total == 0 ? width : done * width / total
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                    FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
                } else if done - state.line >= 10_000 || done == total {
                    printError("imported \(done) of \(total) rows")
                    state.line = done
                }
            }
        }

        func finish() {
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
