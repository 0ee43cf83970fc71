/// One step of a ``Plan``: apply or roll back one migration.
public struct PlanStep: Sendable, Hashable {
    /// Which way the step goes.
    public enum Direction: String, Sendable, Hashable {
        /// Apply the migration.
        case up
        /// Roll it back.
        case down
    }

    /// Apply or roll back.
    public var direction: Direction
    /// The version as written (the history row's key).
    public var version: String
    /// The description shown to the user.
    public var description: String
    /// The migration from the source; `nil` when rolling back a migration whose file is gone.
    public var migration: Migration?
    /// The script that will run: the up script, the down script, or the stored `down_sql`.
    public var script: MigrationScript
    /// How the script runs.
    public var options: ExecutionOptions
    /// The history row this step starts from, if any.
    public var record: HistoryRecord?

    /// Creates a step.
    public init(direction: Direction, version: String, description: String, migration: Migration?,
                script: MigrationScript, options: ExecutionOptions, record: HistoryRecord?) {
        self.direction = direction
        self.version = version
        self.description = description
        self.migration = migration
        self.script = script
        self.options = options
        self.record = record
    }
}
