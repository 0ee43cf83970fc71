/// One row of the history table (`strata_schema_history`): the current state of one version.
public struct HistoryRecord: Sendable, Hashable {
    /// The history table's columns, in the order drivers write and read them.
    public static let columnNames = [
        "version", "description", "type", "script", "checksum", "down_sql", "applied_by", "hostname",
        "applied_at", "execution_time_ms", "status", "rolled_back_at", "error_message", "metadata",
        "strata_version", "dirty",
    ]

    /// The version as written in the file name (`R__<name>` for repeatable migrations).
    public var version: String
    /// The description at the time it was applied.
    public var description: String
    /// `sql`, `swift`, `repeatable` or `baseline`.
    public var kind: MigrationKind
    /// The path of the up script (or the migration's directory) at apply time.
    public var script: String
    /// SHA-256 of the normalised up script, when there is one.
    public var checksum: String?
    /// The down script as it stood when the migration was applied (seed 000's `rollback_sql`).
    public var downSQL: String?
    /// The operating-system user who ran it.
    public var appliedBy: String
    /// The host it ran on.
    public var hostname: String
    /// When it was applied, ISO-8601 UTC, for example `2026-11-21T10:40:00.123Z`.
    public var appliedAt: String
    /// How long its script took, in milliseconds.
    public var executionTimeMs: Int
    /// Its current state.
    public var status: HistoryStatus
    /// When it was rolled back, ISO-8601 UTC.
    public var rolledBackAt: String?
    /// The error of its last failed attempt.
    public var errorMessage: String?
    /// `metadata.yaml` (and unknown keys) as JSON.
    public var metadata: String?
    /// The Strata version that wrote the row.
    public var strataVersion: String
    /// `true` when a failure happened outside a transaction, so some of its changes may remain:
    /// mutating commands refuse to run until `strata repair`.
    public var dirty: Bool

    /// Creates a record.
    public init(version: String, description: String, kind: MigrationKind, script: String, checksum: String?,
                downSQL: String?, appliedBy: String, hostname: String, appliedAt: String, executionTimeMs: Int,
                status: HistoryStatus, rolledBackAt: String? = nil, errorMessage: String? = nil,
                metadata: String? = nil, strataVersion: String = StrataInfo.version, dirty: Bool = false) {
        self.version = version
        self.description = description
        self.kind = kind
        self.script = script
        self.checksum = checksum
        self.downSQL = downSQL
        self.appliedBy = appliedBy
        self.hostname = hostname
        self.appliedAt = appliedAt
        self.executionTimeMs = executionTimeMs
        self.status = status
        self.rolledBackAt = rolledBackAt
        self.errorMessage = errorMessage
        self.metadata = metadata
        self.strataVersion = strataVersion
        self.dirty = dirty
    }

    /// Whether the version's changes are in the database (`applied` or `baselined`).
    public var isInEffect: Bool { status == .applied || status == .baselined }

    /// The parsed version, `nil` for repeatable rows.
    public var parsedVersion: MigrationVersion? { MigrationVersion(version) }
}
