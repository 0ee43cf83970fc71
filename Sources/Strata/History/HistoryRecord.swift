/// One row of the history table (`strata_schema_history`): the current state of one version.
public struct HistoryRecord: Sendable, Hashable {
    /// The history table's columns, in the order drivers write and read them.
    public static let columnNames = [
        "version", "description", "type", "script", "checksum", "down_sql", "applied_by", "hostname",
        "applied_at", "execution_time_ms", "status", "rolled_back_at", "error_message", "metadata",
        "strata_version", "dirty",
    ]

    /// The version as written in the file name (`R__<name>` for repeatable migrations).
    public var version: String {
        get { storage.value.version }
        set { storage.value.version = newValue }
    }
    /// The description at the time it was applied.
    public var description: String {
        get { storage.value.description }
        set { storage.value.description = newValue }
    }
    /// `sql`, `swift`, `repeatable` or `baseline`.
    public var kind: MigrationKind {
        get { storage.value.kind }
        set { storage.value.kind = newValue }
    }
    /// The path of the up script (or the migration's directory) at apply time.
    public var script: String {
        get { storage.value.script }
        set { storage.value.script = newValue }
    }
    /// SHA-256 of the normalised up script, when there is one.
    public var checksum: String? {
        get { storage.value.checksum }
        set { storage.value.checksum = newValue }
    }
    /// The down script as it stood when the migration was applied (seed 000's `rollback_sql`).
    public var downSQL: String? {
        get { storage.value.downSQL }
        set { storage.value.downSQL = newValue }
    }
    /// The operating-system user who ran it.
    public var appliedBy: String {
        get { storage.value.appliedBy }
        set { storage.value.appliedBy = newValue }
    }
    /// The host it ran on.
    public var hostname: String {
        get { storage.value.hostname }
        set { storage.value.hostname = newValue }
    }
    /// When it was applied, ISO-8601 UTC, for example `2026-11-21T10:40:00.123Z`.
    public var appliedAt: String {
        get { storage.value.appliedAt }
        set { storage.value.appliedAt = newValue }
    }
    /// How long its script took, in milliseconds.
    public var executionTimeMs: Int {
        get { storage.value.executionTimeMs }
        set { storage.value.executionTimeMs = newValue }
    }
    /// Its current state.
    public var status: HistoryStatus {
        get { storage.value.status }
        set { storage.value.status = newValue }
    }
    /// When it was rolled back, ISO-8601 UTC.
    public var rolledBackAt: String? {
        get { storage.value.rolledBackAt }
        set { storage.value.rolledBackAt = newValue }
    }
    /// The error of its last failed attempt.
    public var errorMessage: String? {
        get { storage.value.errorMessage }
        set { storage.value.errorMessage = newValue }
    }
    /// `metadata.yaml` (and unknown keys) as JSON.
    public var metadata: String? {
        get { storage.value.metadata }
        set { storage.value.metadata = newValue }
    }
    /// The Strata version that wrote the row.
    public var strataVersion: String {
        get { storage.value.strataVersion }
        set { storage.value.strataVersion = newValue }
    }
    /// `true` when a failure happened outside a transaction, so some of its changes may remain:
    /// mutating commands refuse to run until `strata repair`.
    public var dirty: Bool {
        get { storage.value.dirty }
        set { storage.value.dirty = newValue }
    }

    // The row lives in a shared box (copied on write), so that the arrays and lists built from
    // the history — the planner's rows in effect, the status entries — hold one pointer per row
    // instead of a 230-byte copy of it.
    private var storage: CopyOnWriteBox<Fields>

    private struct Fields: Sendable, Hashable {
        var version: String
        var description: String
        var kind: MigrationKind
        var script: String
        var checksum: String?
        var downSQL: String?
        var appliedBy: String
        var hostname: String
        var appliedAt: String
        var executionTimeMs: Int
        var status: HistoryStatus
        var rolledBackAt: String?
        var errorMessage: String?
        var metadata: String?
        var strataVersion: String
        var dirty: Bool
    }

    /// Creates a record.
    public init(version: String, description: String, kind: MigrationKind, script: String, checksum: String?,
                downSQL: String?, appliedBy: String, hostname: String, appliedAt: String, executionTimeMs: Int,
                status: HistoryStatus, rolledBackAt: String? = nil, errorMessage: String? = nil,
                metadata: String? = nil, strataVersion: String = StrataInfo.version, dirty: Bool = false) {
        storage = CopyOnWriteBox(Fields(
            version: version, description: description, kind: kind, script: script, checksum: checksum,
            downSQL: downSQL, appliedBy: appliedBy, hostname: hostname, appliedAt: appliedAt,
            executionTimeMs: executionTimeMs, status: status, rolledBackAt: rolledBackAt,
            errorMessage: errorMessage, metadata: metadata, strataVersion: strataVersion, dirty: dirty))
    }

    /// Whether the version's changes are in the database (`applied` or `baselined`).
    public var isInEffect: Bool { status == .applied || status == .baselined }

    /// The parsed version, `nil` for repeatable rows.
    public var parsedVersion: MigrationVersion? { MigrationVersion(version) }
}
