/// Work a driver must do atomically: run one script and write its history rows.
///
/// For a transactional unit the driver runs, in one transaction: every statement of ``script``,
/// the ``verify`` script (any row returned is a failure), its integrity checks (SQLite:
/// `foreign_key_check` when foreign keys were deferred), then ``historyWrites`` called with the
/// elapsed milliseconds; then commits. On any error it rolls back and throws a ``StrataError``
/// located in the script's file. A non-transactional unit runs the same steps without a
/// surrounding transaction; the history rows are written (in their own transaction) only after
/// every statement succeeded.
///
/// A unit with ``code`` is a Swift migration: the driver runs the closure instead of ``script``
/// (which then only describes it), in one transaction like a transactional script, handing it a
/// ``MigrationDatabase`` bound to that transaction. Drivers that cannot do this keep
/// ``DatabaseDriver/supportsSwiftMigrations`` `false`, and the ``Migrator`` refuses such units.
public struct ExecutionUnit: Sendable {
    /// The script to run.
    public var script: MigrationScript
    /// Transaction and foreign-key handling.
    public var options: ExecutionOptions
    /// An optional verify script run after ``script``, before commit.
    public var verify: MigrationScript?
    /// The history writes to make on success, given the elapsed milliseconds of the script.
    ///
    /// A driver that measures the script on the server may call it before the script runs, with
    /// 0, and put the milliseconds into the `executionTimeMs` of its `.upsert` and `.append`
    /// writes itself (the PostgreSQL driver does, to send a migration and its records as one
    /// statement). Either way the rows written carry the milliseconds the driver's
    /// ``DatabaseDriver/execute(_:)`` returns.
    public var historyWrites: @Sendable (_ elapsedMs: Int) -> [HistoryWrite]
    /// The Swift closure to run instead of ``script``, for a Swift migration.
    public var code: SwiftMigrationCode.Body?

    /// Creates a unit.
    public init(script: MigrationScript, options: ExecutionOptions, verify: MigrationScript? = nil,
                code: SwiftMigrationCode.Body? = nil,
                historyWrites: @escaping @Sendable (_ elapsedMs: Int) -> [HistoryWrite]) {
        self.script = script
        self.options = options
        self.verify = verify
        self.code = code
        self.historyWrites = historyWrites
    }
}
