import GRDB
import GRDBSQLite
import Strata

/// The database handle a Swift migration gets on SQLite: every call runs on the connection that
/// holds the migration's transaction, in call order.
///
/// Besides the engine-neutral ``MigrationDatabase`` calls it offers the GRDB `Database` itself
/// (``withDatabase(_:)``) and SQLite's table-rebuild procedure (``rebuildTable(_:)``). Register a
/// migration that needs them with the typed variant, which hands this type to the closure:
///
/// ```swift
/// try migrator.registerSQLiteMigration("011", "add_cascade_to_services", revision: "1") { db in
///     guard try await !db.withDatabase({ try String.fetchOne($0, sql:
///         "SELECT sql FROM sqlite_master WHERE name = 'services'") ?? "" }).contains("CASCADE") else { return }
///     try await db.rebuildTable(SQLiteTableRebuild(
///         table: "services",
///         definition: """
///             id TEXT PRIMARY KEY, name TEXT NOT NULL,
///             server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE
///             """,
///         droppingOrphans: true))
/// }
/// ```
///
/// Rules, enforced where they can be:
/// - Never `COMMIT`, `ROLLBACK` or `BEGIN` (a balanced `BEGIN … COMMIT` in one ``execute(_:arguments:)``
///   script is absorbed, as in files): the migration fails if its transaction ends early.
/// - Await every call before the closure returns; a call made after the migration ended throws.
/// - Foreign keys are off while the migration runs (unless the migration asked for them to stay
///   on) and are checked before commit: a new violation fails the migration.
public final class SQLiteMigrationDatabase: MigrationDatabase {
    /// Always ``DatabaseEngine/sqlite``.
    public let engine: DatabaseEngine = .sqlite
    /// Where the migration was registered; SQL errors are located relative to it.
    public let location: SourceLocation

    let mailbox: ConnectionMailbox
    let busyTimeout: Double

    init(mailbox: ConnectionMailbox, location: SourceLocation, busyTimeout: Double) {
        self.mailbox = mailbox
        self.location = location
        self.busyTimeout = busyTimeout
    }

    /// Runs `body` with the GRDB `Database` of the migration's transaction, on the connection's
    /// thread. Use any GRDB API inside (`db.create(table:)`, records, `Row.fetchAll`), except
    /// transactions and savepoint-ending calls that would end the migration's transaction.
    /// - Throws: What `body` throws; GRDB's `DatabaseError` becomes a located ``StrataError``.
    public func withDatabase<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let location = location
        return try await withCheckedThrowingContinuation { continuation in
            mailbox.submit(ConnectionMailbox.Job(
                run: { db in
                    do {
                        continuation.resume(returning: try body(db))
                    } catch {
                        continuation.resume(throwing: Self.locatedError(error, at: location))
                    }
                },
                reject: { continuation.resume(throwing: $0) }))
        }
    }

    /// Runs a script (no `arguments`: every statement, exactly as the `sqlite3` shell would, errors
    /// located relative to the registration) or one statement with `?` placeholders.
    public func execute(_ sql: String, arguments: [SQLValue]) async throws {
        let location = location
        let busyTimeout = busyTimeout
        try await withDatabase { db in
            let connection = try SQLiteDriver.connection(db)
            if arguments.isEmpty {
                let script = MigrationScript(path: location.file, sql: sql, firstLine: location.line)
                try ScriptRunner(connection: connection, busyTimeout: busyTimeout).run(script, policy: .absorb)
            } else {
                try BoundStatement.run(connection, sql, arguments, at: location) { _ in }
            }
        }
    }

    /// Runs one query and returns its rows (integers, reals, text, blobs and `NULL` as SQLite stores them).
    public func rows(_ sql: String, arguments: [SQLValue]) async throws -> [[SQLValue]] {
        let location = location
        return try await withDatabase { db in
            var rows: [[SQLValue]] = []
            try BoundStatement.run(try SQLiteDriver.connection(db), sql, arguments, at: location) { stmt in
                rows.append((0..<sqlite3_column_count(stmt)).map { BoundStatement.value(stmt, $0) })
            }
            return rows
        }
    }

    /// Whether a table (not a view) of that name exists in the main schema (case-insensitive).
    public func tableExists(_ table: String) async throws -> Bool {
        try await withDatabase { db in try RawQuery.tableExists(try SQLiteDriver.connection(db), table) }
    }

    /// Whether `table` exists and has a column of that name (case-insensitive), from `PRAGMA table_info`.
    public func columnExists(_ column: String, in table: String) async throws -> Bool {
        try await withDatabase { db in
            var found = false
            try RawQuery.run(try SQLiteDriver.connection(db),
                             "SELECT 1 FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE", [table, column]) {
                (_: RawQuery.Row) throws(StrataError) in found = true
            }
            return found
        }
    }

    /// Whether an index of that name exists in the main schema (case-insensitive).
    public func indexExists(_ index: String) async throws -> Bool {
        try await withDatabase { db in
            var found = false
            try RawQuery.run(try SQLiteDriver.connection(db),
                             "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE", [index]) {
                (_: RawQuery.Row) throws(StrataError) in found = true
            }
            return found
        }
    }

    /// Changes a table's definition with SQLite's 12-step procedure (see ``SQLiteTableRebuild``),
    /// inside the migration's transaction.
    /// - Throws: ``StrataError`` as ``SQLiteTableRebuild/apply(to:)`` does; the migration is then
    ///   rolled back.
    @discardableResult
    public func rebuildTable(_ rebuild: SQLiteTableRebuild) async throws -> SQLiteTableRebuild.Result {
        try await withDatabase { db in try rebuild.apply(to: db) }
    }

    /// GRDB's errors as ``StrataError`` `.migrationFailed` at `location`; others unchanged.
    static func locatedError(_ error: any Error, at location: SourceLocation) -> any Error {
        guard let dbError = error as? DatabaseError else { return error }
        let code = dbError.extendedResultCode.rawValue
        let message = dbError.message ?? String(cString: sqlite3_errstr(code))
        return StrataError(SQLiteErrors.statementErrorCode(code, otherwise: .migrationFailed), message, location: location,
                           hint: SQLiteErrors.scriptHint(code: code, message: message, busyTimeout: 0),
                           databaseCode: SQLiteErrors.codeName(code))
    }
}
