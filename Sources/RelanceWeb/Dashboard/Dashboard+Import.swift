import Foundation
import Hummingbird
import RelanceCore
import RelanceServices
import RelanceStore
import Synchronization

/// Invoices from a spreadsheet, in the dashboard: upload a CSV, see its first rows, say which column is
/// which (remembered for the next file), see every problem by line or what would be created and updated,
/// then import with progress. The same engine as `relance import` (`InvoiceFile`), on a file kept on disk.
extension Dashboard {
    /// `GET /dashboard/import`
    @Sendable func importForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        return importPage(session, ["upload": true])
    }

    /// `POST /dashboard/import` — `multipart/form-data` with `csrf` and a `file`.
    @Sendable func uploadImport(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let dashboardSession = context.dashboardSession else { throw HTTPError(.unauthorized) }
        let session = try await self.session(context)
        let t = session.t
        let megabytes = String(ImportUploads.maximumBytes / 1_048_576)
        // One body at a time: each is held in memory (a few copies of up to 16 MB) until it is on disk.
        guard uploads.startReceiving() else {
            var response = importPage(
                session, ["upload": true, "error": t("dash.import.receiving")], status: .serviceUnavailable)
            response.headers[.retryAfter] = "5"
            return response
        }
        defer { uploads.doneReceiving() }
        guard let parts = try await multipartForm(request, context, limit: ImportUploads.maximumBytes) else {
            return importPage(
                session, ["upload": true, "error": t("dash.import.too_large", megabytes)], status: .contentTooLarge)
        }
        guard let file = parts["file"], !file.bytes.isEmpty else {
            return importPage(
                session, ["upload": true, "error": t("dash.import.no_file")], status: .unprocessableContent)
        }
        guard file.bytes.count <= ImportUploads.maximumBytes else {
            return importPage(
                session, ["upload": true, "error": t("dash.import.too_large", megabytes)], status: .contentTooLarge)
        }
        let name = PlainText.hasControlCharacters(file.filename ?? "") ? "" : file.filename ?? ""
        let id: String
        do {
            id = try uploads.add(
                file.bytes, name: name.isEmpty ? "invoices.csv" : name, userID: dashboardSession.user.id,
                store: store, now: settings.clock.now())
        } catch is ImportUploads.Full {
            return importPage(session, ["upload": true, "error": t("dash.import.full_all")], status: .tooManyRequests)
        }
        return redirect("/dashboard/import/\(id)")
    }

    /// `GET /dashboard/import/:id` — the file's columns, problems or what it would do; or the import's
    /// progress, then its result.
    @Sendable func importReview(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let id = context.parameters.get("id") ?? ""
        guard let upload = uploads.upload(id, userID: session.session.user.id, now: settings.clock.now()) else {
            return importGone(session)
        }
        switch upload.state {
        case .waiting:
            let review: ImportUploads.Review
            do {
                review = try await reviewed(id, upload)
            } catch let failure as InvoiceFile.Failure {
                return importPage(
                    session, ["upload": true, "error": unreadable(failure, session.t)], status: .unprocessableContent)
            }
            return importPage(session, reviewValues(session, id: id, upload: upload, review: review))
        case .writing(let done, let total):
            let percent = total == 0 ? 100 : done * 100 / total
            return importPage(
                session,
                [
                    "writing": true, "refresh": "2", "file_name": upload.name, "done": String(done),
                    "total": String(total), "percent": String(percent),
                    "progress_text": session.t("dash.import.progress", String(done), String(total)),
                ])
        case .finished(let counts):
            return importPage(
                session,
                [
                    "finished": true, "file_name": upload.name,
                    "result": session.t(
                        "dash.import.result", String(counts.created), String(counts.updated), String(counts.unchanged)),
                    "refused": counts.refused.prefix(50).map { ["text": $0] },
                    "has_refused": !counts.refused.isEmpty,
                ])
        case .failed(let failure, let done, let counts):
            let why =
                switch failure?.kind {
                case .changed: session.t("dash.import.failed_changed")
                case nil: session.t("dash.import.failed_database")
                default: session.t("dash.import.failed_unreadable")
                }
            return importPage(
                session,
                [
                    "failed": true, "file_name": upload.name,
                    "error": session.t(
                        "dash.import.failed", why, String(done), String(counts.created), String(counts.updated)),
                ])
        }
    }

    /// `POST /dashboard/import/:id/columns` — `column.N` = a field name, or "" to leave column N out. The
    /// choices are remembered by column title for the next file.
    @Sendable func saveImportColumns(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        let fields = try await form(request, context)
        let id = context.parameters.get("id") ?? ""
        guard let upload = uploads.upload(id, userID: session.session.user.id, now: settings.clock.now()),
            case .waiting = upload.state
        else {
            return importGone(session)
        }
        // A file that cannot be read is explained on its page.
        guard let review = try? await reviewed(id, upload) else { return redirect("/dashboard/import/\(id)") }
        var chosen: [String: String] = [:]
        var taken: [String: String] = [:]
        var problems: [String] = []
        for (index, title) in review.check.header.enumerated() {
            guard let value = fields["column.\(index)"] else { continue }
            let field = value.trimmingCharacters(in: .whitespaces)
            guard field.isEmpty || InvoiceImport.Field(rawValue: field) != nil else {
                problems.append(session.t("dash.import.unknown_field", title))
                continue
            }
            if !field.isEmpty, let other = taken[field] {
                problems.append(session.t("dash.import.field_twice", fieldName(field, session.t), other, title))
                continue
            }
            // Columns are chosen by title: two with one title cannot hold different fields.
            let key = InvoiceImport.title(title)
            if let earlier = chosen[key], earlier != field {
                problems.append(session.t("dash.import.same_title", title))
                continue
            }
            if !field.isEmpty { taken[field] = title }
            chosen[key] = field
        }
        if !problems.isEmpty {
            var values = reviewValues(session, id: id, upload: upload, review: review)
            values["column_errors"] = problems.map { ["text": $0] }
            return importPage(session, values, status: .unprocessableContent)
        }
        let now = settings.clock.now()
        try await store.rememberImportColumns(
            chosen, now: now, audit: session.audit("import.columns", detail: Dashboard.describeColumns(chosen), at: now)
        )
        uploads.update(id) { upload in
            upload.overrides = chosen
            upload.review = nil
        }
        return redirect("/dashboard/import/\(id)")
    }

    /// `POST /dashboard/import/:id/confirm` — imports the file as last reviewed, in the background.
    @Sendable func confirmImport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await session(context)
        _ = try await form(request, context)
        let id = context.parameters.get("id") ?? ""
        guard let upload = uploads.upload(id, userID: session.session.user.id, now: settings.clock.now()) else {
            return importGone(session)
        }
        guard case .waiting = upload.state else { return redirect("/dashboard/import/\(id)") }
        guard let review = try? await reviewed(id, upload), review.check.isClean else {
            return redirect("/dashboard/import/\(id)")
        }
        guard uploads.begin(id, total: review.check.valid) else {
            var values = reviewValues(session, id: id, upload: upload, review: review)
            values["error"] = session.t("dash.import.busy")
            return importPage(session, values, status: .conflict)
        }
        let file = InvoiceFile(url: upload.file, overrides: review.overrides, today: review.today)
        let store = self.store
        let uploads = self.uploads
        let clock = settings.clock
        let audit = session.audit("invoices.imported", detail: upload.name, at: clock.now())
        let total = review.check.valid
        let written = Mutex((done: 0, counts: ImportCounts()))
        Task {
            var note = audit
            do {
                let counts = try await file.write(to: store, check: review.check, now: { clock.now() }) {
                    done, counts in
                    written.withLock { $0 = (done, counts) }
                    uploads.update(id) { $0.state = .writing(done: done, total: total) }
                }
                uploads.update(id) { $0.state = .finished(counts) }
                note.detail =
                    "\(upload.name): \(counts.created) created, \(counts.updated) updated, "
                    + "\(counts.unchanged) unchanged, \(counts.refused.count) refused"
            } catch {
                // What was written before stays (a second import updates it): say how much, and why it stopped.
                let (done, counts) = written.withLock { $0 }
                uploads.update(id) { $0.state = .failed(error as? InvoiceFile.Failure, done: done, counts: counts) }
                note.action = "invoices.import_failed"
                note.detail =
                    "\(upload.name): stopped after \(done) rows (\(counts.created) created, \(counts.updated) updated): "
                    + ((error as? InvoiceFile.Failure)?.kind == .changed ? "the file changed" : "database error")
            }
            try? await store.audit(note)
            uploads.removeFile(id)
        }
        return redirect("/dashboard/import/\(id)")
    }

    // MARK: - Steps

    /// The file checked with the remembered columns (those its header has), reused while they do not change.
    func reviewed(_ id: String, _ upload: ImportUploads.Upload) async throws -> ImportUploads.Review {
        let today = try await today()
        let overrides: [String: String]
        if let chosen = upload.overrides {
            overrides = chosen
        } else {
            // First look: the columns remembered for the titles this header has, then kept for this upload.
            let probe = InvoiceFile(url: upload.file, today: today)
            let titles = Set((try await probe.header() ?? []).map(InvoiceImport.title))
            overrides = try await store.importColumns().filter { titles.contains(InvoiceImport.title($0.key)) }
            uploads.update(id) { upload in
                // Unless the columns form saved some meanwhile (another tab).
                if upload.overrides == nil { upload.overrides = overrides }
            }
        }
        if let review = upload.review, review.overrides == overrides, review.today == today { return review }
        let file = InvoiceFile(url: upload.file, overrides: overrides, today: today)
        let check = try await file.check()
        let known = check.isClean ? try await file.knownCount(in: store, check: check) : 0
        let review = ImportUploads.Review(overrides: overrides, today: today, check: check, known: known)
        uploads.update(id) { $0.review = review }
        return review
    }

    func reviewValues(
        _ session: DashboardContext, id: String, upload: ImportUploads.Upload, review: ImportUploads.Review
    ) -> [String: Any] {
        let t = session.t
        let check = review.check
        let columns: [[String: Any]] = check.header.enumerated().map { index, title in
            let current = check.columns.first { $0.value == index }?.key.rawValue ?? ""
            let samples = check.preview.compactMap { $0.indices.contains(index) ? $0[index] : nil }
                .filter { !$0.isEmpty }.prefix(3)
            var options: [[String: Any]] = [
                ["value": "", "label": t("dash.import.leave_out"), "selected": current == ""]
            ]
            for field in InvoiceImport.Field.allCases {
                options.append([
                    "value": field.rawValue, "label": fieldName(field.rawValue, t),
                    "selected": current == field.rawValue,
                ])
            }
            return [
                "index": String(index), "title": title.isEmpty ? t("dash.import.untitled") : title,
                "samples": samples.joined(separator: " · "), "options": options,
            ]
        }
        var values: [String: Any] = [
            "review": true, "id": id, "file_name": upload.name, "columns": columns,
            // The fields no column holds, named in the reader's language (the CLI's wording speaks of --map).
            "column_problems": InvoiceImport.required.filter { check.columns[$0] == nil }.map {
                ["text": t("dash.import.no_column", fieldName($0.rawValue, t))]
            },
            "has_column_problems": !check.columnProblems.isEmpty,
            "problems": check.rowProblems.map { ["text": problemText($0, t)] },
            "has_problems": check.problemCount > 0,
            "problem_count": t("dash.import.problem_count", String(check.problemCount)),
        ]
        if check.problemCount > check.problems.count {
            values["more_problems"] = t("dash.import.more_problems", String(check.problemCount - check.problems.count))
        }
        if check.isClean {
            values["ready"] = true
            values["summary"] = t(
                t.isOne(check.valid) ? "dash.import.summary_one" : "dash.import.summary",
                String(check.valid), String(check.valid - review.known), String(review.known))
            values["confirm_label"] = t(
                t.isOne(check.valid) ? "dash.import.confirm_one" : "dash.import.confirm", String(check.valid))
        } else if check.columnProblems.isEmpty && check.problemCount == 0 {
            values["no_rows"] = true
        }
        return values
    }

    func importPage(_ session: DashboardContext, _ values: [String: Any], status: HTTPResponse.Status = .ok)
        -> Response
    {
        var values = values
        values["section"] = "invoices"
        return views.page("import", values, session: session, status: status)
    }

    /// An upload that is not there (expired, someone else's, a made-up id).
    func importGone(_ session: DashboardContext) -> Response {
        importPage(session, ["upload": true, "error": session.t("dash.import.gone")], status: .notFound)
    }

    /// Why a file could not be read, in the person's language.
    func unreadable(_ failure: InvoiceFile.Failure, _ t: Words) -> String {
        switch failure.problem {
        case .notUTF8(let line): t("dash.import.not_utf8", String(line))
        case .unterminatedQuote(let line): t("dash.import.open_quote", String(line))
        case .tooLong(let line): t("dash.import.too_long", String(line))
        case .tooWide(let line): t("dash.import.too_wide", String(line))
        case .empty: t("dash.import.empty")
        case nil: failure.kind == .empty ? t("dash.import.empty") : t("dash.import.gone")
        }
    }

    /// A row's problem in the person's language: `Line 3, Amount: '12,x' is not an amount of EUR`.
    func problemText(_ problem: RowProblem, _ t: Words) -> String {
        func value(_ index: Int) -> String { problem.values.indices.contains(index) ? problem.values[index] : "" }
        let text =
            switch problem.code {
            case .control: t("dash.import.problem.control")
            case .tooLong: t("dash.import.problem.too_long", value(0))
            case .empty: t("dash.import.problem.empty")
            case .phone: t("dash.import.problem.phone", value(0))
            case .email: t("dash.import.problem.email", value(0))
            case .locale: t("dash.import.problem.locale")
            case .currency: t("dash.import.problem.currency", value(0))
            case .amount: t("dash.import.problem.amount", value(0), value(1))
            case .dueDate: t("dash.import.problem.due_date", value(0))
            case .issuedDate: t("dash.import.problem.issued_date", value(0))
            case .issuedAfterDue: t("dash.import.problem.issued_after_due")
            case .url: t("dash.import.problem.url")
            case .repeated: t("dash.import.problem.repeated", value(0), value(1))
            case .refused: t("dash.import.problem.refused", value(0))
            }
        return t("dash.import.problem_line", String(problem.line), fieldName(problem.field.rawValue, t), text)
    }

    /// Column choices as the audit keeps them: `Total à payer → amount, Notes → (left out)`.
    static func describeColumns(_ chosen: [String: String]) -> String {
        chosen.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value.isEmpty ? "(left out)" : $0.value)" }
            .joined(separator: ", ")
    }

    /// A field's name as people read it.
    func fieldName(_ field: String, _ t: Words) -> String {
        switch InvoiceImport.Field(rawValue: field) {
        case .number: t("dash.import.field.number")
        case .customer_name: t("dash.import.field.customer_name")
        case .customer_phone: t("dash.import.field.customer_phone")
        case .customer_email: t("dash.import.field.customer_email")
        case .customer_locale: t("dash.import.field.customer_locale")
        case .customer_ref: t("dash.import.field.customer_ref")
        case .currency: t("dash.import.field.currency")
        case .amount: t("dash.import.field.amount")
        case .issued_on: t("dash.import.field.issued_on")
        case .due_on: t("dash.import.field.due_on")
        case .external_ref: t("dash.import.field.external_ref")
        case .payment_url: t("dash.import.field.payment_url")
        case nil: field
        }
    }
}
