import ArgumentParser
import Strata
import StrataPostgres
import StrataSQLite

extension StrataCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the database: integrity, foreign keys, and every applied migration's verify script.",
            discussion: """
            SQLite: PRAGMA quick_check (PRAGMA integrity_check with --full) and PRAGMA foreign_key_check \
            over the whole database. PostgreSQL (which enforces foreign keys itself and has no \
            integrity_check): indexes left invalid by a failed CREATE INDEX CONCURRENTLY. Both: the \
            verify script of every applied migration that has one (a row returned means failure). \
            Nothing is written. Exit 1 when a check fails. Example: strata -d sqlite:app.db verify --full
            """)

        @Flag(help: "Run PRAGMA integrity_check (reads every page and index) instead of quick_check.")
        var full = false

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        /// How many violations or rows a check lists before "… and more".
        static let shownDetails = 10

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let checks: [VerifyCheck]
                if context.database.engine == .postgres {
                    checks = try await PostgresVerification.checks(context, full: full)
                } else {
                    let driver = try SQLiteDriver.open(
                        path: context.database.path!, historyTable: context.historyTable,
                        logTable: StrataInfo.logTable(forHistoryTable: context.historyTable), createIfMissing: false,
                        busyTimeout: context.lockTimeout)
                    do {
                        checks = try await runChecks(driver, context)
                    } catch {
                        await driver.close()
                        throw error
                    }
                    await driver.close()
                }
                let ok = checks.allSatisfy(\.ok)
                report(checks, ok: ok, context)
                if !ok { throw ExitCode(StrataError.Code.verificationFailed.exitCode) }
            }
        }

        private func runChecks(_ driver: SQLiteDriver, _ context: CommandContext) async throws -> [VerifyCheck] {
            var checks: [VerifyCheck] = []
            let integrityName = full ? "integrity_check" : "quick_check"
            checks.append(try await VerifyCheck.catchingDamage(integrityName) {
                let lines = full ? try await driver.integrityCheck() : try await driver.quickCheck()
                let ok = lines == ["ok"]
                return VerifyCheck(name: integrityName, ok: ok, summary: ok ? "ok" : "the database is damaged",
                                   details: ok ? [] : Self.capped(lines),
                                   hint: ok ? nil : Self.restoreHint, damaged: !ok)
            })
            checks.append(try await VerifyCheck.catchingDamage("foreign_key_check") {
                let violations = try await driver.foreignKeyViolations()
                let count = violations.count
                return VerifyCheck(
                    name: "foreign_key_check", ok: violations.isEmpty,
                    summary: violations.isEmpty ? "no violations" : "\(count) row\(count == 1 ? "" : "s") without a parent row",
                    details: Self.capped(violations.map(\.description)),
                    hint: violations.isEmpty ? nil
                        : "insert the missing parent rows, or fix or delete the child rows (in a new migration)")
            })
            // A damaged database cannot be trusted to return the history; stop here.
            if checks.contains(where: \.damaged) { return checks }

            return checks + (try await Self.scriptChecks(records: try await driver.history(), context: context) { script in
                let result = try await driver.verifyRows(script, limit: Self.shownDetails)
                return (result.rows.map { "\($0.location): \($0.description)" }, result.truncated)
            })
        }

        /// One check per applied migration with a verify script: `rows` runs a script read-only
        /// and returns the rows it found (as text) and whether there were more.
        static func scriptChecks(records: [HistoryRecord], context: CommandContext,
                                 rows: (MigrationScript) async throws -> (rows: [String], truncated: Bool)) async throws -> [VerifyCheck] {
            var checks: [VerifyCheck] = []
            let loaded = try context.loadMigrations()
            var missing: [String] = []
            for record in records.filter(\.isInEffect).sorted(by: Self.order) {
                guard let migration = loaded.migrations.first(where: { Self.matches($0, record) }) else {
                    missing.append(record.version)
                    continue
                }
                guard let script = migration.verify else { continue }
                let name = "verify \(record.version)"
                let label = "\(migration.description) (\(script.path))"
                do {
                    let result = try await rows(script)
                    var details = result.rows
                    if result.truncated { details.append("… and more rows") }
                    let passed = result.rows.isEmpty
                    checks.append(VerifyCheck(
                        name: name, ok: passed,
                        summary: label + (passed ? "" : ": the verify query returned rows"),
                        details: details,
                        hint: passed ? nil
                            : "the rows show what the migration's verify script finds wrong: fix the data or the "
                                + "schema in a new migration"))
                } catch let error as StrataError where error.code == .verificationFailed {
                    var detail = ""
                    if let location = error.location { detail += "\(location): " }
                    detail += error.message
                    if let code = error.databaseCode { detail += " [\(code)]" }
                    checks.append(VerifyCheck(name: name, ok: false, summary: label + ": the verify script failed",
                                              details: [detail], hint: error.hint))
                }
            }
            if !missing.isEmpty {
                context.console.note("note: not verified, no migration file for applied version\(missing.count == 1 ? "" : "s") "
                    + missing.joined(separator: ", ") + " (see `strata validate`)")
            }
            return checks
        }

        private func report(_ checks: [VerifyCheck], ok: Bool, _ context: CommandContext) {
            let console = context.console
            console.json(.object([
                ("database", .string(context.databaseLabel)),
                ("checks", .array(checks.map { check in
                    .object([
                        ("name", .string(check.name)),
                        ("ok", .bool(check.ok)),
                        ("details", .array(check.details.map(JSONValue.string))),
                    ])
                })),
                ("ok", .bool(ok)),
            ]))
            console.line("Verifying \(context.databaseLabel)")
            for check in checks {
                console.line("\(check.ok ? "✓" : "✗") \(check.name): \(check.summary)")
                for detail in check.details { console.line("    \(detail)") }
                if let hint = check.hint { console.line("    hint: \(hint)") }
            }
            if !checks.contains(where: { $0.name.hasPrefix("verify ") }) && !checks.contains(where: \.damaged) {
                console.line("- verify scripts: no applied migration has one")
            }
            let failed = checks.filter { !$0.ok }.count
            console.line(ok ? "All \(checks.count) checks passed."
                            : "\(failed) of \(checks.count) check\(checks.count == 1 ? "" : "s") failed.")
        }

        static let restoreHint = "restore the newest good backup with `strata restore <file>` (`strata backups` lists them)"

        /// The first ``shownDetails`` lines, then "… and N more".
        static func capped(_ lines: [String]) -> [String] {
            guard lines.count > shownDetails else { return lines }
            return Array(lines.prefix(shownDetails)) + ["… and \(lines.count - shownDetails) more"]
        }

        /// Whether a history record is this migration's.
        static func matches(_ migration: Migration, _ record: HistoryRecord) -> Bool {
            if let version = migration.version, let recorded = record.parsedVersion { return version == recorded }
            return migration.id == record.version
        }

        /// Versioned rows by version, then repeatable ones by name.
        static func order(_ a: HistoryRecord, _ b: HistoryRecord) -> Bool {
            switch (a.parsedVersion, b.parsedVersion) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.version < b.version
            }
        }
    }
}

/// One line of `strata verify`'s report.
struct VerifyCheck: Sendable {
    /// A stable name: `quick_check`, `integrity_check`, `foreign_key_check`, `verify <version>`.
    var name: String
    var ok: Bool
    /// The text after the name in the text report.
    var summary: String
    var details: [String]
    var hint: String?
    /// Whether the check found (or could not run because of) a damaged database.
    var damaged = false

    /// Runs `body`; an error saying the database is damaged becomes a failed check, since that is
    /// what verifying is for. Other errors (a locked database, say) are passed on.
    static func catchingDamage(_ name: String, _ body: () async throws -> VerifyCheck) async throws -> VerifyCheck {
        do {
            return try await body()
        } catch let error as StrataError {
            let code = error.databaseCode ?? ""
            guard code.hasPrefix("SQLITE_CORRUPT") || code == "SQLITE_NOTADB" else { throw error }
            return VerifyCheck(name: name, ok: false, summary: "the database is damaged",
                               details: ["\(error.message) [\(code)]"],
                               hint: StrataCommand.Verify.restoreHint, damaged: true)
        }
    }
}
