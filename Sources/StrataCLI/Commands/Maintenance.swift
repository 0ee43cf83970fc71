import ArgumentParser
import Strata

extension StrataCommand {
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept the current checksums of applied migrations and clear failed state.",
            discussion: """
            An applied migration whose file was edited gets the file's checksum. A failed version \
            goes back to the state it had before the failed attempt: a migration that never applied \
            becomes pending again (undo its partial changes by hand first), a failed roll-back \
            becomes applied again. Every change is logged. Example: strata repair --dry-run
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Flag(help: "Print what would change without changing the database.") var dryRun = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let loaded = try context.loadMigrations()
                try await RunLock.with(context, when: !dryRun) {
                    guard let driver = try context.openDriver(mutating: false) else {
                        MaintenanceOutput.render(MaintenancePlan(), command: "repair", dryRun: dryRun, context: context)
                        return
                    }
                    defer { Task { await driver.close() } }
                    let plan = Strata.Repair(migrations: loaded.migrations, records: try await driver.history(),
                                             log: try await driver.log()).plan()
                    try await MaintenanceOutput.apply(plan, command: "repair", dryRun: dryRun, driver: driver, context: context)
                }
            }
        }
    }

    struct Baseline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark every migration up to a version as applied without running it.",
            discussion: """
            For an existing database whose schema already matches those migrations and that Strata \
            has not migrated yet (the history must be empty). The rows keep each file's checksum \
            and down script. Example: strata baseline 003, then strata up applies 004 and later.
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Argument(help: "The newest version to mark as applied.") var version: MigrationVersion
        @Flag(help: "Print what would change without changing the database.") var dryRun = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let loaded = try context.loadMigrations()
                try await RunLock.with(context, when: !dryRun) {
                    guard let driver = try context.openDriver(mutating: false) else {
                        throw MaintenanceOutput.noDatabase(context, command: "baseline")
                    }
                    defer { Task { await driver.close() } }
                    let plan = try Strata.Baseline(migrations: loaded.migrations, records: try await driver.history(),
                                                   version: version).plan()
                    try await MaintenanceOutput.apply(plan, command: "baseline", dryRun: dryRun, driver: driver, context: context)
                }
            }
        }
    }

    struct Adopt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import another tool's migration history so nothing it applied runs again.",
            discussion: """
            Reads golang-migrate, dbmate/Rails, goose, Flyway or sqlx history tables, and the \
            hand-rolled schema_version, schema_migrations and migration_history tables; the table is \
            only read. Versions are matched to migration files numerically. Example: strata adopt \
            --from flyway_schema_history --dry-run
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Option(name: .customLong("from"), help: ArgumentHelp("The table to read (needed when several are found).", valueName: "table"))
        var from: String?
        @Flag(help: "Leave out versions that have no migration file instead of recording them.") var skipMissing = false
        @Flag(help: "Print what would change without changing the database.") var dryRun = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let loaded = try context.loadMigrations()
                try await RunLock.with(context, when: !dryRun) {
                    guard let driver = try context.openDriver(mutating: false) else {
                        throw MaintenanceOutput.noDatabase(context, command: "adopt")
                    }
                    defer { Task { await driver.close() } }
                    let table = try await findTable(driver, context: context)
                    let plan = try Strata.Adoption(table: table, rows: try await driver.rows(table.query),
                                                   migrations: loaded.migrations, records: try await driver.history(),
                                                   skipMissing: skipMissing).plan()
                    try await MaintenanceOutput.apply(plan, command: "adopt", dryRun: dryRun, driver: driver, context: context,
                                                      source: table)
                }
            }
        }

        private func findTable(_ driver: any DatabaseDriver, context: CommandContext) async throws -> ForeignHistoryTable {
            if let from {
                guard let columns = try await driver.tableColumns(from) else {
                    throw StrataError(.configuration, "table \(from) does not exist in \(context.databaseLabel)")
                }
                guard let table = ForeignHistoryTable(name: from, columns: columns) else {
                    throw StrataError(.configuration,
                                      "table \(from) is not a history table Strata can read (columns: \(columns.joined(separator: ", ")))",
                                      hint: "supported: golang-migrate, dbmate/Rails, goose, Flyway, sqlx, schema_version, schema_migrations, migration_history")
                }
                return table
            }
            let own = [context.historyTable.lowercased(), StrataInfo.logTable(forHistoryTable: context.historyTable).lowercased()]
            var found: [ForeignHistoryTable] = []
            for name in ForeignHistoryFormat.knownTables where !own.contains(name) {
                if let columns = try await driver.tableColumns(name), let table = ForeignHistoryTable(name: name, columns: columns) {
                    found.append(table)
                }
            }
            guard let first = found.first else {
                throw StrataError(.configuration, "no history table of another tool was found in \(context.databaseLabel)",
                                  hint: "looked for \(ForeignHistoryFormat.knownTables.joined(separator: ", ")); name another one with --from TABLE")
            }
            guard found.count == 1 else {
                throw StrataError(.configuration,
                                  "several history tables were found: \(found.map { "\($0.name) (\($0.format.toolName))" }.joined(separator: ", "))",
                                  hint: "choose one with --from TABLE")
            }
            return first
        }
    }
}

/// Output and writing shared by `repair`, `baseline` and `adopt`.
enum MaintenanceOutput {
    static func noDatabase(_ context: CommandContext, command: String) -> StrataError {
        StrataError(.database, "database \(context.databaseLabel) does not exist",
                    hint: "`strata \(command)` works on an existing database; check --database")
    }

    /// Shows the plan; unless a dry run, confirms on protected environments and writes it in one transaction.
    static func apply(_ plan: MaintenancePlan, command: String, dryRun: Bool, driver: any DatabaseDriver,
                      context: CommandContext, source: ForeignHistoryTable? = nil) async throws {
        for warning in plan.warnings { context.console.warning(warning) }
        if !dryRun && !plan.isEmpty {
            try context.confirmIfProtected(summary(plan, command: command, context: context))
            let current = Planner(migrations: [], records: try await driver.history(), engine: context.database.engine).currentVersion
            _ = try await BackupSupport.beforeChange(context, current: current, reason: "pre-\(command)")
            try await driver.prepareHistory()
            try await driver.write(plan.writes)
        }
        render(plan, command: command, dryRun: dryRun, context: context, source: source)
    }

    static func pastTense(_ command: String) -> String {
        switch command {
        case "repair": "Repaired"
        case "baseline": "Baselined"
        case "adopt": "Adopted into"
        default: command
        }
    }

    static func summary(_ plan: MaintenancePlan, command: String, context: CommandContext) -> String {
        (["\(command) for \(context.databaseLabel):"] + plan.changes.map { "  \($0.action.rawValue)  \($0.version) \($0.description): \($0.message)" })
            .joined(separator: "\n")
    }

    static func render(_ plan: MaintenancePlan, command: String, dryRun: Bool, context: CommandContext,
                       source: ForeignHistoryTable? = nil) {
        let console = context.console
        var fields: [(String, JSONValue)] = [
            ("database", .string(context.databaseLabel)),
            ("command", .string(command)),
            ("dry_run", .bool(dryRun)),
        ]
        if let source {
            fields.append(("source", .object([("table", .string(source.name)), ("format", .string(source.format.rawValue)),
                                              ("tool", .string(source.format.toolName))])))
        }
        fields.append(("changes", .array(plan.changes.map { c in
            .object([("action", .string(c.action.rawValue)), ("version", .string(c.version)),
                     ("description", .string(c.description)), ("message", .string(c.message))])
        })))
        fields.append(("warnings", .array(plan.warnings.map(JSONValue.string))))
        console.json(.object(fields))

        let noun = plan.changes.count == 1 ? "change" : "changes"
        if plan.changes.isEmpty {
            console.line("Nothing to \(command): \(context.databaseLabel) needs no changes.")
            return
        }
        if let source { console.line("Source: \(source.name) (\(source.format.toolName))") }
        console.line(dryRun ? "Dry run: \(command) would make \(plan.changes.count) \(noun) to \(context.databaseLabel) (nothing is written)"
                            : "\(pastTense(command)) \(context.databaseLabel): \(plan.changes.count) \(noun), each logged in the audit log")
        for c in plan.changes {
            console.line("  \(c.action.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(c.version)  \(c.description)")
            console.line("      \(c.message)")
        }
    }
}
