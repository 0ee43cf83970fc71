extension Migrator {
    /// Runs a plan made by ``plan(_:)`` or ``Planner/plan(_:)``, step by step, each in its own
    /// transaction with its history row. This is the bare runner: it takes no lock, no backup and
    /// checks no integrity; ``run(_:dryRun:beforeChange:onEvent:)`` does all of that around it.
    ///
    /// When the task is cancelled, the running step finishes, ``RunEvent/cancelled(remaining:)``
    /// is reported, and the report comes back with ``RunReport/cancelled`` set. When the task's
    /// ``StopRequest/current`` request is made, the running step finishes and the run throws
    /// ``StrataError/Code/interrupted`` or ``StrataError/Code/terminated``.
    /// - Throws: ``StrataError`` from the failing step (recorded as failed); earlier steps stay.
    public func execute(_ plan: Plan, onEvent: @Sendable (RunEvent) -> Void = { _ in }) async throws -> RunReport {
        try await execute(plan, onEvent: onEvent, startingFrom: nil)
    }

    /// ``execute(_:onEvent:)``; with `before`, the planner the plan was made from, the version in
    /// effect afterwards is worked out from it instead of reading the whole history again.
    func execute(_ plan: Plan, onEvent: @Sendable (RunEvent) -> Void, startingFrom before: Planner?) async throws -> RunReport {
        try await withTaskExecutorPreference(driver.preferredTaskExecutor) {
            try await executeSteps(plan, onEvent: onEvent, startingFrom: before)
        }
    }

    /// The body of ``execute(_:onEvent:startingFrom:)``, on the driver's preferred executor.
    private func executeSteps(_ plan: Plan, onEvent: @Sendable (RunEvent) -> Void, startingFrom before: Planner?) async throws -> RunReport {
        try requireSwiftSupport(plan)
        try await driver.prepareHistory()
        var done: [RunReport.Step] = []
        var cancelled = false
        let total = plan.steps.count
        for (offset, step) in plan.steps.enumerated() {
            // An explicit ``StopRequest`` (the command line's SIGINT/SIGTERM) ends the run with an error.
            try StopRequest.checkpoint(before: step, done: offset, total: total)
            if Task.isCancelled {
                cancelled = true
                logger.debug("cancelled", metadata: ["strata.remaining": "\(total - offset)"])
                onEvent(.cancelled(remaining: total - offset))
                break
            }
            let index = offset + 1
            onEvent(.stepStarted(step, index: index, total: total))
            logger.debug("step started", metadata: ["strata.version": "\(step.version)", "strata.direction": "\(step.direction.rawValue)"])
            let unit = ExecutionUnit(script: step.script, options: step.options,
                                     verify: step.direction == .up ? step.migration?.verify : nil,
                                     code: step.direction == .up ? step.migration?.code?.up : step.migration?.code?.down,
                                     historyWrites: successWrites(for: step))
            let ms: Int
            do {
                // A step runs to its end even when the task is cancelled meanwhile: an unstructured
                // task does not inherit the cancellation. Swift code may look at cancellation itself.
                let driver = driver
                if unit.code == nil && driver.executesSQLUnitsRegardlessOfCancellation {
                    ms = try await driver.execute(unit)
                } else {
                    ms = try await Task(executorPreference: driver.preferredTaskExecutor) { try await driver.execute(unit) }.value
                }
            } catch {
                let failure = StrataError.wrapping(error)
                await recordFailure(of: step, error: failure)
                logger.debug("step failed", metadata: ["strata.version": "\(step.version)", "strata.error": "\(failure.message)"])
                onEvent(.stepFailed(step, failure))
                throw failure
            }
            done.append(RunReport.Step(version: step.version, description: step.description, direction: step.direction, executionTimeMs: ms))
            logger.trace("step finished", metadata: ["strata.version": "\(step.version)", "strata.ms": "\(ms)"])
            onEvent(.stepFinished(step, index: index, total: total, executionTimeMs: ms))
        }
        let current: String?
        if let before {
            current = Self.currentVersion(after: done, from: before)
        } else {
            current = try await planner().currentVersion
        }
        return RunReport(plan: plan, steps: done, dryRun: false, currentVersion: current, cancelled: cancelled)
    }

    /// The newest version in effect once `done` ran on the history `before` described (what
    /// ``Planner/currentVersion`` of a fresh read would say).
    static func currentVersion(after done: [RunReport.Step], from before: Planner) -> String? {
        var inEffect: [MigrationVersion: String] = [:]
        for record in before.inEffect { if let v = record.parsedVersion { inEffect[v] = record.version } }
        for step in done {
            guard let v = MigrationVersion(step.version) else { continue }  // repeatable
            switch step.direction {
            case .up: inEffect[v] = step.version
            case .down: inEffect[v] = nil
            }
        }
        return inEffect.max { $0.key < $1.key }?.value
    }

    private func successWrites(for step: PlanStep) -> @Sendable (Int) -> [HistoryWrite] {
        let identity = identity
        return { ms in
            let now = Timestamp.now()
            switch step.direction {
            case .up:
                let m = step.migration!
                let record = HistoryRecord(version: step.version, description: m.description, kind: m.kind,
                                           script: m.sourcePath, checksum: m.checksum, downSQL: m.storedDownSQL,
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
                                                      script: m.sourcePath, checksum: m.checksum, downSQL: m.storedDownSQL,
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

extension Migration {
    /// The down script stored in the history when the migration is applied: the SQL down script;
    /// nothing for Swift migrations, whose down closure cannot be stored.
    var storedDownSQL: String? { code == nil ? downScript?.sql : nil }
}

extension StrataError {
    /// `error` itself when it is a ``StrataError``, else a database error carrying its description.
    public static func wrapping(_ error: any Error) -> StrataError {
        if let e = error as? StrataError { return e }
        return StrataError(.database, "\(error)")
    }
}
