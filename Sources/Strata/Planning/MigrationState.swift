/// How one migration stands, comparing the source with the history (`strata list`).
public enum MigrationState: String, Sendable, Hashable {
    /// In effect: applied (or baselined) and unchanged.
    case applied
    /// Not applied yet (or rolled back, or failed inside a transaction and so left no trace).
    case pending
    /// Applied, but the file's checksum differs from the one recorded.
    case changed
    /// Applied, but the file is gone.
    case missing
    /// Its last attempt failed outside a transaction; changes may remain (`strata repair`).
    case failed
}

/// One line of `strata list`/`status`: a migration, its history row, or both.
public struct MigrationEntry: Sendable, Hashable {
    /// The version as written.
    public var version: String
    /// The description (from the file when present, else from the history).
    public var description: String
    /// The state.
    public var state: MigrationState
    /// The migration from the source, when its file exists.
    public var migration: Migration?
    /// The history row, when there is one.
    public var record: HistoryRecord?

    /// Creates an entry.
    public init(version: String, description: String, state: MigrationState, migration: Migration?, record: HistoryRecord?) {
        self.version = version
        self.description = description
        self.state = state
        self.migration = migration
        self.record = record
    }
}
