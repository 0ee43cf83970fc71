import Foundation
import Logging
import NIOCore
import PostgresNIO
import Strata

/// The database handle a Swift migration gets on PostgreSQL: every call runs on the driver's
/// connection, inside the migration's transaction, so the migration's changes and its history
/// row commit together, or not at all.
///
/// ```swift
/// try migrator.registerMigration("009", "add_email_to_users", revision: "1") { db in
///     if try await !db.columnExists("email", in: "users") {
///         try await db.execute("ALTER TABLE users ADD COLUMN email text")
///     }
///     try await db.execute("UPDATE users SET email = lower(name) || ? WHERE email IS NULL", arguments: ["@example.com"])
///     if try await !db.indexExists("idx_users_email") {
///         try await db.execute("CREATE INDEX idx_users_email ON users (email)")
///     }
/// }
/// ```
///
/// - `execute(_:)` without arguments runs a script statement by statement, as a migration file
///   runs (a balanced `BEGIN … COMMIT` is absorbed; any other transaction statement is an error).
/// - With arguments, the SQL is one statement whose `?` placeholders (outside literals, quoted
///   names, comments and dollar quotes) become `$1`, `$2`, …; a statement without `?` may use
///   `$1` itself. Integers bind as `bigint`, reals as `double precision`, text as `text`, blobs
///   as `bytea`.
/// - ``rows(_:arguments:)`` returns booleans as `1`/`0`, integer types as integers, `real`,
///   `double precision` and `numeric` as reals (whole `numeric` values as integers), `bytea` as
///   blobs, text-like types, timestamps and UUIDs as text; cast other types to `text` in the query.
/// - ``tableExists(_:)``, ``columnExists(_:in:)`` and ``indexExists(_:)`` look in ``schema``
///   (the driver's: where the history tables are), comparing names case-insensitively as
///   PostgreSQL folds unquoted names.
/// - Never `COMMIT` or `ROLLBACK`; await every call before the closure returns. A call made
///   after the migration ended throws.
public final class PostgresMigrationDatabase: MigrationDatabase, @unchecked Sendable {
    /// Always ``DatabaseEngine/postgres``.
    public let engine: DatabaseEngine = .postgres
    /// Where the migration was registered; SQL errors are located relative to it.
    public let location: SourceLocation
    /// The schema the existence helpers look in: the driver's ``PostgresDriver/schema``.
    public let schema: String

    private let connection: PostgresConnection
    private let logger: Logger
    private let state = NSLock()
    private var ended = false

    init(connection: PostgresConnection, schema: String, location: SourceLocation, logger: Logger) {
        self.connection = connection
        self.schema = schema
        self.location = location
        self.logger = logger
    }

    /// Runs a script (no `arguments`) or one statement with `?` placeholders bound to `arguments`.
    /// - Throws: ``StrataError`` `.migrationFailed` with the server's message, SQLSTATE and the
    ///   location of the failing statement relative to the registration.
    public func execute(_ sql: String, arguments: [SQLValue]) async throws {
        let connection = try usable()
        let script = MigrationScript(path: location.file, sql: sql, firstLine: location.line)
        if arguments.isEmpty {
            try await PostgresScriptRunner(connection: connection, logger: logger).run(script, policy: .absorb)
        } else {
            _ = try await query(script, arguments)
        }
    }

    /// Runs one query and returns every row, each as its column values in order.
    /// - Throws: ``StrataError`` `.migrationFailed` with the server's message.
    public func rows(_ sql: String, arguments: [SQLValue]) async throws -> [[SQLValue]] {
        let rows = try await query(MigrationScript(path: location.file, sql: sql, firstLine: location.line), arguments)
        return rows.map { row in row.map(Self.value) }
    }

    /// Whether a table (ordinary or partitioned; not a view) of that name exists in ``schema``.
    public func tableExists(_ table: String) async throws -> Bool {
        try await exists("""
            SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = ? AND lower(c.relname) = lower(?) AND c.relkind IN ('r', 'p'))
            """, [.text(schema), .text(table)])
    }

    /// Whether `table` exists in ``schema`` and has a column of that name (not a dropped one).
    public func columnExists(_ column: String, in table: String) async throws -> Bool {
        try await exists("""
            SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                           JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = ? AND lower(c.relname) = lower(?) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                             AND lower(a.attname) = lower(?) AND a.attnum > 0 AND NOT a.attisdropped)
            """, [.text(schema), .text(table), .text(column)])
    }

    /// Whether an index of that name exists in ``schema``.
    public func indexExists(_ index: String) async throws -> Bool {
        try await exists("""
            SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = ? AND lower(c.relname) = lower(?) AND c.relkind IN ('i', 'I'))
            """, [.text(schema), .text(index)])
    }

    // MARK: - Internals

    /// Called by the driver when the closure ended: later calls throw.
    func end() {
        state.withLock { ended = true }
    }

    private func usable() throws(StrataError) -> PostgresConnection {
        let over = state.withLock { ended }
        if over {
            throw StrataError(.migrationFailed, "the Swift migration used its database handle after it ended", location: location,
                              hint: "await every call on the handle before the migration's closure returns")
        }
        return connection
    }

    private func exists(_ sql: String, _ arguments: [SQLValue]) async throws -> Bool {
        try await rows(sql, arguments: arguments).first?.first?.integer == 1
    }

    /// One statement, its `?` placeholders bound to `arguments`, rows drained.
    private func query(_ script: MigrationScript, _ arguments: [SQLValue]) async throws(StrataError) -> [PostgresRow] {
        let connection = try usable()
        let statements = script.statements(dialect: .postgres)
        guard statements.count == 1, let statement = statements.first else {
            throw StrataError(.migrationFailed, "expected one SQL statement, found \(statements.count)", location: location,
                              hint: "run a script of several statements with execute(_:) and no arguments")
        }
        if let control = PostgresScriptRunner.transactionControl(statement) {
            throw StrataError(.migrationFailed, "a Swift migration cannot run \(control.keyword)", location: statement.location,
                              hint: "Strata commits the migration's transaction when the closure returns, and rolls it back when it throws")
        }
        var text = statement.text
        var binds = PostgresBindings()
        if !arguments.isEmpty {
            let rewritten = PostgresPlaceholders.rewrite(text)
            if rewritten.count > 0 {
                guard rewritten.count == arguments.count else {
                    throw StrataError(.migrationFailed,
                                      "the statement has \(rewritten.count) ? placeholder(s) and \(arguments.count) argument(s)",
                                      location: statement.location, hint: "give one argument per ?")
                }
                text = rewritten.sql
            }
            for argument in arguments { Self.bind(argument, into: &binds) }
        }
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: text, binds: binds), logger: logger).collect()
        } catch {
            throw PostgresErrors.statementError(error, code: .migrationFailed, script: script, statement: statement)
        }
    }

    private static func bind(_ value: SQLValue, into binds: inout PostgresBindings) {
        switch value {
        case .null: binds.appendNull()
        case .integer(let v): binds.append(v)
        case .real(let v): binds.append(v)
        case .text(let v): binds.append(v)
        case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
        }
    }

    /// A cell as an ``SQLValue`` (see the type's notes).
    static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .int2, .int4, .int8: return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .float4, .float8: return (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
        case .numeric:
            guard let text = PostgresValueText.text(cell) else { return .null }
            if let whole = Int64(text) { return .integer(whole) }
            return Double(text).map(SQLValue.real) ?? .text(text)
        case .bytea: return (try? cell.decode(ByteBuffer.self)).map { .blob(Array($0.readableBytesView)) } ?? .null
        default: return PostgresValueText.text(cell).map(SQLValue.text) ?? .null
        }
    }
}
