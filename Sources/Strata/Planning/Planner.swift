/// Compares migrations with the history and plans what a request needs. Pure: no I/O.
///
/// ```swift
/// let planner = Planner(migrations: loaded, records: try await driver.history(), engine: .sqlite)
/// let plan = try planner.plan(.up(target: nil, allowOutOfOrder: false))
/// ```
public struct Planner: Sendable {
    /// The migrations from the source, ordered by version (repeatables last).
    public let migrations: [Migration]
    /// The history rows.
    public let records: [HistoryRecord]
    /// The engine the plan is for (decides which statements cannot run in a transaction).
    public let engine: DatabaseEngine
    /// The history table name, used to show where stored down scripts come from.
    public let historyTable: String

    /// Indexes into ``records`` (indexes, not copies: a history row is a large value).
    private let recordByVersion: [MigrationVersion: Int]
    private let recordByKey: [String: Int]
    private let migrationByVersion: [MigrationVersion: Migration]

    /// Creates a planner.
    public init(migrations: [Migration], records: [HistoryRecord], engine: DatabaseEngine,
                historyTable: String = StrataInfo.defaultHistoryTable) {
        // Sources hand them over sorted already; sorting copies every (large) value.
        let isSorted = migrations.indices.dropFirst().allSatisfy { !Planner.order(migrations[$0], migrations[$0 - 1]) }
        self.migrations = isSorted ? migrations : migrations.sorted(by: Planner.order)
        self.records = records
        self.engine = engine
        self.historyTable = historyTable
        var byVersion: [MigrationVersion: Int] = [:]
        var byKey: [String: Int] = [:]
        byVersion.reserveCapacity(records.count)
        byKey.reserveCapacity(records.count)
        // Each row's version parsed once.
        let versions = records.map(\.parsedVersion)
        for (index, record) in records.enumerated() {
            byKey[record.version] = index
            if let v = versions[index] { byVersion[v] = index }
        }
        recordByVersion = byVersion
        recordByKey = byKey
        var mByVersion: [MigrationVersion: Migration] = [:]
        mByVersion.reserveCapacity(migrations.count)
        for m in migrations { if let v = m.version { mByVersion[v] = m } }
        migrationByVersion = mByVersion
        // Each version parsed once, not once per comparison; rows usually come in version order
        // already, and then nothing is sorted (sorting moves every large record).
        let effective = records.indices.compactMap { i -> (MigrationVersion, Int)? in
            let r = records[i]
            guard r.isInEffect, r.kind != .repeatable, let v = versions[i] else { return nil }
            return (v, i)
        }
        let inOrder = effective.indices.dropFirst().allSatisfy { !(effective[$0].0 < effective[$0 - 1].0) }
        inEffect = (inOrder ? effective : effective.sorted { $0.0 < $1.0 }).map { records[$0.1] }
    }

    static func order(_ a: Migration, _ b: Migration) -> Bool {
        switch (a.version, b.version) {
        case let (x?, y?): return x < y
        case (nil, nil): return a.name < b.name
        case (nil, _): return false
        case (_, nil): return true
        }
    }

    /// The history row of a migration, if any.
    public func record(for migration: Migration) -> HistoryRecord? {
        if let v = migration.version { return recordByVersion[v].map { records[$0] } }
        return recordByKey[migration.id].map { records[$0] }
    }

    /// Versioned history rows whose changes are in effect, oldest first.
    public let inEffect: [HistoryRecord]

    /// The newest version in effect, as written, or `nil` for an empty history.
    public var currentVersion: String? { inEffect.last?.version }

    private var newestInEffect: MigrationVersion? { inEffect.last?.parsedVersion }

    /// Whether a migration still has to be applied.
    public func isPending(_ migration: Migration) -> Bool {
        guard let record = record(for: migration) else { return true }
        switch record.status {
        case .applied, .baselined:
            return migration.kind == .repeatable && record.checksum != migration.checksum
        case .rolledBack: return true
        case .failed: return !record.dirty
        }
    }

    /// The state of a migration given its history row (or none).
    private func state(of m: Migration, record r: HistoryRecord?) -> MigrationState {
        guard let r else { return .pending }
        switch r.status {
        case .applied, .baselined:
            if m.kind == .repeatable { return r.checksum == m.checksum ? .applied : .pending }
            return (r.checksum == nil || r.checksum == m.checksum || r.kind == .baseline) ? .applied : .changed
        case .rolledBack: return .pending
        case .failed: return r.dirty ? .failed : .pending
        }
    }

    /// Every migration and every history row, merged and ordered, with its state.
    public func entries() -> [MigrationEntry] {
        var result: [MigrationEntry] = []
        result.reserveCapacity(migrations.count)
        var seen = Set<String>()
        for m in migrations {
            let r = record(for: m)
            if let r { seen.insert(r.version) }
            result.append(MigrationEntry(version: m.id, description: m.description, state: state(of: m, record: r),
                                         migration: m, record: r))
        }
        for r in records where !seen.contains(r.version) && r.isInEffect {
            result.append(MigrationEntry(version: r.version, description: r.description, state: .missing, migration: nil, record: r))
        }
        for r in records where !seen.contains(r.version) && r.status == .failed && r.dirty {
            result.append(MigrationEntry(version: r.version, description: r.description, state: .failed, migration: nil, record: r))
        }
        let versions = result.map { MigrationVersion($0.version) }
        func before(_ a: Int, _ b: Int) -> Bool {
            switch (versions[a], versions[b]) {
            case let (x?, y?): return x < y
            case (nil, nil): return result[a].version < result[b].version
            case (nil, _): return false
            case (_, nil): return true
            }
        }
        // Usually in order already (migrations come sorted, and there are no rows without a file).
        if result.indices.dropFirst().allSatisfy({ !before($0, $0 - 1) }) { return result }
        return result.indices.sorted(by: before).map { result[$0] }
    }

    /// Everything wrong between source and history: changed, missing, out-of-order, failed, gaps.
    public func problems() -> [Problem] {
        // The usual case (every row matched, nothing changed or failed) without building entries.
        hasOnlyOrderlyEntries() ? gapWarnings() : problemsFromEntries()
    }

    /// ``problems()`` the long way, from every entry.
    func problemsFromEntries() -> [Problem] {
        var problems: [Problem] = []
        let newest = newestInEffect
        for entry in entries() {
            switch entry.state {
            case .changed:
                let m = entry.migration!
                problems.append(Problem(kind: .changed, version: entry.version,
                                        message: "migration \(entry.version) checksum mismatch: \(m.up.path) changed after it was applied",
                                        details: ["Expected: \(entry.record?.checksum ?? "")", "Got:      \(m.checksum)"],
                                        file: m.up.path))
            case .missing where entry.record?.kind == .swift:
                // Swift migrations live in an application's code: a runner without that code (the
                // command line) cannot see them, which must not stop it.
                problems.append(Problem(kind: .missing, version: entry.version,
                                        message: "Swift migration \(entry.version) (\(entry.record!.script)) is applied but not registered here",
                                        severity: .warning, file: entry.record?.script))
            case .missing:
                problems.append(Problem(kind: .missing, version: entry.version,
                                        message: "migration \(entry.version) was applied but its file \(entry.record!.script) is gone",
                                        file: entry.record?.script))
            case .failed:
                problems.append(Problem(kind: .failed, version: entry.version,
                                        message: "migration \(entry.version) failed outside a transaction and may be partly applied: \(entry.record?.errorMessage ?? "unknown error")",
                                        file: entry.migration?.up.path))
            case .pending:
                if let m = entry.migration, let v = m.version, let newest, v < newest {
                    problems.append(Problem(kind: .outOfOrder, version: entry.version,
                                            message: "pending migration \(entry.version) is older than the newest applied version \(newest.text)",
                                            file: m.up.path))
                }
            case .applied:
                break
            }
        }
        problems += gapWarnings()
        return problems
    }

    /// Whether ``entries()`` would hold nothing that ``problems()`` reports: no changed, failed or
    /// out-of-order migration and no history row without its migration.
    private func hasOnlyOrderlyEntries() -> Bool {
        let newest = newestInEffect
        var matchedRows = 0
        for m in migrations {
            let r = record(for: m)
            switch state(of: m, record: r) {
            case .changed, .failed, .missing: return false
            case .pending:
                if let v = m.version, let newest, v < newest { return false }
            case .applied: break
            }
            // Each migration has its own version, so each matched row is counted once.
            if let r, r.isInEffect || (r.status == .failed && r.dirty) { matchedRows += 1 }
        }
        let rowsNeedingAMigration = records.reduce(0) { $0 + ($1.isInEffect || ($1.status == .failed && $1.dirty) ? 1 : 0) }
        return matchedRows == rowsNeedingAMigration
    }

    private func gapWarnings() -> [Problem] {
        let versions = migrations.compactMap(\.version)
        guard versions.count > 1, versions.allSatisfy({ $0.componentCount == 1 && $0.first < 1_000_000 }) else { return [] }
        var result: [Problem] = []
        for (a, b) in zip(versions, versions.dropFirst()) where b.first > a.first + 1 {
            result.append(Problem(kind: .gap, version: b.text,
                                  message: "versions \(a.first + 1)…\(b.first - 1) are missing between \(a.text) and \(b.text)",
                                  severity: .warning))
        }
        return result
    }

    /// Plans a request.
    /// - Throws: ``StrataError`` when validation fails (exit 3), a version is unknown (exit 2) or a
    ///   migration to roll back has no down script (exit 1).
    public func plan(_ request: MigrationRequest) throws(StrataError) -> Plan {
        var plan = Plan()
        switch request {
        case let .up(target, allowOutOfOrder):
            if let target { try requireKnown(target) }
            let pending = migrations.filter { m in
                guard isPending(m) else { return false }
                guard let target else { return true }
                guard let v = m.version else { return false }
                return v <= target
            }
            plan.steps = try pending.map(upStep)
            try validate(plan: plan, upward: true, allowOutOfOrder: allowOutOfOrder)
        case .down(let extent):
            let applied = Array(inEffect.reversed())
            let chosen: [HistoryRecord]
            switch extent {
            case .steps(let n):
                guard n >= 0 else { throw StrataError(.usage, "--steps must be a positive number") }
                chosen = Array(applied.prefix(n))
            case .target(let v):
                try requireKnown(v)
                chosen = applied.filter { $0.parsedVersion! > v }
            case .all:
                chosen = applied
            }
            plan.steps = try chosen.map(downStep)
            try validate(plan: plan, upward: false, allowOutOfOrder: true)
        case .to(let v):
            try requireKnown(v)
            let downs = inEffect.reversed().filter { $0.parsedVersion! > v }
            let ups = migrations.filter { m in
                guard let mv = m.version, mv <= v else { return false }
                return isPending(m)
            }
            plan.steps = try downs.map(downStep) + ups.map(upStep)
            try validate(plan: plan, upward: !ups.isEmpty, allowOutOfOrder: true)
        case .redo:
            guard let newest = inEffect.last else {
                throw StrataError(.unknownVersion, "there is no applied migration to redo")
            }
            guard let m = migrationByVersion[newest.parsedVersion!] else {
                throw StrataError(.validationFailed, "cannot redo migration \(newest.version): its file \(newest.script) is gone",
                                  hint: "restore the file, or use `strata down` to roll it back with the stored down script")
            }
            plan.steps = [try downStep(newest), try upStep(m)]
            try validate(plan: plan, upward: true, allowOutOfOrder: true)
        case let .rollback(key, force):
            let record = try findApplied(key)
            let newer = inEffect.filter { $0.parsedVersion! > record.parsedVersion! }
            if !newer.isEmpty && !force {
                throw StrataError(.validationFailed,
                                  "cannot roll back \(record.version) alone: newer migrations are applied (\(newer.map(\.version).joined(separator: ", ")))",
                                  hint: "roll back newest first with `strata down --target \(record.version)`, or pass --force if \(record.version) is independent of them")
            }
            plan.steps = [try downStep(record)]
            try validate(plan: plan, upward: false, allowOutOfOrder: true)
        }
        for step in plan.steps where step.options.nonTransactionalReason != nil && step.options.transactional == false {
            if let reason = step.options.nonTransactionalReason, reason.hasSuffix("cannot run inside a transaction") {
                plan.warnings.append("\(step.version) runs outside a transaction: \(reason)")
            }
        }
        return plan
    }

    private func requireKnown(_ v: MigrationVersion) throws(StrataError) {
        if migrationByVersion[v] == nil && recordByVersion[v] == nil {
            throw StrataError(.unknownVersion, "no migration has version \(v.text)",
                              hint: "`strata list` shows every version")
        }
    }

    private func findApplied(_ key: String) throws(StrataError) -> HistoryRecord {
        let candidates = inEffect
        if let v = MigrationVersion(key), let r = candidates.first(where: { $0.parsedVersion == v }) { return r }
        for r in candidates {
            let m = migrationByVersion[r.parsedVersion!]
            let names = [m?.name, m.map { "\($0.version!.text)_\($0.name)" }, r.description,
                         fileStem(r.script)]
            if names.contains(where: { $0 == key }) { return r }
        }
        throw StrataError(.unknownVersion, "no applied migration is named '\(key)'",
                          hint: "give a version or name from `strata status`")
    }

    private func upStep(_ m: Migration) throws(StrataError) -> PlanStep {
        var options = m.options
        if options.transactional,
           let reason = TransactionCompatibility.firstNonTransactionalStatement(in: m.up, engine: engine) {
            options.transactional = false
            options.nonTransactionalReason = reason
        }
        return PlanStep(direction: .up, version: m.id, description: m.description, migration: m,
                        script: m.up, options: options, record: record(for: m))
    }

    private func downStep(_ r: HistoryRecord) throws(StrataError) -> PlanStep {
        let m = r.parsedVersion.flatMap { migrationByVersion[$0] }
        var script: MigrationScript?
        var options = m?.downOptions ?? ExecutionOptions()
        if let m {
            switch m.down {
            case .script(let s): script = s
            case .irreversible(let path):
                throw StrataError(.irreversible, "migration \(r.version) cannot be rolled back: its down script is empty",
                                  location: SourceLocation(file: path, line: 1, column: 1),
                                  hint: "write the down script, or restore from a backup (`strata backups`)")
            case .none: break
            }
        }
        if script == nil, let stored = r.downSQL, !MigrationScript(path: "", sql: stored).isEffectivelyEmpty {
            script = MigrationScript(path: "\(historyTable)[\(r.version)].down_sql", sql: stored)
        }
        guard let script else {
            throw StrataError(.irreversible, "migration \(r.version) cannot be rolled back: it has no down script",
                              hint: m == nil ? "its file is gone and no down script was stored when it was applied; restore from a backup"
                                  : m!.kind == .swift ? "register the Swift migration with a down closure, or restore from a backup"
                                  : "add a down script next to \(m!.up.path), or restore from a backup (`strata backups`)")
        }
        if options.transactional,
           let reason = TransactionCompatibility.firstNonTransactionalStatement(in: script, engine: engine) {
            options.transactional = false
            options.nonTransactionalReason = reason
        }
        return PlanStep(direction: .down, version: r.version, description: m?.description ?? r.description,
                        migration: m, script: script, options: options, record: r)
    }

    /// Checks the problems that stop a plan. Changed, missing and out-of-order migrations stop
    /// upward plans; a migration left failed outside a transaction stops every plan.
    private func validate(plan: Plan, upward: Bool, allowOutOfOrder: Bool) throws(StrataError) {
        let rolledBackInPlan = Set(plan.steps.filter { $0.direction == .down }.map(\.version))
        var blocking: [Problem] = []
        for p in problems() where p.severity == .error {
            switch p.kind {
            case .failed: blocking.append(p)
            case .changed, .missing: if upward && !rolledBackInPlan.contains(p.version) { blocking.append(p) }
            case .outOfOrder:
                if upward && !allowOutOfOrder && plan.steps.contains(where: { $0.direction == .up && $0.version == p.version }) {
                    blocking.append(p)
                }
            case .gap: break
            }
        }
        guard let first = blocking.first else { return }
        if blocking.count == 1 {
            throw StrataError(first.kind == .changed ? .checksumMismatch : .validationFailed, first.message,
                              location: first.file.map { SourceLocation(file: $0, line: 1, column: 1) },
                              hint: Planner.hint(for: first.kind), details: first.details)
        }
        throw StrataError(.validationFailed, "validation failed with \(blocking.count) problems",
                          hint: Planner.hint(for: first.kind),
                          details: blocking.flatMap { [$0.message] + $0.details.map { "  " + $0 } })
    }

    /// What to do about a kind of problem.
    public static func hint(for kind: Problem.Kind) -> String {
        switch kind {
        case .changed: "revert the edit, or roll the migration back first; `strata repair` accepts the new checksum when the database already matches the file"
        case .missing: "restore the file, or roll it back with `strata down` (the down script stored at apply time is used)"
        case .outOfOrder: "renumber the migration above the newest applied version, or pass --allow-out-of-order"
        case .failed: "inspect the database, finish or undo the migration by hand, then run `strata repair`"
        case .gap: "gaps are allowed; renumber if they are a mistake"
        }
    }
}

/// The last path component of `path` without its extension: `a/003_x.sql` → `003_x`.
func fileStem(_ path: String) -> String {
    let last = path.split(separator: "/").last.map(String.init) ?? path
    if let dot = last.lastIndex(of: "."), dot != last.startIndex { return String(last[..<dot]) }
    return last
}
