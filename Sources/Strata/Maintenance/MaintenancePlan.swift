/// One change that `repair`, `baseline` or `adopt` makes to the history, as shown to the user
/// (`--dry-run` prints these without writing anything).
public struct MaintenanceChange: Sendable, Hashable {
    /// What kind of change it is; the raw value is the `action` key of the JSON output.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// `repair`: the recorded checksum of an applied migration is replaced by the file's.
        case acceptChecksum = "accept_checksum"
        /// `repair`: a failed row is cleared (deleted, or returned to its state before the failure).
        case clearFailed = "clear_failed"
        /// `baseline`: the version is marked applied without running it.
        case baseline
        /// `adopt`: the version is recorded from another tool's history table.
        case adopt
    }

    /// The version concerned, as written in the history (or the file name).
    public var version: String
    /// The migration's description.
    public var description: String
    /// The kind of change.
    public var action: Action
    /// What changes, in one line (for example `checksum 3a4f… → 9c1d…`).
    public var message: String

    /// Creates a change.
    public init(version: String, description: String, action: Action, message: String) {
        self.version = version
        self.description = description
        self.action = action
        self.message = message
    }
}

/// The outcome of planning `repair`, `baseline` or `adopt`: the changes to show, and the history
/// writes that make them (every change also appends an audit-log entry), to be written in one
/// transaction with ``DatabaseDriver/write(_:)``.
public struct MaintenancePlan: Sendable, Hashable {
    /// The changes, ordered by version.
    public var changes: [MaintenanceChange]
    /// The history writes: upserts, deletes and log entries.
    public var writes: [HistoryWrite]
    /// Things the user should know that do not stop the command (skipped rows, for example).
    public var warnings: [String]

    /// Creates a plan.
    public init(changes: [MaintenanceChange] = [], writes: [HistoryWrite] = [], warnings: [String] = []) {
        self.changes = changes
        self.writes = writes
        self.warnings = warnings
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool { writes.isEmpty }
}

/// Orders version texts numerically where they parse, textually otherwise (repeatables last).
func maintenanceOrder(_ a: String, _ b: String) -> Bool {
    switch (MigrationVersion(a), MigrationVersion(b)) {
    case let (x?, y?): return x == y ? a < b : x < y
    case (nil, nil): return a < b
    case (nil, _): return false
    case (_, nil): return true
    }
}

/// The first characters of a checksum, for messages.
func shortChecksum(_ checksum: String?) -> String {
    guard let checksum else { return "none" }
    return checksum.count > 12 ? String(checksum.prefix(12)) + "…" : checksum
}
