import Foundation
import Logging
import PostgresNIO
import Strata

/// The PostgreSQL driver: one `PostgresConnection` to one database, the history tables in one
/// schema.
///
/// ```swift
/// let settings = try PostgresConnectionSettings.parse("postgres://app:secret@db/app?search_path=billing")
/// let driver = try await PostgresDriver.connect(settings)
/// try await driver.prepareHistory()          // billing.strata_schema_history + billing.strata_schema_log
/// let ms = try await driver.execute(unit)
/// await driver.close()
/// ```
///
/// What it does:
/// - Scripts are split with the PostgreSQL dialect of ``SQLSplitter`` and sent one statement at a
///   time (PostgresNIO has no multi-statement protocol); every result is drained.
/// - A transactional unit is `BEGIN`, `SET LOCAL` timeouts, the statements, the verify script,
///   the history writes, `COMMIT`; any error rolls it back. See ``execute(_:)``.
/// - The history tables live in ``schema``: the first schema of the URL's `search_path`
///   (created when missing), else the server's `current_schema()`. The log refuses UPDATE,
///   DELETE and TRUNCATE through triggers.
/// - The run's `lock_timeout` and `statement_timeout` are session settings sent when connecting;
///   a migration's own (directive or `metadata.yaml`) are set just for that migration.
/// - The connection is made on first use (``init(settings:historyTable:logTable:lockTimeout:statementTimeout:logger:)``
///   does no I/O), or at once with ``connect(_:historyTable:logTable:lockTimeout:statementTimeout:logger:)``.
///   Connection failures are ``StrataError`` `.database` (exit 2) naming the URL with its
///   password redacted. ``connect(url:environment:historyTable:logTable:lockTimeout:statementTimeout:logger:)``
///   parses a URL string first.
/// - Or over the application's own `PostgresClient`:
///   ``init(client:settings:historyTable:logTable:lockTimeout:statementTimeout:logger:)`` leases one
///   pooled connection until ``close()`` (the client is never closed by Strata).
/// - Swift migrations run in their transaction with a ``PostgresMigrationDatabase``.
public final class PostgresDriver: DatabaseDriver {
    /// Always ``DatabaseEngine/postgres``.
    public let engine: DatabaseEngine = .postgres
    /// The URL with its password replaced by `***`.
    public let displayName: String
    /// Where and how to connect: the URL's settings, or those given with an application's
    /// `PostgresClient` (for `pg_dump` backups); `nil` for a client given without settings.
    public let settings: PostgresConnectionSettings?
    /// The name of the history table.
    public let historyTable: String
    /// The name of the append-only audit log table.
    public let logTable: String
    /// The run's `lock_timeout` (`nil`: the server's).
    public let lockTimeout: String?
    /// The run's `statement_timeout` (`nil`: the server's).
    public let statementTimeout: String?

    let logger: Logger
    let session: Session
    /// The event loop of the driver's own connection (`nil` with a leased connection).
    private let taskExecutor: EventLoopTaskExecutor?

    /// The event loop that owns the driver's own connection, as a task executor: the
    /// ``Migrator`` runs a plan's steps there, so each statement's answer resumes the run on the
    /// thread that received it. `nil` when the connection is leased from an application's
    /// `PostgresClient` (its pool picks the loop).
    public var preferredTaskExecutor: (any TaskExecutor)? { taskExecutor }

    /// Creates a driver; connects on first use.
    ///
    /// - Parameters:
    ///   - settings: Where to connect.
    ///   - historyTable: The history table's name.
    ///   - logTable: The audit log's name.
    ///   - lockTimeout: `lock_timeout` for the whole run, as PostgreSQL reads it (`5s`, `500ms`).
    ///   - statementTimeout: `statement_timeout` for the whole run.
    ///   - logger: Receives PostgresNIO's diagnostics (no output by default).
    /// - Throws: ``StrataError`` `.configuration` for empty or equal table names.
    public convenience init(settings: PostgresConnectionSettings, historyTable: String = StrataInfo.defaultHistoryTable,
                logTable: String = "strata_schema_log", lockTimeout: String? = nil, statementTimeout: String? = nil,
                logger: Logger = Logger(label: "strata.postgres", factory: { _ in SwiftLogNoOpLogHandler() })) throws(StrataError) {
        try self.init(source: .settings(settings), settings: settings, displayName: settings.redactedURL,
                      historyTable: historyTable, logTable: logTable, lockTimeout: lockTimeout,
                      statementTimeout: statementTimeout, logger: logger)
    }

    /// The designated initializer: checks the names and timeouts, connects on first use.
    init(source: ConnectionSource, settings: PostgresConnectionSettings?, displayName: String, historyTable: String,
         logTable: String, lockTimeout: String?, statementTimeout: String?, logger: Logger) throws(StrataError) {
        guard !historyTable.isEmpty, !logTable.isEmpty, historyTable != logTable else {
            throw StrataError(.configuration, "the history table and the log table need two different, non-empty names")
        }
        for (name, value) in [("lock timeout", lockTimeout), ("statement timeout", statementTimeout)] {
            if let value, !ScriptDirectives.isDuration(value) {
                throw StrataError(.configuration, "invalid \(name) '\(value)'",
                                  hint: "give a duration such as 5s, 500ms, 2min or a number of milliseconds")
            }
        }
        self.settings = settings
        self.displayName = displayName
        self.historyTable = historyTable
        self.logTable = logTable
        self.lockTimeout = lockTimeout
        self.statementTimeout = statementTimeout
        self.logger = logger
        var sessionSettings: [(String, String)] = []
        if let lockTimeout { sessionSettings.append(("lock_timeout", lockTimeout)) }
        if let statementTimeout { sessionSettings.append(("statement_timeout", statementTimeout)) }
        switch source {
        case .settings: taskExecutor = EventLoopTaskExecutor(PostgresConnection.defaultEventLoopGroup.next())
        case .client: taskExecutor = nil
        }
        self.session = Session(source: source, eventLoop: taskExecutor?.eventLoop, sessionSettings: sessionSettings,
                               historyTable: historyTable, logTable: logTable, logger: logger)
    }

    /// Creates a driver and connects at once.
    /// - Throws: ``StrataError`` `.database` when the server cannot be reached or refuses the login.
    public static func connect(_ settings: PostgresConnectionSettings, historyTable: String = StrataInfo.defaultHistoryTable,
                               logTable: String = "strata_schema_log", lockTimeout: String? = nil,
                               statementTimeout: String? = nil,
                               logger: Logger = Logger(label: "strata.postgres", factory: { _ in SwiftLogNoOpLogHandler() })) async throws(StrataError) -> PostgresDriver {
        let driver = try PostgresDriver(settings: settings, historyTable: historyTable, logTable: logTable,
                                        lockTimeout: lockTimeout, statementTimeout: statementTimeout, logger: logger)
        _ = try await driver.session.open()
        return driver
    }

    /// Starts connecting in the background and returns at once. A command line calls it before it
    /// reads its migration files, so that the server's start of a session (a new backend process,
    /// authentication) overlaps with that work. A failure surfaces at the first call that needs
    /// the connection, as without it.
    ///
    /// ```swift
    /// let driver = try PostgresDriver(settings: settings)
    /// driver.startConnecting()
    /// let migrations = try MigrationDirectory(path: "migrations").load().migrations
    /// let report = try await Migrator(driver: driver, migrations: migrations).migrate()
    /// ```
    public func startConnecting() {
        let session = session
        Task { await session.startOpening() }
    }

    /// The schema of the history tables (connects if needed).
    public var schema: String {
        get async throws { try await session.open().sql.schema }
    }

    /// The server's version, for example `15.18 (Debian 15.18-0+deb12u1)`.
    public func serverVersion() async throws(StrataError) -> String {
        try await scalarText("SHOW server_version") ?? "unknown"
    }

    /// Runs SQL as it is, statement by statement, with no surrounding transaction and no history:
    /// for tests and maintenance tools, never for migrations. A transaction the SQL leaves open
    /// is rolled back and reported as an error.
    /// - Throws: ``StrataError`` located in a pseudo-file `<sql>`.
    public func executeRaw(_ sqlText: String) async throws {
        let (connection, _) = try await session.open()
        let runner = PostgresScriptRunner(connection: connection, logger: logger)
        let leftOpen: Bool
        do {
            leftOpen = try await runner.run(MigrationScript(path: "<sql>", sql: sqlText), policy: .passThrough)
        } catch {
            await rollback(connection)
            throw error
        }
        if leftOpen {
            await rollback(connection)
            throw StrataError(.database, "the SQL left a transaction open; it was rolled back",
                              hint: "end the transaction with COMMIT")
        }
    }

    // MARK: - DatabaseDriver

    /// Creates the schema (when the URL's `search_path` names one that does not exist), the
    /// history table, the log table and the log's append-only triggers, in one transaction.
    public func prepareHistory() async throws {
        try await prepareHistory(force: true)
    }

    /// Every history row (by `applied_at`, then version); empty when the table does not exist.
    public func history() async throws -> [HistoryRecord] {
        try await readAll(\.history, \.historyTable, \.selectHistory) { sql, row in try sql.record(row) }
    }

    /// The audit log, oldest first; empty when the table does not exist.
    public func log() async throws -> [LogEntry] {
        try await readAll(\.log, \.logTable, \.selectLog) { sql, row in try sql.entry(row) }
    }

    /// Makes the writes in one transaction, creating the tables first if needed.
    public func write(_ writes: [HistoryWrite]) async throws {
        try await prepareHistory(force: false)
        let (connection, sql) = try await session.open()
        try await transaction(connection) {
            try await self.write(writes, sql: sql, connection: connection)
        }
    }

    /// Closes the connection; later calls fail with `.database`. A driver over an application's
    /// `PostgresClient` resets the session settings it made and gives the connection back to the
    /// pool instead (the client itself stays open).
    public func close() async {
        await session.close()
    }

    // MARK: - Internals

    /// Every row of one of Strata's tables (`table`: its qualified name; `name`: for messages),
    /// decoded; empty when the table does not exist.
    private func readAll<T>(_ table: KeyPath<PostgresHistorySQL, String>, _ name: KeyPath<PostgresHistorySQL, String>,
                            _ query: KeyPath<PostgresHistorySQL, String>,
                            _ decode: (PostgresHistorySQL, PostgresRow) throws -> T) async throws(StrataError) -> [T] {
        let (connection, sql) = try await session.open()
        guard try await exists(sql[keyPath: table], connection) else { return [] }
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql[keyPath: query]), logger: logger).collect()
                .map { try decode(sql, $0) }
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot read \(sql[keyPath: name])")
        }
    }

    /// Creates the tables unless they are known (or found) to exist.
    func prepareHistory(force: Bool) async throws(StrataError) {
        if !force, await session.historyReady { return }
        let (connection, sql) = try await session.open()
        do {
            var check = PostgresBindings()
            for value in [sql.history, sql.log, sql.changeTrigger, sql.truncateTrigger] { check.append(value) }
            let ready = try await connection.query(PostgresQuery(unsafeSQL: sql.readyCheck, binds: check), logger: logger)
                .collect().first.map { try $0.decode(Bool?.self) } ?? nil
            if ready != true {
                try await transaction(connection) {
                    // Two runners creating the tables at once would collide in the catalog.
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresAdvisoryLock.key(schema: sql.schema, historyTable: sql.historyTable) &+ 1))",
                                                   logger: self.logger).collect()
                    var schemaBinds = PostgresBindings()
                    schemaBinds.append(sql.schema)
                    let schemaExists = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT 1 FROM pg_namespace WHERE nspname = $1", binds: schemaBinds),
                        logger: self.logger).collect()
                    if schemaExists.isEmpty {
                        _ = try await connection.query(
                            PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(SQLQuoting.identifier(sql.schema))"),
                            logger: self.logger).collect()
                    }
                    for statement in sql.createStatements {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger).collect()
                    }
                }
            }
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot create the history tables in schema \(sql.schema)")
        }
        await session.markHistoryReady()
    }

    /// Makes history writes on a connection inside the caller's transaction.
    func write(_ writes: [HistoryWrite], sql: PostgresHistorySQL, connection: PostgresConnection) async throws(StrataError) {
        if let failure = await PostgresQueryChain.run(sql.queries(writes), on: connection, logger: logger) {
            throw PostgresErrors.databaseError(failure.error, context: "cannot write to \(sql.historyTable)")
        }
    }

    /// `BEGIN`, `body`, `COMMIT`; `ROLLBACK` when anything throws.
    func transaction(_ connection: PostgresConnection, readOnly: Bool = false,
                     _ body: () async throws -> Void) async throws(StrataError) {
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: readOnly ? "BEGIN READ ONLY" : "BEGIN"), logger: logger).collect()
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot start a transaction")
        }
        do {
            try await body()
        } catch {
            await rollback(connection)
            throw PostgresErrors.databaseError(error)
        }
        try await commit(connection)
    }

    /// `COMMIT`; a failure (a deferred constraint, a serialization failure) is a migration failure.
    func commit(_ connection: PostgresConnection) async throws(StrataError) {
        do {
            _ = try await connection.query("COMMIT", logger: logger).collect()
        } catch {
            throw await commitFailure(error, connection)
        }
    }

    /// What a failed `COMMIT` is: the transaction is rolled back (when the connection still
    /// stands); a server error is a migration failure, a lost connection (`08…`) a database error.
    func commitFailure(_ error: any Error, _ connection: PostgresConnection) async -> StrataError {
        await rollback(connection)
        var mapped = PostgresErrors.databaseError(error, context: "cannot commit")
        if let code = mapped.databaseCode, !code.hasPrefix("08") { mapped.code = .migrationFailed }
        return mapped
    }

    /// `ROLLBACK`, ignoring errors (the server may have closed the transaction already).
    /// Nothing is sent on a connection that is already closed: PostgresNIO would never answer.
    func rollback(_ connection: PostgresConnection) async {
        guard !connection.isClosed else { return }
        _ = try? await connection.query("ROLLBACK", logger: logger).collect()
    }

    /// Whether a relation exists (a qualified, quoted name).
    func exists(_ qualifiedName: String, _ connection: PostgresConnection) async throws(StrataError) -> Bool {
        var binds = PostgresBindings()
        binds.append(qualifiedName)
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT to_regclass($1) IS NOT NULL", binds: binds),
                                                  logger: logger).collect()
            return try rows.first?.decode(Bool.self) ?? false
        } catch {
            throw PostgresErrors.databaseError(error)
        }
    }

    /// The first column of the first row of a query as text.
    func scalarText(_ sql: String) async throws(StrataError) -> String? {
        let (connection, _) = try await session.open()
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
            return rows.first.flatMap { $0.first }.flatMap(PostgresValueText.text)
        } catch {
            throw PostgresErrors.databaseError(error)
        }
    }
}

extension PostgresDriver {
    /// Where the driver's connection comes from.
    enum ConnectionSource: Sendable {
        /// A connection of its own, made from the settings and closed by ``PostgresDriver/close()``.
        case settings(PostgresConnectionSettings)
        /// One connection leased from the application's pool, given back by ``PostgresDriver/close()``.
        case client(PostgresClient)
    }

    /// The connection, made (or leased) on first use, and the history SQL for the resolved schema.
    actor Session {
        /// What ``open()`` returns, with the pool lease to give back when the connection is leased.
        typealias Opened = (connection: PostgresConnection, sql: PostgresHistorySQL, lease: PostgresClientLease?)

        let source: ConnectionSource
        /// The loop to make the connection on (`nil`: PostgresNIO's choice).
        private let eventLoop: (any EventLoop)?
        private let sessionSettings: [(String, String)]
        private let historyTable: String
        private let logTable: String
        private let logger: Logger
        private var opening: Task<Opened, any Error>?
        private var closed = false
        private(set) var historyReady = false
        /// Whether ``PostgresScriptFunction`` exists on the connection.
        private(set) var scriptFunction = PostgresScriptFunction.State.unknown

        init(source: ConnectionSource, eventLoop: (any EventLoop)?, sessionSettings: [(String, String)],
             historyTable: String, logTable: String, logger: Logger) {
            self.source = source
            self.eventLoop = eventLoop
            self.sessionSettings = sessionSettings
            self.historyTable = historyTable
            self.logTable = logTable
            self.logger = logger
        }

        func markHistoryReady() { historyReady = true }

        func setScriptFunction(_ state: PostgresScriptFunction.State) { scriptFunction = state }

        /// How many units ran as one statement through ``PostgresScriptFunction`` (tests read it).
        private(set) var serverRuns = 0

        func countServerRun() { serverRuns += 1 }

        /// Starts the connection task unless it is running or done; ``open()`` awaits it.
        @discardableResult
        func startOpening() -> Task<Opened, any Error>? {
            if closed { return nil }
            if let opening { return opening }
            let source = source, sessionSettings = sessionSettings, logger = logger
            let historyTable = historyTable, logTable = logTable, eventLoop = eventLoop
            scriptFunction = .unknown  // a new connection
            let task = Task {
                try await Self.connect(source, on: eventLoop, sessionSettings: sessionSettings,
                                       historyTable: historyTable, logTable: logTable, logger: logger)
            }
            opening = task
            return task
        }

        /// Connects the first time; later calls return the same connection.
        func open() async throws(StrataError) -> (connection: PostgresConnection, sql: PostgresHistorySQL) {
            guard let task = startOpening() else { throw StrataError(.database, "the database connection is closed") }
            do {
                let opened = try await task.value
                // A connection the server closed (a shutdown, a terminated backend) never answers
                // again in PostgresNIO: fail at once instead of waiting forever.
                if opened.connection.isClosed {
                    throw StrataError(.database, "the connection to PostgreSQL failed: the server closed it",
                                      hint: "check that the server is still running; a migration that was running in a transaction was rolled back by the server")
                }
                return (opened.connection, opened.sql)
            } catch {
                opening = nil
                if let strata = error as? StrataError { throw strata }
                switch source {
                case .settings(let settings): throw PostgresErrors.connectError(error, settings: settings)
                case .client: throw PostgresErrors.databaseError(error, context: "cannot lease a connection from the PostgresClient")
                }
            }
        }

        func close() async {
            closed = true
            guard let opening else { return }
            self.opening = nil
            guard let opened = try? await opening.value else { return }
            if let lease = opened.lease {
                if scriptFunction == .ready {
                    _ = try? await opened.connection.query(PostgresQuery(unsafeSQL: PostgresScriptFunction.dropStatement),
                                                           logger: logger).collect()
                }
                for (name, _) in sessionSettings {
                    _ = try? await opened.connection.query(PostgresQuery(unsafeSQL: "RESET \(name)"), logger: logger).collect()
                }
                await lease.release()
            } else {
                try? await opened.connection.close()
            }
        }

        private static func connect(_ source: ConnectionSource, on eventLoop: (any EventLoop)?,
                                    sessionSettings: [(String, String)],
                                    historyTable: String, logTable: String, logger: Logger) async throws -> Opened {
            let connection: PostgresConnection
            var lease: PostgresClientLease?
            var schemaChoice: String?
            switch source {
            case .settings(let settings):
                let configuration = try settings.nioConfiguration(sessionSettings: sessionSettings)
                do {
                    connection = try await PostgresConnection.connect(
                        on: eventLoop ?? PostgresConnection.defaultEventLoopGroup.any(),
                        configuration: configuration, id: 1, logger: logger)
                } catch {
                    throw PostgresErrors.connectError(error, settings: settings)
                }
                schemaChoice = settings.schema
            case .client(let client):
                do {
                    lease = try await PostgresClientLease.lease(from: client)
                } catch {
                    throw PostgresErrors.databaseError(error, context: "cannot lease a connection from the PostgresClient")
                }
                connection = lease!.connection
            }
            func giveUp() async {
                if let lease { await lease.release() } else { try? await connection.close() }
            }
            do {
                if lease != nil {
                    // A pooled connection was opened with the application's startup parameters.
                    for (name, value) in sessionSettings {
                        _ = try await connection.query("SELECT set_config(\(name), \(value), false)", logger: logger).collect()
                    }
                }
                let rows = try await connection.query("SELECT current_schema()", logger: logger).collect()
                let current = try rows.first?.decode(String?.self) ?? nil
                guard let schema = schemaChoice ?? current else {
                    await giveUp()
                    throw StrataError(.configuration, "the database has no current schema (the search_path names none that exists)",
                                      hint: "set a search_path naming an existing schema (in the URL: ?search_path=<schema>) "
                                          + "to choose where Strata's tables go")
                }
                return (connection, PostgresHistorySQL(schema: schema, historyTable: historyTable, logTable: logTable), lease)
            } catch let error as StrataError {
                throw error
            } catch {
                await giveUp()
                throw PostgresErrors.databaseError(error, context: "cannot read the current schema")
            }
        }
    }
}
