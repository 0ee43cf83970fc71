import Logging

/// Brings a database up to date, safely: the library entry point that the `strata` command line
/// is built on, and the one call an application makes at start-up.
///
/// Build a migrator from a driver and one or more sources, then migrate:
///
/// ```swift
/// import Strata
/// import StrataSQLite
///
/// let driver = try SQLiteDriver.open(path: "app.db", createIfMissing: true)
/// var migrator = Migrator(driver: driver)
/// try migrator.add(BundledMigrations.folder("Migrations", in: .module))  // resources: [.copy("Migrations")]
/// try migrator.registerMigration("004", "backfill_emails", revision: "1") { db in
///     try await db.execute("UPDATE users SET email = lower(email)")
/// }
/// let report = try await migrator.migrate()
/// print("applied \(report.applied.count), now at \(report.currentVersion ?? "none")")
/// ```
///
/// What ``migrate(to:onEvent:)`` does:
/// 1. Reads the history once and plans. With nothing pending it returns at once: no lock, no
///    backup, no write (the start-up fast path).
/// 2. Otherwise takes the runner lock (``DatabaseDriver/withRunnerLock(timeout:onEvent:_:)``;
///    SQLite: `<database>.lock`), reads the history and plans again (another runner may have
///    done the work meanwhile), and validates: an edited, missing or failed migration stops the
///    run (exit 3) before anything changes.
/// 3. Backs up the database (``Configuration/backups``; SQLite: online, integrity-checked).
/// 4. Runs each migration in its own transaction together with its history row, so a migration
///    counts as applied only if both committed. A failure is rolled back, recorded in the history
///    (`status = failed`, with the error) and the audit log, and thrown as a ``StrataError``.
/// 5. Runs the driver's ``DatabaseDriver/quickCheck()`` (SQLite: `PRAGMA quick_check`).
///
/// Cancelling the task stops the run between migrations: the migration that is running finishes,
/// the rest are not started, and the report says so (``RunReport/cancelled``).
///
/// Versions from every source are merged and ordered; two migrations with the same version (`001`
/// equals `1`) are an error (``StrataError/Code/duplicateVersion``, exit 2).
///
/// Diagnostics go to ``logger`` at debug and trace level, with metadata (`strata.version`,
/// `strata.steps`, …); pass your application's logger to see them.
public struct Migrator: Sendable {
    /// The database.
    public let driver: any DatabaseDriver
    /// The migrations from every source, ordered by version (repeatable ones last, by name).
    public internal(set) var migrations: [Migration]
    /// How runs behave.
    public var configuration: Configuration
    /// Diagnostics (debug and trace level only).
    public let logger: Logger

    /// The history table name, for messages.
    public var historyTable: String { configuration.historyTable }
    /// Who runs it, recorded in the history.
    public var identity: RunIdentity { configuration.identity }

    /// Creates a migrator; add migrations with ``add(_:)`` and the `registerMigration` methods.
    /// - Parameters:
    ///   - driver: The database.
    ///   - migrations: Migrations already loaded (for example by ``MigrationDirectory/load()``),
    ///     with distinct versions; they are ordered.
    ///   - configuration: Lock timeout, backups, checks.
    ///   - logger: Where diagnostics go (debug and trace level); silent by default.
    public init(driver: any DatabaseDriver, migrations: [Migration] = [], configuration: Configuration = Configuration(),
                logger: Logger = Migrator.silentLogger) {
        self.driver = driver
        self.migrations = migrations.sorted(by: Planner.order)
        self.configuration = configuration
        self.logger = logger
    }

    /// Creates a migrator over migrations already loaded, with the default configuration but for
    /// the history table's name and the identity.
    public init(driver: any DatabaseDriver, migrations: [Migration], historyTable: String,
                identity: RunIdentity = .current(), logger: Logger = Migrator.silentLogger) {
        self.init(driver: driver, migrations: migrations,
                  configuration: Configuration(historyTable: historyTable, identity: identity), logger: logger)
    }

    /// A logger that discards everything: the default.
    public static let silentLogger = Logger(label: "strata", factory: { _ in SwiftLogNoOpLogHandler() })

    // MARK: - Reading

    /// A planner over the current history (read once).
    public func planner() async throws -> Planner {
        let records = try await driver.history()
        logger.trace("read history", metadata: ["strata.rows": "\(records.count)"])
        return Planner(migrations: migrations, records: records, engine: driver.engine, historyTable: historyTable)
    }

    /// The state of the database against the migrations. Reads only.
    public func status() async throws -> StatusReport {
        let planner = try await planner()
        return StatusReport(database: driver.displayName, currentVersion: planner.currentVersion,
                            entries: planner.entries(), problems: planner.problems())
    }

    /// The migrations still to apply, in the order ``migrate(to:onEvent:)`` would apply them. Reads only.
    public func pendingMigrations() async throws -> [Migration] {
        let planner = try await planner()
        return planner.migrations.filter(planner.isPending)
    }

    /// Checks the migrations against the history without changing anything: checksums of applied
    /// migrations, missing files, out-of-order pending migrations (unless
    /// ``Configuration/allowOutOfOrder``) and failed state.
    /// - Returns: The warnings (gaps in version numbers), when there is no error.
    /// - Throws: ``StrataError`` `.checksumMismatch` for one edited migration (with the expected
    ///   and actual checksums), else `.validationFailed` listing every problem (exit 3).
    @discardableResult
    public func validate() async throws -> [Problem] {
        let problems = try await planner().problems()
            .filter { !(configuration.allowOutOfOrder && $0.kind == .outOfOrder) }
        let errors = problems.filter { $0.severity == .error }
        guard let first = errors.first else { return problems }
        if errors.count == 1 {
            throw StrataError(first.kind == .changed ? .checksumMismatch : .validationFailed, first.message,
                              location: first.file.map { SourceLocation(file: $0, line: 1, column: 1) },
                              hint: Planner.hint(for: first.kind), details: first.details)
        }
        throw StrataError(.validationFailed, "validation failed with \(errors.count) problems",
                          hint: Planner.hint(for: first.kind),
                          details: errors.flatMap { [$0.message] + $0.details.map { "  " + $0 } })
    }

    /// The plan for a request, without running anything.
    public func plan(_ request: MigrationRequest) async throws -> Plan {
        try await planner().plan(request)
    }
}
