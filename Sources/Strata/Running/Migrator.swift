import Logging

/// Applies and rolls back migrations on one database: the library entry point that the `strata`
/// command line is built on.
///
/// ```swift
/// let driver = try SQLiteDriver.open(path: "app.db", createIfMissing: true)
/// let migrations = try MigrationDirectory(path: "migrations").load().migrations
/// let migrator = Migrator(driver: driver, migrations: migrations)
/// let report = try await migrator.run(.up(target: nil, allowOutOfOrder: false))
/// print("applied \(report.applied.count) migrations, now at \(report.currentVersion ?? "none")")
/// ```
///
/// Each migration runs in its own transaction together with its history row, so a migration
/// counts as applied only if both committed. A failure is rolled back, recorded in the history
/// (`status = failed`, with the error) and the audit log, and thrown as a ``StrataError``.
public struct Migrator: Sendable {
    /// The database.
    public let driver: any DatabaseDriver
    /// The migrations, from any source.
    public let migrations: [Migration]
    /// The history table name, for messages.
    public let historyTable: String
    /// Who runs it, recorded in the history.
    public let identity: RunIdentity
    /// Diagnostics (debug and trace level only).
    public let logger: Logger

    /// Creates a migrator.
    public init(driver: any DatabaseDriver, migrations: [Migration],
                historyTable: String = StrataInfo.defaultHistoryTable,
                identity: RunIdentity = .current(),
                logger: Logger = Logger(label: "strata", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.driver = driver
        self.migrations = migrations
        self.historyTable = historyTable
        self.identity = identity
        self.logger = logger
    }

    /// A planner over the current history.
    public func planner() async throws -> Planner {
        Planner(migrations: migrations, records: try await driver.history(), engine: driver.engine,
                historyTable: historyTable)
    }

    /// The state of the database against the migrations. Reads only.
    public func status() async throws -> StatusReport {
        let planner = try await planner()
        return StatusReport(database: driver.displayName, currentVersion: planner.currentVersion,
                            entries: planner.entries(), problems: planner.problems())
    }

    /// The plan for a request, without running anything.
    public func plan(_ request: MigrationRequest) async throws -> Plan {
        try await planner().plan(request)
    }

    /// Plans and runs a request.
    /// - Parameters:
    ///   - request: what to do.
    ///   - dryRun: plan and report only; the database is not written (not even the history table).
    ///   - onEvent: called for each ``RunEvent`` as the run progresses.
    /// - Throws: ``StrataError``; steps before the failing one stay applied.
    public func run(_ request: MigrationRequest, dryRun: Bool = false,
                    onEvent: @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        let planner = try await planner()
        let plan = try planner.plan(request)
        logger.debug("planned", metadata: ["strata.steps": "\(plan.steps.count)"])
        onEvent(.planned(plan))
        for warning in plan.warnings { onEvent(.warning(warning)) }
        if dryRun {
            let steps = plan.steps.map { RunReport.Step(version: $0.version, description: $0.description, direction: $0.direction, executionTimeMs: 0) }
            return RunReport(plan: plan, steps: steps, dryRun: true, currentVersion: planner.currentVersion)
        }
        return try await execute(plan, onEvent: onEvent)
    }

    /// Runs a plan made by ``plan(_:)`` or ``Planner/plan(_:)``.
    public func execute(_ plan: Plan, onEvent: @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        try await driver.prepareHistory()
        var done: [RunReport.Step] = []
        let total = plan.steps.count
        for (offset, step) in plan.steps.enumerated() {
            let index = offset + 1
            try StopRequest.checkpoint(before: step, done: offset, total: total)
            onEvent(.stepStarted(step, index: index, total: total))
            logger.debug("step started", metadata: ["strata.version": "\(step.version)", "strata.direction": "\(step.direction.rawValue)"])
            let unit = ExecutionUnit(script: step.script, options: step.options,
                                     verify: step.direction == .up ? step.migration?.verify : nil,
                                     historyWrites: successWrites(for: step))
            let ms: Int
            do {
                ms = try await driver.execute(unit)
            } catch {
                let failure = StrataError.wrapping(error)
                await recordFailure(of: step, error: failure)
                onEvent(.stepFailed(step, failure))
                throw failure
            }
            done.append(RunReport.Step(version: step.version, description: step.description, direction: step.direction, executionTimeMs: ms))
            onEvent(.stepFinished(step, index: index, total: total, executionTimeMs: ms))
        }
        let after = try await planner()
        return RunReport(plan: plan, steps: done, dryRun: false, currentVersion: after.currentVersion)
    }

    private func successWrites(for step: PlanStep) -> @Sendable (Int) -> [HistoryWrite] {
        let identity = identity
        return { ms in
            let now = Timestamp.now()
            switch step.direction {
            case .up:
                let m = step.migration!
                let record = HistoryRecord(version: step.version, description: m.description, kind: m.kind,
                                           script: m.sourcePath, checksum: m.checksum, downSQL: m.downScript?.sql,
                                           appliedBy: identity.user, hostname: identity.hostname, appliedAt: now,
                                           executionTimeMs: ms, status: .applied, metadata: m.metadata.json)
                let log = LogEntry(version: step.version, event: .applied, description: m.description, checksum: m.checksum,
                                   actor: identity.user, hostname: identity.hostname, at: now, executionTimeMs: ms)
                return [.upsert(record), .append(log)]
            case .down:
                var record = step.record!
                record.status = .rolledBack
                record.rolledBackAt = now
                record.errorMessage = nil
                let log = LogEntry(version: step.version, event: .rolledBack, description: step.description,
                                   checksum: record.checksum, actor: identity.user, hostname: identity.hostname,
                                   at: now, executionTimeMs: ms)
                return [.upsert(record), .append(log)]
            }
        }
    }

    /// Records a failed step in the history and the log. Never throws: the original error matters more.
    private func recordFailure(of step: PlanStep, error: StrataError) async {
        let now = Timestamp.now()
        let message = error.description
        var writes: [HistoryWrite] = []
        let partial = !step.options.transactional
        switch step.direction {
        case .up:
            let m = step.migration!
            var record = step.record ?? HistoryRecord(version: step.version, description: m.description, kind: m.kind,
                                                      script: m.sourcePath, checksum: m.checksum, downSQL: m.downScript?.sql,
                                                      appliedBy: identity.user, hostname: identity.hostname, appliedAt: now,
                                                      executionTimeMs: 0, status: .failed, metadata: m.metadata.json)
            record.status = .failed
            record.errorMessage = message
            record.appliedAt = now
            record.appliedBy = identity.user
            record.hostname = identity.hostname
            record.checksum = m.checksum
            record.dirty = partial
            writes.append(.upsert(record))
        case .down:
            if partial, var record = step.record {
                record.status = .failed
                record.errorMessage = message
                record.dirty = true
                writes.append(.upsert(record))
            }
        }
        writes.append(.append(LogEntry(version: step.version, event: .failed, description: step.description,
                                       checksum: step.migration?.checksum, actor: identity.user, hostname: identity.hostname,
                                       at: now, message: "\(step.direction.rawValue): \(message)")))
        do {
            try await driver.write(writes)
        } catch {
            logger.debug("could not record failure", metadata: ["strata.error": "\(error)"])
        }
    }
}

extension StrataError {
    /// `error` itself when it is a ``StrataError``, else a database error carrying its description.
    public static func wrapping(_ error: any Error) -> StrataError {
        if let e = error as? StrataError { return e }
        return StrataError(.database, "\(error)")
    }
}
