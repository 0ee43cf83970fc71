import Strata
import StrataSQLite

/// The shared body of `up`, `down`, `to`, `redo` and `rollback`: a thin layer over
/// ``Migrator/run(_:dryRun:beforeChange:onEvent:)``, which takes the lock, plans inside it,
/// backs up, runs and checks integrity; this layer confirms on protected environments and
/// renders the events and the report.
enum MigrationRun {
    static func perform(_ request: MigrationRequest, dryRun: Bool, backup: Bool = true, context: CommandContext) async throws {
        let early = context.openEarly()
        let loaded = try await context.loadMigrations(opening: early)
        if dryRun {
            await early?.close()
            try await preview(request, loaded: loaded, context: context)
            return
        }
        let settings = backup ? backupSettings(context) : .disabled
        guard let driver = try await context.driver(early, mutating: true) else { return }
        defer { Task { await driver.close() } }
        let migrator = Migrator(driver: driver, migrations: loaded.migrations,
                                configuration: configuration(context, backups: settings))
        // SIGINT/SIGTERM: finish the current migration, then stop with exit 130/143.
        let result = try await StopSignal.handling(console: context.console) { try await migrator.run(
            request,
            beforeChange: { plan in
                try UpLint.check(plan, migrations: loaded.migrations, engine: context.database.engine, context: context)
                try context.confirmIfProtected(planSummary(plan, context: context))
                PostgresBackupSupport.warnIfNoBackup(context, enabled: backup)
            },
            onEvent: eventRenderer(context, request: request)) }
        report(steps: result.steps, plan: result.plan, current: result.currentVersion, backup: result.backup, context: context)
    }

    /// The library's configuration for this command line: lock timeout, backups, history table.
    static func configuration(_ context: CommandContext, backups: BackupSettings) -> Migrator.Configuration {
        Migrator.Configuration(historyTable: context.historyTable, lockTimeout: context.lockTimeout, backups: backups)
    }

    /// The `backups` settings of strata.yml (a `keep` below 1 fails when a backup is taken).
    static func backupSettings(_ context: CommandContext) -> BackupSettings {
        let settings = context.config.backups
        return BackupSettings(directory: settings.dir, keep: settings.keep ?? 10, compress: settings.compress ?? false)
    }

    /// Renders the library's events: lock, backup and cancellation notes here, the steps through a
    /// ``RunProgressRenderer`` made when the plan is known.
    static func eventRenderer(_ context: CommandContext, request: MigrationRequest) -> @Sendable (RunEvent) -> Void {
        let console = context.console
        let label = context.databaseLabel
        let redacted = context.database.redacted
        let timeout = context.lockTimeout
        let progress = RunProgressRenderer(console: console)
        return { event in
            switch event {
            case .waitingForLock(let holder):
                console.note("waiting for the lock held by \(holder) (up to \(Int(timeout)) s)…")
            case .backedUp(let path):
                console.progress("Backed up \(redacted) to \(path)")
            case .cancelled(let remaining):
                console.warning("stopped: the run was cancelled; \(remaining) step\(remaining == 1 ? " was" : "s were") not run")
            case let .stepStarted(_, index, total) where index == 1:
                let verb = request.isUpward ? "apply" : "run"
                console.progress("Migrating \(label): \(total) step\(total == 1 ? "" : "s") to \(verb)")
                progress.handle(event)
            default:
                progress.handle(event)
            }
        }
    }

    /// Dry run: plan against the database (or an empty history when it does not exist) and print.
    private static func preview(_ request: MigrationRequest, loaded: LoadedMigrations, context: CommandContext) async throws {
        let driver = try context.openDriver(mutating: false)
        defer { if let driver { Task { await driver.close() } } }
        let planner = Planner(migrations: loaded.migrations, records: try await driver?.history() ?? [],
                              engine: context.database.engine, historyTable: context.historyTable)
        let plan = try planner.plan(request)
        for warning in plan.warnings { context.console.warning(warning) }
        renderDryRun(plan, context: context, current: planner.currentVersion)
    }

    static func planSummary(_ plan: Plan, context: CommandContext) -> String {
        var lines = ["Plan for \(context.databaseLabel):"]
        for step in plan.steps {
            lines.append("  \(step.direction == .up ? "apply    " : "roll back") \(step.version) \(step.description)")
        }
        return lines.joined(separator: "\n")
    }

    private static func renderDryRun(_ plan: Plan, context: CommandContext, current: String?) {
        let console = context.console
        console.json(.object([
            ("dry_run", true),
            ("database", .string(context.databaseLabel)),
            ("current_version", .optional(current)),
            ("planned", .array(plan.steps.map { s in
                .object([
                    ("direction", .string(s.direction.rawValue)),
                    ("version", .string(s.version)),
                    ("description", .string(s.description)),
                    ("script", .string(s.script.path)),
                    ("transaction", .bool(s.options.transactional)),
                    ("sql", .string(s.script.sql)),
                ])
            })),
            ("applied", []),
            ("rolled_back", []),
            ("backup", nil),
            ("warnings", .array(plan.warnings.map(JSONValue.string))),
        ]))
        if plan.isEmpty {
            console.line("Dry run: nothing to do; \(context.databaseLabel) is at version \(current ?? "none").")
            return
        }
        console.line("Dry run: \(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s") for \(context.databaseLabel) (nothing is written)")
        for (i, s) in plan.steps.enumerated() {
            console.line()
            let action = s.direction == .up ? "apply" : "roll back"
            let tx = s.options.transactional ? "" : " [outside a transaction]"
            console.line("-- [\(i + 1)/\(plan.steps.count)] \(action) \(s.version) \(s.description) (\(s.script.path))\(tx)")
            console.line(s.script.sql.hasSuffix("\n") ? String(s.script.sql.dropLast()) : s.script.sql)
        }
    }

    private static func report(steps: [RunReport.Step], plan: Plan, current: String?, backup: String? = nil,
                               context: CommandContext) {
        let console = context.console
        func entries(_ dir: PlanStep.Direction) -> JSONValue {
            .array(steps.filter { $0.direction == dir }.map { s in
                .object([("version", .string(s.version)), ("description", .string(s.description)),
                         ("execution_time_ms", .int(s.executionTimeMs))])
            })
        }
        console.json(.object([
            ("database", .string(context.databaseLabel)),
            ("applied", entries(.up)),
            ("rolled_back", entries(.down)),
            ("backup", .optional(backup)),
            ("current_version", .optional(current)),
            ("warnings", .array(plan.warnings.map(JSONValue.string))),
        ]))
        if steps.isEmpty {
            console.line("Nothing to do: \(context.databaseLabel) is at version \(current ?? "none").")
            return
        }
        let up = steps.filter { $0.direction == .up }.count
        let down = steps.count - up
        let total = steps.reduce(0) { $0 + $1.executionTimeMs }
        var parts: [String] = []
        if down > 0 { parts.append("rolled back \(down) migration\(down == 1 ? "" : "s")") }
        if up > 0 { parts.append("applied \(up) migration\(up == 1 ? "" : "s")") }
        let sentence = parts.joined(separator: " and ")
        console.line("\(sentence.prefix(1).uppercased() + sentence.dropFirst()) in \(total) ms; \(context.databaseLabel) is now at version \(current ?? "none").")
    }
}
