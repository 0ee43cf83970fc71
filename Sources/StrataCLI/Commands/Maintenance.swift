import ArgumentParser
import Strata

extension StrataCommand {
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "repair",
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
                guard let driver = try context.openDriver(mutating: false) else {
                    MaintenanceOutput.render(MaintenancePlan(), command: "repair", dryRun: dryRun, context: context)
                    return
                }
                defer { Task { await driver.close() } }
                let migrator = MaintenanceOutput.migrator(driver, loaded, context: context)
                let plan = try await migrator.repair(dryRun: dryRun, beforeChange: MaintenanceOutput.approval("repair", context),
                                                     onEvent: MaintenanceOutput.events(context))
                MaintenanceOutput.render(plan, command: "repair", dryRun: dryRun, context: context)
            }
        }
    }

    struct Baseline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "baseline",
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
                guard let driver = try context.openDriver(mutating: false) else {
                    throw MaintenanceOutput.noDatabase(context, command: "baseline")
                }
                defer { Task { await driver.close() } }
                let migrator = MaintenanceOutput.migrator(driver, loaded, context: context)
                let plan = try await migrator.baseline(upTo: version, dryRun: dryRun,
                                                       beforeChange: MaintenanceOutput.approval("baseline", context),
                                                       onEvent: MaintenanceOutput.events(context))
                MaintenanceOutput.render(plan, command: "baseline", dryRun: dryRun, context: context)
            }
        }
    }

    struct Adopt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adopt",
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
                guard let driver = try context.openDriver(mutating: false) else {
                    throw MaintenanceOutput.noDatabase(context, command: "adopt")
                }
                defer { Task { await driver.close() } }
                let migrator = MaintenanceOutput.migrator(driver, loaded, context: context)
                let table = try await findTable(driver, context: context)
                let skipMissing = skipMissing
                let plan = try await migrator.maintain("adopt", dryRun: dryRun,
                                                       beforeChange: MaintenanceOutput.approval("adopt", context),
                                                       onEvent: MaintenanceOutput.events(context)) { records in
                    try Strata.Adoption(table: table, rows: try await driver.rows(table.query), migrations: loaded.migrations,
                                        records: records, skipMissing: skipMissing).plan()
                }
                MaintenanceOutput.render(plan, command: "adopt", dryRun: dryRun, context: context, source: table)
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

    /// A migrator for `repair`, `baseline` and `adopt`: the library takes the lock (unless a dry
    /// run), plans from a fresh read of the history, backs up and writes.
    static func migrator(_ driver: any DatabaseDriver, _ loaded: LoadedMigrations,
                         context: CommandContext) -> Migrator {
        Migrator(driver: driver, migrations: loaded.migrations,
                 configuration: MigrationRun.configuration(context, backups: MigrationRun.backupSettings(context)))
    }

    /// Confirmation on a protected environment, with the changes shown.
    static func approval(_ command: String, _ context: CommandContext) -> @Sendable (MaintenancePlan) async throws -> Void {
        { plan in
            try context.confirmIfProtected(summary(plan, command: command, context: context))
            PostgresBackupSupport.warnIfNoBackup(context, enabled: true)
        }
    }

    /// Lock waits, warnings and the backup, as the migration commands show them.
    static func events(_ context: CommandContext) -> @Sendable (RunEvent) -> Void {
        MigrationRun.eventRenderer(context, request: .redo)
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
