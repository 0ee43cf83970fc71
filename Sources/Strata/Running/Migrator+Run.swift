extension Migrator {
    /// Called with the plan after the lock is taken and before anything changes (no backup yet);
    /// throw to refuse the run. The command line asks for confirmation on protected environments here.
    public typealias ChangeApproval = @Sendable (Plan) async throws -> Void

    /// Applies every pending migration, or those up to and including `target`: the call to make
    /// at application start-up. See ``Migrator`` for what happens, in order.
    ///
    /// ```swift
    /// let report = try await migrator.migrate()
    /// if report.applied.isEmpty { print("up to date at \(report.currentVersion ?? "none")") }
    /// ```
    /// - Parameters:
    ///   - target: The newest version to apply; `nil` for all.
    ///   - onEvent: Called with each ``RunEvent`` as the run progresses, on the running task.
    /// - Returns: What was applied, the backup taken, the version now in effect.
    /// - Throws: ``StrataError``: `.validationFailed`/`.checksumMismatch` (exit 3) before anything
    ///   changes, `.lockTimeout` (exit 4), `.migrationFailed`/`.verificationFailed` (exit 1; the
    ///   failing migration was rolled back, earlier ones of the run stay applied), `.database`
    ///   (exit 2).
    @discardableResult
    public func migrate(to target: MigrationVersion? = nil,
                        onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        try await run(.up(target: target, allowOutOfOrder: configuration.allowOutOfOrder), onEvent: onEvent)
    }

    /// Rolls back applied migrations, newest first, with their down scripts (or down closures):
    /// `.steps(1)` for the newest, `.target(v)` for every one newer than `v`, `.all`.
    ///
    /// Takes the lock, backs up and checks integrity like ``migrate(to:onEvent:)``.
    /// - Throws: ``StrataError`` `.irreversible` (exit 1) when a migration has no down script, and
    ///   what ``migrate(to:onEvent:)`` throws.
    @discardableResult
    public func rollback(_ extent: MigrationRequest.DownExtent = .steps(1),
                         onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        try await run(.down(extent), onEvent: onEvent)
    }

    /// Plans and runs any request (`up`, `down`, `to`, `redo`, `rollback`) with the full safety
    /// net: the fast path when there is nothing to do, else the runner lock, planning again inside
    /// it, `beforeChange`, a backup, the steps, and the integrity check.
    ///
    /// - Parameters:
    ///   - request: What to do.
    ///   - dryRun: Plan and report only: no lock, nothing written (not even the history table).
    ///   - beforeChange: Called with the plan when something is about to change; throw to refuse.
    ///   - onEvent: Called for each ``RunEvent``.
    /// - Throws: ``StrataError``; steps before a failing one stay applied.
    @discardableResult
    public func run(_ request: MigrationRequest, dryRun: Bool = false, beforeChange: ChangeApproval? = nil,
                    onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        // Fast path: one read of the history, no lock, no write when there is nothing to do.
        let first = try await planner()
        let firstPlan = try first.plan(request)
        logger.debug("planned", metadata: ["strata.steps": "\(firstPlan.steps.count)", "strata.locked": "false"])
        if dryRun || firstPlan.isEmpty {
            announce(firstPlan, onEvent)
            let steps = dryRun ? firstPlan.steps.map {
                RunReport.Step(version: $0.version, description: $0.description, direction: $0.direction, executionTimeMs: 0)
            } : []
            return RunReport(plan: firstPlan, steps: steps, dryRun: dryRun, currentVersion: first.currentVersion)
        }
        try requireSwiftSupport(firstPlan)
        return try await driver.withRunnerLock(timeout: configuration.lockTimeout, onEvent: onEvent) {
            // Plan again inside the lock: a runner that waited sees what the other one applied.
            let planner = try await self.planner()
            let plan = try planner.plan(request)
            logger.debug("planned", metadata: ["strata.steps": "\(plan.steps.count)", "strata.locked": "true"])
            announce(plan, onEvent)
            if plan.isEmpty {
                return RunReport(plan: plan, steps: [], dryRun: false, currentVersion: planner.currentVersion)
            }
            try requireSwiftSupport(plan)
            if let beforeChange { try await beforeChange(plan) }
            let backup = try await backUp(reason: "pre-migration", currentVersion: planner.currentVersion, onEvent: onEvent)
            var report = try await execute(plan, onEvent: onEvent, startingFrom: planner)
            report.backup = backup
            if !report.steps.isEmpty { try await checkIntegrity() }
            return report
        }
    }

    /// Runs the driver's ``DatabaseDriver/quickCheck()`` when ``Configuration/checkIntegrityAfterRun``.
    /// - Throws: ``StrataError`` `.verificationFailed` listing up to ten problems.
    public func checkIntegrity() async throws {
        guard configuration.checkIntegrityAfterRun else { return }
        let result = try await driver.quickCheck()
        logger.debug("integrity checked", metadata: ["strata.ok": "\(result == ["ok"])"])
        guard result != ["ok"] else { return }
        throw StrataError(.verificationFailed, "quick_check found problems after the run",
                          hint: "run `strata verify --full`; restore the newest backup if the database is damaged",
                          details: Array(result.prefix(10)))
    }

    // MARK: - Internals

    private func announce(_ plan: Plan, _ onEvent: @Sendable (RunEvent) -> Void) {
        onEvent(.planned(plan))
        for warning in plan.warnings { onEvent(.warning(warning)) }
    }

    /// Takes the backup before a change when backups are enabled; reports ``RunEvent/backedUp(path:)``.
    func backUp(reason: String, currentVersion: String?,
                onEvent: @Sendable (RunEvent) -> Void) async throws -> String? {
        guard configuration.backups.isEnabled else { return nil }
        guard configuration.backups.keep >= 1 else {
            throw StrataError(.configuration, "backups.keep must be at least 1 (it is \(configuration.backups.keep))",
                              hint: "keep at least one backup: `backups: { keep: 10 }` in strata.yml, or BackupSettings(keep:)")
        }
        let path = try await driver.backUp(reason: reason, currentVersion: currentVersion, settings: configuration.backups)
        if let path {
            logger.debug("backed up", metadata: ["strata.backup": "\(path)", "strata.reason": "\(reason)"])
            onEvent(.backedUp(path: path))
        }
        return path
    }

    /// Refuses a plan with Swift migrations on a driver that cannot run them, before anything runs.
    func requireSwiftSupport(_ plan: Plan) throws(StrataError) {
        guard !driver.supportsSwiftMigrations,
              let step = plan.steps.first(where: { $0.migration?.code != nil }) else { return }
        throw StrataError(.configuration,
                          "migration \(step.version) is written in Swift, and the \(driver.engine.rawValue) driver cannot run Swift migrations",
                          location: SourceLocation(file: step.script.path, line: step.script.firstLine, column: 1),
                          hint: "write the migration in SQL, or use a driver that runs Swift migrations")
    }
}
