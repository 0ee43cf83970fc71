import Foundation
import GRDB
import GRDBSQLite
import Strata

/// The SQLite driver: one connection to one database file, either its own (a GRDB
/// `DatabaseQueue` opened by ``open(path:historyTable:logTable:createIfMissing:readOnly:busyTimeout:)``)
/// or the application's (a GRDB `DatabaseQueue` or `DatabasePool`, given to
/// ``init(writer:historyTable:logTable:)``).
///
/// ```swift
/// let driver = try SQLiteDriver.open(path: "app.db", createIfMissing: true)
/// var migrator = Migrator(driver: driver)
/// try migrator.add(MigrationDirectory(path: "migrations"))
/// try await migrator.migrate()
/// await driver.close()
/// ```
///
/// As the ``Migrator``'s driver it provides the safety net: the runner lock is the lock file
/// `<database>.lock` (``SQLiteLockFile``), backups are online copies (``SQLiteBackups``), the
/// integrity check is `PRAGMA quick_check`, and Swift migrations run inside the migration's
/// transaction with a ``SQLiteMigrationDatabase``. An in-memory database has no lock and no backups.
///
/// What it does and does not do:
/// - It never changes settings that persist in the file (`journal_mode`, `page_size`,
///   `auto_vacuum`, `user_version`); it only sets `foreign_keys` (on) and `busy_timeout` on its
///   own connection.
/// - It manages transactions itself: `BEGIN IMMEDIATE` … `COMMIT` per unit, never GRDB's
///   automatic transactions.
/// - Calls run synchronously on the calling task's thread (GRDB's serial queue, entered with its
///   synchronous API): SQLite blocks anyway, and this saves two thread hand-offs per call.
/// - Scripts run through SQLite's own parser (`sqlite3_prepare_v3` with its tail pointer), so
///   they run exactly as the `sqlite3` shell would run them; see ``execute(_:)`` for how a
///   script's own `BEGIN`/`COMMIT` is handled.
public final class SQLiteDriver: DatabaseDriver {
    /// Always ``DatabaseEngine/sqlite``.
    public let engine: DatabaseEngine = .sqlite
    /// `sqlite:<path>`.
    public let displayName: String
    /// The path the database was opened with.
    public let path: String
    /// The name of the history table.
    public let historyTable: String
    /// The name of the append-only audit log table.
    public let logTable: String
    /// How long a statement waits for another connection's lock, in seconds.
    public let busyTimeout: TimeInterval

    /// The connection: the driver's own queue, or the application's queue or pool.
    let writer: any DatabaseWriter
    /// Whether the driver opened the connection itself (and so may close it, and may replace
    /// the connection's SQLite authorizer while a migration runs).
    let ownsConnection: Bool
    let sql: HistorySQL
    let state = State()

    /// Mutable bookkeeping: `historyReady` and the foreign-key graph are touched only inside the
    /// serial database queue's closures; `closed` only under `lock`.
    final class State: @unchecked Sendable {
        var historyReady = false
        /// The foreign keys of the schema as of the last committed unit (see ``ForeignKeyGraph``).
        private var foreignKeyGraph: ForeignKeyGraph?

        /// The kept graph if it matches `schemaVersion` (`nil` never matches), removing it either way.
        func takeForeignKeyGraph(matching schemaVersion: Int64?) -> ForeignKeyGraph? {
            defer { foreignKeyGraph = nil }
            guard let graph = foreignKeyGraph, let schemaVersion, graph.schemaVersion == schemaVersion else { return nil }
            return graph
        }

        /// Keeps a graph for the next unit.
        func keep(_ graph: ForeignKeyGraph) { foreignKeyGraph = graph }

        /// Drops the kept graph (after a rollback).
        func forgetForeignKeyGraph() { foreignKeyGraph = nil }

        private let lock = NSLock()
        private var closed = false

        /// Marks the driver closed; `true` the first time.
        func close() -> Bool {
            lock.withLock {
                defer { closed = true }
                return !closed
            }
        }

        var isClosed: Bool { lock.withLock { closed } }
    }

    private init(path: String, writer: any DatabaseWriter, ownsConnection: Bool, historyTable: String,
                 logTable: String, busyTimeout: TimeInterval) {
        self.path = path
        self.displayName = "sqlite:\(path)"
        self.writer = writer
        self.ownsConnection = ownsConnection
        self.historyTable = historyTable
        self.logTable = logTable
        self.busyTimeout = busyTimeout
        self.sql = HistorySQL(historyTable: historyTable, logTable: logTable)
    }

    /// Opens a database file.
    ///
    /// - Parameters:
    ///   - path: The file, or `:memory:`.
    ///   - historyTable: The history table's name.
    ///   - logTable: The audit log table's name.
    ///   - createIfMissing: Whether a missing file may be created. Pass `false` for commands that
    ///     only read (`status`, `list`, `validate`): they must not leave an empty file behind.
    ///   - readOnly: Open the connection read-only (SQLite `SQLITE_OPEN_READONLY`); every write
    ///     then fails with `SQLITE_READONLY`.
    ///   - busyTimeout: Seconds to wait for another connection's lock before `SQLITE_BUSY`.
    /// - Throws: ``StrataError`` with code `.database` when the file does not exist (and may not be
    ///   created), is not a database or is damaged (hint: restore a backup), is read-only, or is
    ///   locked; `.configuration` for bad table names.
    public static func open(path: String, historyTable: String = StrataInfo.defaultHistoryTable,
                            logTable: String = "strata_schema_log", createIfMissing: Bool,
                            readOnly: Bool = false,
                            busyTimeout: TimeInterval = 5) throws(StrataError) -> SQLiteDriver {
        guard !historyTable.isEmpty, !logTable.isEmpty,
              historyTable.lowercased() != logTable.lowercased() else {
            throw StrataError(.configuration,
                              "the history table and the log table need two different, non-empty names")
        }
        let isFile = path != ":memory:" && !path.isEmpty && !path.hasPrefix("file:")
        if isFile {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                if !createIfMissing || readOnly {
                    throw StrataError(.database, "database \(path) does not exist",
                                      hint: "check the path, or run `strata up` to create the database")
                }
            } else if isDirectory.boolValue {
                throw StrataError(.database, "database \(path) is a directory",
                                  hint: "give the path of the database file, for example \(path)/app.db")
            }
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        config.readonly = readOnly
        config.label = "strata"
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            return SQLiteDriver(path: path, writer: queue, ownsConnection: true, historyTable: historyTable,
                                logTable: logTable, busyTimeout: busyTimeout)
        } catch {
            var mapped = SQLiteErrors.databaseError(error, path: path, busyTimeout: busyTimeout)
            mapped.message = "cannot open database \(path): \(mapped.message)"
            throw mapped
        }
    }

    /// Uses the application's own GRDB connection, so that migrations run on the database the
    /// app already has open (for example at start-up, before the app reads anything).
    ///
    /// ```swift
    /// let dbPool = try DatabasePool(path: "app.sqlite")
    /// let driver = try SQLiteDriver(writer: dbPool)
    /// var migrator = Migrator(driver: driver)
    /// try migrator.add(BundledMigrations.folder("Migrations", in: .module))
    /// try await migrator.migrate()
    /// ```
    ///
    /// How it behaves with a borrowed connection:
    /// - Statements run on the writer's connection through `writeWithoutTransaction`, one
    ///   migration per access, so the app's own writes wait for each migration (not for the whole
    ///   run) and never land inside one. Reads use `read`.
    /// - The app's configuration (busy timeout, `foreign_keys`, journal mode) is used as it is;
    ///   `foreign_keys` is switched off during each migration and restored after, as always.
    /// - The connection's SQLite authorizer, which GRDB needs for its observation features, is
    ///   left alone. The foreign-key check of each migration therefore covers the whole database
    ///   (with a count taken before the migration, so old violations never fail it) instead of
    ///   only the tables the migration touched: slower on a large database, equally strict.
    /// - The runner lock and backups work as with ``open(path:historyTable:logTable:createIfMissing:readOnly:busyTimeout:)``
    ///   for a file database (the lock file is `<writer.path>.lock`; backups read the file through
    ///   a separate connection, which in WAL mode (a `DatabasePool`) never blocks the app). An
    ///   in-memory writer gets neither.
    /// - ``close()`` does not close the writer: it stays the app's.
    /// - Migrate before the app starts observing the database (`ValueObservation`): a migration
    ///   changes the schema under the observers' feet.
    /// - Do not call the migrator from inside one of the writer's database accesses (`write { }`):
    ///   that would wait for itself.
    ///
    /// - Parameters:
    ///   - writer: The app's `DatabaseQueue` or `DatabasePool`.
    ///   - historyTable: The history table's name.
    ///   - logTable: The audit log table's name.
    /// - Throws: ``StrataError`` `.configuration` for bad table names.
    public convenience init(writer: any DatabaseWriter, historyTable: String = StrataInfo.defaultHistoryTable,
                            logTable: String = StrataInfo.defaultLogTable) throws(StrataError) {
        guard !historyTable.isEmpty, !logTable.isEmpty,
              historyTable.lowercased() != logTable.lowercased() else {
            throw StrataError(.configuration,
                              "the history table and the log table need two different, non-empty names")
        }
        var timeout: TimeInterval = 0
        if case .timeout(let seconds) = writer.configuration.busyMode { timeout = seconds }
        self.init(path: writer.path, writer: writer, ownsConnection: false, historyTable: historyTable,
                  logTable: logTable, busyTimeout: timeout)
    }

    /// Whether the database is a file (not `:memory:`, a temporary or a URI database): only files
    /// get the runner lock and backups.
    public var isFileDatabase: Bool {
        !path.isEmpty && path != ":memory:" && !path.hasPrefix("file:")
    }

    /// The SQLite library version, for example `3.40.1`.
    public var sqliteVersion: String { String(cString: sqlite3_libversion()) }

    // MARK: - DatabaseDriver

    /// Creates the history table, the log table and the log's append-only triggers if they do
    /// not exist, in one transaction.
    public func prepareHistory() async throws {
        try await access { db in
            try self.prepareHistory(db, force: true)
        }
    }

    /// Every history row (ordered by `applied_at`, then version); empty when the table does not
    /// exist. Creates nothing.
    public func history() async throws -> [HistoryRecord] {
        try await reading { db in try self.sql.readHistory(try Self.connection(db)) }
    }

    /// The audit log, oldest first; empty when the table does not exist. Creates nothing.
    public func log() async throws -> [LogEntry] {
        try await reading { db in try self.sql.readLog(try Self.connection(db)) }
    }

    /// Makes the writes in one `BEGIN IMMEDIATE` transaction, creating the tables first if needed.
    public func write(_ writes: [HistoryWrite]) async throws {
        try await access { db in
            try self.prepareHistory(db, force: false)
            try self.transaction(db) {
                do {
                    try self.sql.write(writes, db)
                } catch {
                    throw SQLiteErrors.databaseError(error, path: self.path, busyTimeout: self.busyTimeout,
                                                     context: "cannot write to \(self.historyTable)")
                }
            }
        }
    }

    /// Closes the connection; later calls fail with `.database`. Call it after every other call
    /// has returned (GRDB must not be used while its connection closes). A writer given to
    /// ``init(writer:historyTable:logTable:)`` stays open: only the driver stops using it.
    public func close() async {
        if state.close(), ownsConnection, let queue = writer as? DatabaseQueue {
            try? queue.close()
        }
    }

    // MARK: - Helpers for other commands

    /// Whether `PRAGMA foreign_keys` is on for this driver's connection (it is after ``open(path:historyTable:logTable:createIfMissing:readOnly:busyTimeout:)``
    /// and after every ``execute(_:)``).
    public func foreignKeysEnabled() async throws -> Bool {
        try await reading { db in try ForeignKeys.enabled(try Self.connection(db)) }
    }

    /// The lines of `PRAGMA quick_check`: `["ok"]` when the database is fine.
    public func quickCheck() async throws -> [String] {
        try await reading { db in try RawQuery.scanStrings(try Self.connection(db), "PRAGMA quick_check") }
    }

    /// The lines of `PRAGMA integrity_check` (slower and more thorough than ``quickCheck()``):
    /// `["ok"]` when the database is fine.
    public func integrityCheck() async throws -> [String] {
        try await reading { db in try RawQuery.scanStrings(try Self.connection(db), "PRAGMA integrity_check") }
    }

    /// The rows of `PRAGMA foreign_key_check` over the whole database; empty when every
    /// reference has its parent row.
    public func foreignKeyViolations() async throws -> [SQLiteForeignKeyViolation] {
        try await reading { db in try ForeignKeys.violations(try Self.connection(db)) }
    }

    /// Every table, index, view and trigger in `sqlite_master`, except SQLite's internal objects
    /// (`sqlite_%`) and Strata's history and log tables (with their indexes and triggers);
    /// ordered by type (table, index, view, trigger), then name.
    public func schemaObjects() async throws -> [SQLiteSchemaObject] {
        try await reading { db in
            var objects: [SQLiteSchemaObject] = []
            let query = """
                SELECT type, name, tbl_name, sql FROM sqlite_master
                WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                  AND lower(tbl_name) NOT IN (lower(?), lower(?))
                ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name
                """
            try RawQuery.run(try Self.connection(db), query, [self.historyTable, self.logTable]) {
                (row: RawQuery.Row) throws(StrataError) in
                objects.append(SQLiteSchemaObject(type: row.text(0) ?? "", name: row.text(1) ?? "",
                                                  tableName: row.text(2) ?? "", sql: row.text(3)))
            }
            return objects
        }
    }

    /// Runs SQL as it is, statement by statement, with no surrounding transaction and no history:
    /// for tests and maintenance tools, never for migrations. A transaction the SQL leaves open
    /// is rolled back and reported as an error.
    /// - Throws: ``StrataError`` located in a pseudo-file `<sql>`.
    public func executeRaw(_ sqlText: String) async throws {
        try await access { db in
            let connection = try Self.connection(db)
            let runner = ScriptRunner(connection: connection, busyTimeout: self.busyTimeout)
            defer { db.clearSchemaCache() }
            do {
                try runner.run(MigrationScript(path: "<sql>", sql: sqlText), policy: .passThrough)
            } catch {
                Self.rollbackIfActive(connection)
                throw error
            }
            if sqlite3_get_autocommit(connection) == 0 {
                Self.rollbackIfActive(connection)
                throw StrataError(.database, "the SQL left a transaction open; it was rolled back",
                                  hint: "end the transaction with COMMIT")
            }
        }
    }

    /// Copies the whole database to `destination` with SQLite's online backup API (consistent
    /// even with other writers, WAL content included). An existing destination is overwritten.
    public func backup(to destination: String) async throws {
        try await access { db in
            do {
                let target = try DatabaseQueue(path: destination)
                defer { try? target.close() }
                try target.writeWithoutTransaction { targetDb in
                    try db.backup(to: targetDb)
                }
            } catch {
                throw SQLiteErrors.databaseError(error, path: destination, busyTimeout: self.busyTimeout,
                                                 context: "cannot back up to \(destination)")
            }
        }
    }

    // MARK: - Internals

    /// Runs `body` on the connection (serially, no automatic transaction), mapping any error that
    /// is not already a ``StrataError`` to `.database`.
    ///
    /// This uses GRDB's synchronous entry point, which runs `body` on the calling thread under the
    /// queue's lock: SQLite blocks anyway, and GRDB's async variant costs two thread hand-offs per
    /// call, which made a run of 1,000 small migrations about 30% slower than the `sqlite3` shell.
    func access<T: Sendable>(_ body: (Database) throws -> T) async throws(StrataError) -> T {
        if state.isClosed { throw Self.closedError }
        do {
            return try syncWrite(body)
        } catch {
            throw SQLiteErrors.databaseError(error, path: path, busyTimeout: busyTimeout)
        }
    }

    /// Like ``access(_:)`` for reads.
    func reading<T: Sendable>(_ body: (Database) throws -> T) async throws(StrataError) -> T {
        if state.isClosed { throw Self.closedError }
        do {
            return try syncRead(body)
        } catch {
            throw SQLiteErrors.databaseError(error, path: path, busyTimeout: busyTimeout)
        }
    }

    func syncWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction(body)
    }

    private func syncRead<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    static let closedError = StrataError(.database, "the database connection is closed")

    /// Whether ``close()`` was called.
    var isClosed: Bool { state.isClosed }

    static func connection(_ db: Database) throws(StrataError) -> OpaquePointer {
        guard let connection = db.sqliteConnection else {
            throw StrataError(.database, "the database connection is closed")
        }
        return connection
    }

    /// Creates the history tables in their own transaction; unless `force`, only the first time.
    func prepareHistory(_ db: Database, force: Bool) throws {
        if state.historyReady && !force { return }
        try transaction(db) {
            do {
                try self.sql.createTables(db)
            } catch {
                throw SQLiteErrors.databaseError(error, path: self.path, busyTimeout: self.busyTimeout,
                                                 context: "cannot create the history tables")
            }
        }
        state.historyReady = true
    }

    /// `BEGIN IMMEDIATE`, `body`, `COMMIT`; `ROLLBACK` when anything throws.
    func transaction(_ db: Database, _ body: () throws -> Void) throws {
        let connection = try Self.connection(db)
        try begin(db)
        do {
            try body()
            try commit(db)
        } catch {
            Self.rollbackIfActive(connection)
            throw error
        }
    }

    func begin(_ db: Database) throws {
        do {
            try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
        } catch {
            throw SQLiteErrors.databaseError(error, path: path, busyTimeout: busyTimeout,
                                             context: "cannot start a write transaction")
        }
    }

    func commit(_ db: Database) throws {
        do {
            try db.cachedStatement(sql: "COMMIT").execute()
        } catch let error as DatabaseError {
            let code = error.extendedResultCode.rawValue
            let message = error.message ?? "commit failed"
            throw StrataError(code & 0xFF == 19 ? .migrationFailed : .database, "cannot commit: \(message)",
                              hint: SQLiteErrors.scriptHint(code: code, message: message, busyTimeout: busyTimeout),
                              databaseCode: SQLiteErrors.codeName(code))
        }
    }

    /// Rolls back when a transaction is still open (SQLite may already have rolled it back).
    static func rollbackIfActive(_ connection: OpaquePointer) {
        if sqlite3_get_autocommit(connection) == 0 {
            _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
        }
    }
}
