import Foundation
import Strata

extension SQLiteDriver {
    /// `true`: Swift migrations run inside their transaction with a ``SQLiteMigrationDatabase``.
    public var supportsSwiftMigrations: Bool { true }

    /// `true`: a SQL unit runs synchronously on the connection's queue and never looks at the
    /// calling task's cancellation.
    public var executesSQLUnitsRegardlessOfCancellation: Bool { true }

    /// Runs `body` holding the database's lock file, `<database>.lock` (see ``SQLiteLockFile``):
    /// reports ``RunEvent/waitingForLock(holder:)`` while another runner holds it, and a
    /// ``RunEvent/warning(_:)`` when a stale lock left by a dead process is taken over. An
    /// in-memory database has no lock (nothing else can reach it).
    /// - Throws: ``StrataError`` `.lockTimeout` (exit 4) after `timeout` seconds, naming the
    ///   holder; `.database` when the lock file cannot be created (read-only directory, a link).
    public func withRunnerLock<T: Sendable>(timeout: Double, onEvent: @escaping @Sendable (RunEvent) -> Void,
                                            _ body: () async throws -> T) async throws -> T {
        guard isFileDatabase else { return try await body() }
        return try await SQLiteLockFile.withLock(
            databasePath: path, timeout: timeout,
            onWait: { holder in onEvent(.waitingForLock(holder: holder.description)) },
            onTakeover: { lock in if let notice = lock.staleLockNotice { onEvent(.warning(notice)) } },
            body)
    }

    /// Takes an online, integrity-checked backup (``SQLiteBackups``) into `settings.directory`
    /// (default `backups/` beside the database) as `<name>_pre_v<version>_<UTC time>.db`, keeps
    /// the newest `settings.keep`, and returns its path; `nil` for an in-memory database.
    /// - Throws: ``StrataError`` `.database` when the database file is not writable for this user
    ///   (said before writing a backup that the run could not use) or cannot be read;
    ///   `.configuration` when the backups directory cannot be written.
    public func backUp(reason: String, currentVersion: String?, settings: BackupSettings) async throws -> String? {
        guard isFileDatabase, FileManager.default.fileExists(atPath: path) else { return nil }
        if !FileManager.default.isWritableFile(atPath: path) {
            throw StrataError(.database, "attempt to write a readonly database: \(path) is not writable for this user",
                              hint: "fix the permissions, for example `chmod 644 \(path)` as its owner (its directory must be writable too)",
                              databaseCode: "SQLITE_READONLY")
        }
        let backups = SQLiteBackups(databasePath: path, directory: settings.directory, keep: settings.keep,
                                    compress: settings.compress, busyTimeout: busyTimeout)
        return try await backups.create(label: currentVersion, reason: reason).path
    }
}

extension Migrator {
    /// Registers a Swift migration that needs SQLite's own tools: like
    /// ``Migrator/registerMigration(_:_:revision:description:file:line:up:down:)``, but the closure
    /// gets a ``SQLiteMigrationDatabase`` (the GRDB `Database`, ``SQLiteMigrationDatabase/rebuildTable(_:)``).
    ///
    /// ```swift
    /// try migrator.registerSQLiteMigration("005", "strict_users", revision: "1") { db in
    ///     try await db.rebuildTable(SQLiteTableRebuild(
    ///         table: "users", definition: "id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE"))
    /// }
    /// ```
    /// - Throws: What the generic registration throws. Running it on another engine fails the
    ///   migration with `.configuration`.
    public mutating func registerSQLiteMigration(
        _ version: String, _ name: String, revision: String, description: String? = nil,
        file: String = #fileID, line: Int = #line,
        up: @escaping @Sendable (SQLiteMigrationDatabase) async throws -> Void,
        down: (@Sendable (SQLiteMigrationDatabase) async throws -> Void)? = nil
    ) throws(StrataError) {
        func typed(_ body: @escaping @Sendable (SQLiteMigrationDatabase) async throws -> Void) -> SwiftMigrationCode.Body {
            { db in
                guard let sqlite = db as? SQLiteMigrationDatabase else {
                    throw StrataError(.configuration, "migration \(version) is written for SQLite and the database is \(db.engine.rawValue)",
                                      location: SourceLocation(file: file, line: line, column: 1),
                                      hint: "register it with registerMigration(_:_:revision:up:) and the engine-neutral calls")
                }
                try await body(sqlite)
            }
        }
        try registerMigration(version, name, revision: revision, description: description, file: file, line: line,
                              up: typed(up), down: down.map(typed))
    }
}
