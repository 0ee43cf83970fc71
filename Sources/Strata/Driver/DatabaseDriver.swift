/// A connection to one database that Strata migrates. Drivers are deliberately dumb: they run
/// what they are given and store history rows; all planning, ordering and checksum logic lives
/// in the core.
///
/// ## Implementing a driver
/// 1. Conform a type to `DatabaseDriver`; open the connection in its initializer or a factory.
/// 2. Create the history table (the configured name) and the audit log `<name>`-derived
///    `strata_schema_log` with every column of ``HistoryRecord`` and ``LogEntry`` in
///    ``prepareHistory()``; make the log append-only where the engine allows it.
/// 3. Run ``ExecutionUnit``s as documented there: all or nothing for transactional units.
/// 4. Translate native errors into ``StrataError`` with a ``SourceLocation`` inside the script's
///    file, the engine's code in ``StrataError/databaseCode`` and a hint where one helps.
/// 5. Add a test target that runs every check of `StrataDriverTesting.DriverConformance`.
/// 6. Optionally, the safety net the ``Migrator`` uses around every change, each with a default
///    that does nothing: ``withRunnerLock(timeout:onEvent:_:)`` (one runner at a time),
///    ``backUp(reason:currentVersion:settings:)`` (a backup before changing),
///    ``quickCheck()`` (a fast integrity check after a run), and Swift migrations
///    (``supportsSwiftMigrations`` and ``ExecutionUnit/code``).
///
/// Guidelines: never read the environment, never silently correct input, no hidden retries.
public protocol DatabaseDriver: Sendable {
    /// The engine.
    var engine: DatabaseEngine { get }
    /// How to show the database to the user, with any password removed.
    var displayName: String { get }

    /// Creates the history and log tables if they do not exist.
    /// - Throws: ``StrataError`` when the database cannot be written.
    func prepareHistory() async throws

    /// Every history row, in no particular order; empty when the table does not exist.
    func history() async throws -> [HistoryRecord]

    /// The audit log, oldest first; empty when the table does not exist.
    func log() async throws -> [LogEntry]

    /// Runs a unit atomically (see ``ExecutionUnit``) and returns the milliseconds the script took.
    /// - Throws: ``StrataError`` located in the script's file; the unit left no trace.
    func execute(_ unit: ExecutionUnit) async throws -> Int

    /// Makes history writes in one transaction of their own.
    func write(_ writes: [HistoryWrite]) async throws

    /// Runs one read-only query and returns its rows, each value as text (`nil` for NULL); used
    /// to read other tools' history tables (`strata adopt`).
    /// - Throws: ``StrataError`` `.database` when the query fails or would write.
    func rows(_ sql: String) async throws -> [[String?]]

    /// The column names of a table in the default schema, in order; `nil` when the table does not
    /// exist. Creates nothing.
    func tableColumns(_ table: String) async throws -> [String]?

    /// The schema as a normalised snapshot, without Strata's history tables (default: unsupported).
    func schemaSnapshot() async throws -> SchemaSnapshot

    /// A throwaway database on the same server or engine: a copy of this one, or empty
    /// (default: unsupported). See ``ScratchDatabase``.
    func makeScratchDatabase(copyingContents: Bool) async throws -> ScratchDatabase

    /// Closes the connection.
    func close() async

    // MARK: Safety net (each has a default implementation)

    /// Whether ``execute(_:)`` runs units with ``ExecutionUnit/code`` (Swift migrations).
    /// Default: `false`, and the ``Migrator`` refuses to run Swift migrations on the driver.
    var supportsSwiftMigrations: Bool { get }

    /// Whether ``execute(_:)`` runs a SQL unit (one without ``ExecutionUnit/code``) to its end
    /// whatever the cancellation state of the calling task. The ``Migrator`` then calls it
    /// directly; otherwise it calls it from a task of its own, so that cancelling the run never
    /// interrupts a migration halfway (that costs two thread hand-offs per migration).
    /// Default: `false`.
    var executesSQLUnitsRegardlessOfCancellation: Bool { get }

    /// The executor the ``Migrator`` runs a plan's steps on, or `nil` for the default (Swift's
    /// global pool). A driver whose connection lives on a thread of its own (a NIO event loop)
    /// returns an executor for that thread, so that the steps, the driver's calls and the
    /// connection's answers all happen there, with no hand-off between threads per statement.
    /// Default: `nil`.
    var preferredTaskExecutor: (any TaskExecutor)? { get }

    /// Runs `body` while holding the database's runner lock, so that no two runners change the
    /// database at once, and releases it however `body` ends (return, error, cancellation).
    ///
    /// Wait up to `timeout` seconds while another runner holds it, reporting
    /// ``RunEvent/waitingForLock(holder:)`` (and ``RunEvent/warning(_:)`` for a stale lock taken
    /// over) through `onEvent`. Default: runs `body` without a lock.
    /// - Throws: ``StrataError`` `.lockTimeout` when the lock is not acquired in time, or what
    ///   `body` throws.
    func withRunnerLock<T: Sendable>(timeout: Double, onEvent: @escaping @Sendable (RunEvent) -> Void,
                                     _ body: () async throws -> T) async throws -> T

    /// Takes a backup before a change and returns where it is (a path, or a description), or
    /// `nil` when the engine or the database (in memory, say) has none. Called under the runner
    /// lock, only when something is about to change and ``BackupSettings/isEnabled``.
    /// Default: `nil`.
    /// - Parameters:
    ///   - reason: Why, for example `pre-migration` or `pre-repair`.
    ///   - currentVersion: The database's version before the change (`nil`: nothing applied).
    ///   - settings: Where and how many.
    /// - Throws: ``StrataError`` when the backup fails; nothing has changed then.
    func backUp(reason: String, currentVersion: String?, settings: BackupSettings) async throws -> String?

    /// A fast integrity check run after a run that changed the database: the lines the engine
    /// reports, `["ok"]` when all is well (SQLite: `PRAGMA quick_check`). Default: `["ok"]`.
    func quickCheck() async throws -> [String]
}
