/// One row of the append-only audit log (`strata_schema_log`).
public struct LogEntry: Sendable, Hashable {
    /// The log table's columns besides `id`, in the order drivers write and read them.
    public static let columnNames = [
        "version", "event", "description", "checksum", "actor", "hostname", "at", "execution_time_ms",
        "message", "strata_version",
    ]

    /// What happened.
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable {
        /// A migration was applied.
        case applied
        /// An attempt to apply or roll back failed.
        case failed
        /// A migration was rolled back.
        case rolledBack = "rolled_back"
        /// `repair` changed the row (accepted a checksum, cleared failed state).
        case repaired
        /// `baseline` marked the version applied without running it.
        case baselined
        /// `adopt` recorded the version from another tool's history.
        case adopted
    }

    /// The row id, assigned by the database (`nil` before it is written).
    public var id: Int64?
    /// The version concerned.
    public var version: String
    /// What happened.
    public var event: Event
    /// The migration's description.
    public var description: String
    /// The checksum involved (applied, or accepted by repair).
    public var checksum: String?
    /// The operating-system user.
    public var actor: String
    /// The host.
    public var hostname: String
    /// When, ISO-8601 UTC.
    public var at: String
    /// How long it took, in milliseconds, where that applies.
    public var executionTimeMs: Int?
    /// The error text of a failure, or a note (for example the tool a history was adopted from).
    public var message: String?
    /// The Strata version that wrote it.
    public var strataVersion: String

    /// Creates an entry.
    public init(id: Int64? = nil, version: String, event: Event, description: String, checksum: String?,
                actor: String, hostname: String, at: String, executionTimeMs: Int? = nil,
                message: String? = nil, strataVersion: String = StrataInfo.version) {
        self.id = id
        self.version = version
        self.event = event
        self.description = description
        self.checksum = checksum
        self.actor = actor
        self.hostname = hostname
        self.at = at
        self.executionTimeMs = executionTimeMs
        self.message = message
        self.strataVersion = strataVersion
    }
}
