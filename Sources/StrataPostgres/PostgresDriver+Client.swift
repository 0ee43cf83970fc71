import Foundation
import Logging
import PostgresNIO
import Strata

extension PostgresDriver {
    /// Creates a driver over the application's own `PostgresClient` (PostgresNIO's connection
    /// pool), for migrating at start-up with the pool the application already has.
    ///
    /// ```swift
    /// let client = PostgresClient(configuration: config)
    /// try await withThrowingDiscardingTaskGroup { group in
    ///     group.addTask { await client.run() }          // the pool must be running
    ///     let driver = try PostgresDriver(client: client)
    ///     var migrator = Migrator(driver: driver)
    ///     try migrator.add(BundledMigrations.folder("Migrations", in: .module))
    ///     do {
    ///         _ = try await migrator.migrate()
    ///         await driver.close()                      // gives the connection back; the client stays open
    ///     } catch {
    ///         await driver.close()
    ///         throw error
    ///     }
    ///     // … serve requests with `client` …
    /// }
    /// ```
    ///
    /// - The driver leases **one** connection from the pool on first use and keeps it until
    ///   ``close()``, so every migration and its history row run on the same session. Strata
    ///   never closes or shuts down the client.
    /// - A mutating run (``Migrator/migrate(to:onEvent:)``) leases a **second** connection for the
    ///   whole run to hold the advisory lock (``withRunnerLock(timeout:onEvent:_:)``): the pool
    ///   needs `maximumConnections` of at least 2, or the run waits forever for the lock's
    ///   connection. A start-up check with nothing pending takes no lock.
    /// - The history tables go in the connection's `current_schema()`; choose it with the client's
    ///   `search_path` (`configuration.options.additionalStartupParameters`).
    /// - `lockTimeout` and `statementTimeout` are set on the leased connection with
    ///   `set_config(…, false)` and reset before it goes back to the pool.
    /// - Backups (`pg_dump`) need connection settings a client does not reveal: pass `settings`
    ///   describing the same database to get them; without it there is no backup (and
    ///   ``settings`` is `nil`).
    ///
    /// - Parameters:
    ///   - client: The application's client; it must be running (`client.run()` in a task).
    ///   - settings: The same database as settings, for `pg_dump` backups and messages (optional).
    ///   - historyTable: The history table's name.
    ///   - logTable: The audit log's name.
    ///   - lockTimeout: `lock_timeout` for the driver's connection, as PostgreSQL reads it (`5s`).
    ///   - statementTimeout: `statement_timeout` for the driver's connection.
    ///   - logger: Receives PostgresNIO's diagnostics (no output by default).
    /// - Throws: ``StrataError`` `.configuration` for empty or equal table names or bad timeouts.
    public convenience init(client: PostgresClient, settings: PostgresConnectionSettings? = nil,
                            historyTable: String = StrataInfo.defaultHistoryTable, logTable: String = "strata_schema_log",
                            lockTimeout: String? = nil, statementTimeout: String? = nil,
                            logger: Logger = Logger(label: "strata.postgres", factory: { _ in SwiftLogNoOpLogHandler() })) throws(StrataError) {
        try self.init(source: .client(client), settings: settings,
                      displayName: settings.map { "\($0.redactedURL) (application's PostgresClient)" } ?? "application's PostgresClient",
                      historyTable: historyTable, logTable: logTable, lockTimeout: lockTimeout,
                      statementTimeout: statementTimeout, logger: logger)
    }

    /// Parses a `postgres://` URL (see ``PostgresConnectionSettings/parse(_:environment:)``) and
    /// connects at once.
    ///
    /// ```swift
    /// let driver = try await PostgresDriver.connect(url: "postgres://app:secret@db:5432/app?search_path=billing")
    /// let report = try await Migrator(driver: driver, migrations: try MigrationDirectory(path: "migrations").load())
    ///     .migrate()
    /// await driver.close()
    /// ```
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - environment: `PGUSER`, `PGPASSWORD`, … filling in what the URL leaves out (none by default).
    ///   - historyTable: The history table's name.
    ///   - logTable: The audit log's name.
    ///   - lockTimeout: `lock_timeout` for the whole run.
    ///   - statementTimeout: `statement_timeout` for the whole run.
    ///   - logger: Receives PostgresNIO's diagnostics (no output by default).
    /// - Throws: ``StrataError`` `.configuration` for an invalid URL; `.database` when the server
    ///   cannot be reached or refuses the login.
    public static func connect(url: String, environment: [String: String] = [:],
                               historyTable: String = StrataInfo.defaultHistoryTable,
                               logTable: String = "strata_schema_log", lockTimeout: String? = nil,
                               statementTimeout: String? = nil,
                               logger: Logger = Logger(label: "strata.postgres", factory: { _ in SwiftLogNoOpLogHandler() })) async throws(StrataError) -> PostgresDriver {
        try await connect(PostgresConnectionSettings.parse(url, environment: environment), historyTable: historyTable,
                          logTable: logTable, lockTimeout: lockTimeout, statementTimeout: statementTimeout, logger: logger)
    }
}
