/// Plans `strata repair`: makes the history agree with the migration files again after a
/// deliberate edit or a failure. Pure: it reads migrations and history rows and returns writes.
///
/// ```swift
/// let repair = Repair(migrations: loaded, records: try await driver.history(), log: try await driver.log())
/// let plan = repair.plan()
/// try await driver.write(plan.writes)
/// ```
///
/// What it changes:
/// - **Edited applied migrations.** Every applied (or baselined) versioned migration whose file's
///   checksum differs from the recorded one gets the file's checksum. Nothing else in the row
///   changes; the down script stored at apply time is kept.
/// - **Failed state.** Every `failed` row, dirty or not, is returned to the state it had before
///   the failed attempt, so the database must first be put back in that state by hand:
///   - a failed *apply* of a version that was never applied successfully: the row is deleted, so
///     the version is pending again and `strata up` runs it;
///   - a failed *apply* of a version that had been applied and rolled back before: the row goes
///     back to `rolled_back` (pending again, its earlier history kept);
///   - a failed *roll-back* (only possible outside a transaction, known from the audit log's
///     `failed` entry starting with `down:`): the row goes back to `applied` (`baselined` for
///     baseline rows), so the migration is in effect again.
///
/// Every change appends a `repaired` entry to the audit log saying what changed. Missing files
/// and out-of-order migrations are not repaired: restore the file or roll the version back.
public struct Repair: Sendable {
    /// The migrations from the source.
    public let migrations: [Migration]
    /// The history rows.
    public let records: [HistoryRecord]
    /// The audit log, used to tell a failed roll-back from a failed apply.
    public let log: [LogEntry]
    /// Who runs the repair.
    public let identity: RunIdentity
    /// When, ISO-8601 UTC.
    public let now: String

    /// Creates a repair planner.
    public init(migrations: [Migration], records: [HistoryRecord], log: [LogEntry] = [],
                identity: RunIdentity = .current(), now: String = Timestamp.now()) {
        self.migrations = migrations
        self.records = records
        self.log = log
        self.identity = identity
        self.now = now
    }

    /// The changes and writes that repair the history; empty when there is nothing to repair.
    public func plan() -> MaintenancePlan {
        var byVersion: [MigrationVersion: Migration] = [:]
        for m in migrations { if let v = m.version { byVersion[v] = m } }
        var plan = MaintenancePlan()
        for record in records.sorted(by: { maintenanceOrder($0.version, $1.version) }) {
            switch record.status {
            case .applied, .baselined:
                guard record.kind != .repeatable, let v = record.parsedVersion, let m = byVersion[v],
                      let old = record.checksum, old != m.checksum else { continue }
                var updated = record
                updated.checksum = m.checksum
                let message = "accepted the checksum of \(m.up.path): \(shortChecksum(old)) → \(shortChecksum(m.checksum))"
                add(&plan, .acceptChecksum, updated, write: .upsert(updated), checksum: m.checksum, message: message)
            case .failed:
                let what = record.dirty ? "cleared failed state (dirty, outside a transaction)" : "cleared failed state"
                let error = record.errorMessage.map { firstLine($0) }.map { " after: \($0)" } ?? ""
                if failedWhileRollingBack(record) {
                    var updated = record
                    updated.status = record.kind == .baseline ? .baselined : .applied
                    updated.errorMessage = nil
                    updated.dirty = false
                    add(&plan, .clearFailed, updated, write: .upsert(updated), checksum: record.checksum,
                        message: "\(what) of a roll-back\(error); marked \(updated.status.rawValue) again")
                } else if record.rolledBackAt != nil {
                    var updated = record
                    updated.status = .rolledBack
                    updated.errorMessage = nil
                    updated.dirty = false
                    add(&plan, .clearFailed, updated, write: .upsert(updated), checksum: record.checksum,
                        message: "\(what)\(error); marked rolled_back, pending again")
                } else {
                    add(&plan, .clearFailed, record, write: .delete(version: record.version), checksum: record.checksum,
                        message: "\(what)\(error); row removed, pending again")
                }
            case .rolledBack:
                continue
            }
        }
        return plan
    }

    private func add(_ plan: inout MaintenancePlan, _ action: MaintenanceChange.Action, _ record: HistoryRecord,
                     write: HistoryWrite, checksum: String?, message: String) {
        plan.changes.append(MaintenanceChange(version: record.version, description: record.description,
                                              action: action, message: message))
        plan.writes.append(write)
        plan.writes.append(.append(LogEntry(version: record.version, event: .repaired, description: record.description,
                                            checksum: checksum, actor: identity.user, hostname: identity.hostname,
                                            at: now, message: message)))
    }

    /// Whether the newest `failed` log entry of the record's version was a roll-back.
    private func failedWhileRollingBack(_ record: HistoryRecord) -> Bool {
        let version = record.parsedVersion
        let last = log.last { entry in
            guard entry.event == .failed else { return false }
            if entry.version == record.version { return true }
            if let version, let v = MigrationVersion(entry.version) { return v == version }
            return false
        }
        return last?.message?.hasPrefix("down:") ?? false
    }

    private func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: true).first ?? "")
    }
}
