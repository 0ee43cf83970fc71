/// Plans `strata baseline V`: marks every versioned migration up to and including `V` as applied
/// without running it, for a database whose schema already exists (made by hand, by a dump, or
/// by an older script) and that Strata has not migrated yet. Pure.
///
/// ```swift
/// let plan = try Baseline(migrations: loaded, records: try await driver.history(),
///                         version: MigrationVersion("003")!).plan()
/// try await driver.write(plan.writes)
/// ```
///
/// Each baselined row has type `baseline` and status `baselined`, and keeps the file's checksum
/// and down script, so later validation compares checksums and `strata down` can still roll the
/// version back. Each gets a `baselined` audit-log entry. Repeatable migrations are not
/// baselined (they run on the next `up`).
///
/// Baseline refuses (``StrataError/Code/validationFailed``, exit 3) when the history already has a
/// version in effect or a migration left failed outside a transaction: it is meant for a history
/// that is empty, and marking versions applied around existing rows would hide a migration that
/// never ran. Rows that are not in effect (`rolled_back`, or `failed` inside a transaction) are
/// replaced.
public struct Baseline: Sendable {
    /// The migrations from the source.
    public let migrations: [Migration]
    /// The history rows.
    public let records: [HistoryRecord]
    /// The version to baseline at (included).
    public let version: MigrationVersion
    /// Who runs it.
    public let identity: RunIdentity
    /// When, ISO-8601 UTC.
    public let now: String

    /// Creates a baseline planner.
    public init(migrations: [Migration], records: [HistoryRecord], version: MigrationVersion,
                identity: RunIdentity = .current(), now: String = Timestamp.now()) {
        self.migrations = migrations
        self.records = records
        self.version = version
        self.identity = identity
        self.now = now
    }

    /// The changes and writes.
    /// - Throws: ``StrataError`` `.unknownVersion` (exit 2) when no migration has version `V`;
    ///   `.validationFailed` (exit 3) when the history is not empty (see the type's documentation).
    public func plan() throws(StrataError) -> MaintenancePlan {
        let versioned = migrations.filter { $0.version != nil }.sorted { $0.version! < $1.version! }
        guard versioned.contains(where: { $0.version! == version }) else {
            throw StrataError(.unknownVersion, "no migration has version \(version.text)",
                              hint: "`strata list` shows every version; baseline at one of them")
        }
        let blocking = records.filter { ($0.isInEffect && $0.kind != .repeatable) || ($0.status == .failed && $0.dirty) }
            .sorted { maintenanceOrder($0.version, $1.version) }
        if !blocking.isEmpty {
            throw StrataError(.validationFailed,
                              "cannot baseline: the history already records \(blocking.count) migration\(blocking.count == 1 ? "" : "s") (\(blocking.prefix(5).map(\.version).joined(separator: ", "))\(blocking.count > 5 ? ", …" : ""))",
                              hint: "baseline is for databases Strata has not migrated yet; `strata status` shows what is applied, and `strata adopt` imports another tool's history")
        }
        var plan = MaintenancePlan()
        for m in versioned where m.version! <= version {
            let record = HistoryRecord(version: m.id, description: m.description, kind: .baseline, script: m.sourcePath,
                                       checksum: m.checksum, downSQL: m.downScript?.sql, appliedBy: identity.user,
                                       hostname: identity.hostname, appliedAt: now, executionTimeMs: 0,
                                       status: .baselined, metadata: m.metadata.json)
            let message = "baselined at \(version.text): marked applied without running \(m.up.path)"
            plan.changes.append(MaintenanceChange(version: m.id, description: m.description, action: .baseline, message: message))
            plan.writes.append(.upsert(record))
            plan.writes.append(.append(LogEntry(version: m.id, event: .baselined, description: m.description,
                                                checksum: m.checksum, actor: identity.user, hostname: identity.hostname,
                                                at: now, message: message)))
        }
        return plan
    }
}
