/// The state of a database against a set of migrations (`strata status`, `strata list`).
public struct StatusReport: Sendable {
    /// The database, password removed.
    public var database: String
    /// The newest version in effect, or `nil`.
    public var currentVersion: String?
    /// Every migration and history row, ordered by version.
    public var entries: [MigrationEntry]
    /// Problems found (errors and warnings).
    public var problems: [Problem]

    /// Creates a report.
    public init(database: String, currentVersion: String?, entries: [MigrationEntry], problems: [Problem]) {
        self.database = database
        self.currentVersion = currentVersion
        self.entries = entries
        self.problems = problems
    }

    /// Entries in effect (applied or baselined and unchanged, or changed).
    public var applied: [MigrationEntry] { entries.filter { $0.record?.isInEffect == true } }
    /// Entries still to apply.
    public var pending: [MigrationEntry] { entries.filter { $0.state == .pending } }
}
