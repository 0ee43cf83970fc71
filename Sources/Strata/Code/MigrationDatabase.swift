/// The database as a Swift-code migration sees it: statements run inside the migration's own
/// transaction, so the migration's changes and its history row commit together, or not at all.
///
/// A driver hands one to the closure registered with
/// ``Migrator/registerMigration(_:_:revision:description:file:line:up:down:)`` and closes it when
/// the closure returns; using it afterwards throws. The idempotency helpers make code migrations
/// safe to run on databases that already have part of the change (seed 001's start-up checks):
///
/// ```swift
/// try migrator.registerMigration("009", "add_email_to_users", revision: "1") { db in
///     if try await !db.columnExists("email", in: "users") {
///         try await db.execute("ALTER TABLE users ADD COLUMN email TEXT")
///     }
///     if try await !db.indexExists("idx_users_email") {
///         try await db.execute("CREATE INDEX idx_users_email ON users(email)")
///     }
/// }
/// ```
///
/// Engine-specific handles offer more: `StrataSQLite`'s `SQLiteMigrationDatabase` gives the GRDB
/// `Database` and the table-rebuild procedure.
///
/// ## Implementing it (driver authors)
/// - Run every call on the connection that holds the migration's transaction, in call order.
/// - Throw ``StrataError`` (`.migrationFailed` for SQL errors, with the engine's code in
///   ``StrataError/databaseCode``).
/// - Never commit or roll back from a call: the driver ends the transaction when the closure ends.
public protocol MigrationDatabase: Sendable {
    /// The engine behind the handle.
    var engine: DatabaseEngine { get }

    /// Runs SQL: a whole script of statements when `arguments` is empty, else one statement with
    /// `?` placeholders bound to `arguments` in order.
    /// - Throws: ``StrataError`` `.migrationFailed` with the database's message.
    func execute(_ sql: String, arguments: [SQLValue]) async throws

    /// Runs one query and returns every row, each as its column values in order.
    /// - Throws: ``StrataError`` `.migrationFailed` with the database's message.
    func rows(_ sql: String, arguments: [SQLValue]) async throws -> [[SQLValue]]

    /// Whether a table (not a view) of that name exists in the default schema.
    func tableExists(_ table: String) async throws -> Bool

    /// Whether `table` exists and has a column of that name.
    func columnExists(_ column: String, in table: String) async throws -> Bool

    /// Whether an index of that name exists in the default schema.
    func indexExists(_ index: String) async throws -> Bool
}

extension MigrationDatabase {
    /// Runs SQL without arguments (a script of one or more statements).
    public func execute(_ sql: String) async throws {
        try await execute(sql, arguments: [])
    }

    /// Runs one query without arguments and returns its rows.
    public func rows(_ sql: String) async throws -> [[SQLValue]] {
        try await rows(sql, arguments: [])
    }
}
