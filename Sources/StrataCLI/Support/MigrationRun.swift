import Strata
import StrataSQLite

/// The shared body of `up`, `down`, `to`, `redo` and `rollback`: load, plan, confirm, run, report.
enum MigrationRun {
    static func perform(_ request: MigrationRequest, dryRun: Bool, backup: Bool = true, context: CommandContext) async throws {
        let loaded = try context.loadMigrations()
        if dryRun {
            try await preview(request, loaded: loaded, context: context)
            return
        }
        // Plan inside the lock: a runner that waited for another one sees what that one applied.
        try await StopSignal.handling(console: context.console) { try await RunLock.with(context) {
            guard let driver = try context.openDriver(mutating: true) else { return }
            defer { Task { await driver.close() } }
            try await run(request, loaded: loaded, driver: driver, backup: backup, context: context)
        } }
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

    private static func run(_ request: MigrationRequest, loaded: LoadedMigrations, driver: any DatabaseDriver,
                            backup: Bool, context: CommandContext) async throws {
        let console = context.console
        let migrator = Migrator(driver: driver, migrations: loaded.migrations, historyTable: context.historyTable)
        let planner = try await migrator.planner()
        let plan = try planner.plan(request)
        for warning in plan.warnings { console.warning(warning) }
        if plan.isEmpty {
            report(steps: [], plan: plan, current: planner.currentVersion, context: context)
            return
        }
        try context.confirmIfProtected(planSummary(plan, context: context))
        let backupPath = backup ? try await BackupSupport.beforeChange(context, current: planner.currentVersion, reason: "pre-migration") : nil
        let verb = request.isUpward ? "apply" : "run"
        console.progress("Migrating \(context.databaseLabel): \(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s") to \(verb)")
        let result = try await migrator.execute(plan) { event in
            switch event {
            case let .stepFinished(step, index, total, ms):
                let verb = step.direction == .up ? "applied" : "rolled back"
                console.progress("  [\(index)/\(total)] \(verb) \(step.version) \(step.description) (\(ms) ms)")
            case let .stepFailed(step, _):
                let outcome = step.options.transactional ? "it was rolled back" : "it ran outside a transaction and may be partly applied"
                console.progress("  failed \(step.direction == .up ? "to apply" : "to roll back") \(step.version) \(step.description); \(outcome)")
            case .warning(let text):
                console.warning(text)
            case .planned, .stepStarted:
                break
            }
        }
        try await checkIntegrity(driver)
        report(steps: result.steps, plan: plan, current: result.currentVersion, backup: backupPath, context: context)
    }

    /// `PRAGMA quick_check` after a run that changed the database (SPEC §5).
    static func checkIntegrity(_ driver: any DatabaseDriver) async throws {
        guard let sqlite = driver as? SQLiteDriver else { return }
        let result = try await sqlite.quickCheck()
        guard result != ["ok"] else { return }
        throw StrataError(.verificationFailed, "quick_check found problems after the run",
                          hint: "run `strata verify --full`; restore the newest backup if the database is damaged",
                          details: Array(result.prefix(10)))
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
