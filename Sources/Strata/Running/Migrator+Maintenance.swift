extension Migrator {
    /// Makes a history change planned from the current history (`repair`, `baseline`, `adopt`)
    /// with the same safety net as a migration: under the runner lock (unless a dry run), the plan
    /// is made from a fresh read of the history, approved by `beforeChange`, the database is
    /// backed up (reason `pre-<command>`), and the writes go in one transaction.
    ///
    /// - Parameters:
    ///   - command: The command's name, used for the backup's reason (`repair`).
    ///   - dryRun: Plan only: no lock, nothing written.
    ///   - beforeChange: Called with the plan when it is not empty and not a dry run; throw to refuse.
    ///   - onEvent: Receives ``RunEvent/waitingForLock(holder:)``, ``RunEvent/warning(_:)`` and
    ///     ``RunEvent/backedUp(path:)``.
    ///   - makePlan: Plans the change from the history rows read under the lock.
    /// - Returns: The plan, written unless `dryRun`.
    public func maintain(_ command: String, dryRun: Bool = false,
                         beforeChange: (@Sendable (MaintenancePlan) async throws -> Void)? = nil,
                         onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in },
                         makePlan: ([HistoryRecord]) async throws -> MaintenancePlan) async throws -> MaintenancePlan {
        if dryRun {
            let plan = try await makePlan(try await driver.history())
            for warning in plan.warnings { onEvent(.warning(warning)) }
            return plan
        }
        return try await driver.withRunnerLock(timeout: configuration.lockTimeout, onEvent: onEvent) {
            let records = try await driver.history()
            let plan = try await makePlan(records)
            for warning in plan.warnings { onEvent(.warning(warning)) }
            guard !plan.isEmpty else { return plan }
            if let beforeChange { try await beforeChange(plan) }
            let current = Planner(migrations: [], records: records, engine: driver.engine).currentVersion
            _ = try await backUp(reason: "pre-\(command)", currentVersion: current, onEvent: onEvent)
            try await driver.prepareHistory()
            try await driver.write(plan.writes)
            logger.debug("history changed", metadata: ["strata.command": "\(command)", "strata.changes": "\(plan.changes.count)"])
            return plan
        }
    }

    /// Accepts the current checksums (or Swift revisions) of edited applied migrations and clears
    /// failed state, as `strata repair` does (see ``Repair``). Undo a failed migration's partial
    /// changes by hand first.
    /// - Returns: The changes made (or, with `dryRun`, that would be made).
    @discardableResult
    public func repair(dryRun: Bool = false, beforeChange: (@Sendable (MaintenancePlan) async throws -> Void)? = nil,
                       onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> MaintenancePlan {
        let migrations = migrations
        let identity = identity
        return try await maintain("repair", dryRun: dryRun, beforeChange: beforeChange, onEvent: onEvent) { records in
            Repair(migrations: migrations, records: records, log: try await driver.log(), identity: identity).plan()
        }
    }

    /// Marks every migration up to `version` as applied without running it, for an existing
    /// database whose schema already matches them (see ``Baseline``); the history must be empty.
    /// - Throws: ``StrataError`` `.validationFailed` when the history already has a version in
    ///   effect, `.unknownVersion` when no migration has `version`.
    @discardableResult
    public func baseline(upTo version: MigrationVersion, dryRun: Bool = false,
                         beforeChange: (@Sendable (MaintenancePlan) async throws -> Void)? = nil,
                         onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> MaintenancePlan {
        let migrations = migrations
        let identity = identity
        return try await maintain("baseline", dryRun: dryRun, beforeChange: beforeChange, onEvent: onEvent) { records in
            try Baseline(migrations: migrations, records: records, version: version, identity: identity).plan()
        }
    }
}
