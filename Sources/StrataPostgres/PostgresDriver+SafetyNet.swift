import Foundation
import PostgresNIO
import Strata

/// The safety net of a run on PostgreSQL (SPEC §5): a session-level advisory lock held for the
/// whole run, and a `pg_dump -Fc` archive before the first change.
extension PostgresDriver {
    /// Runs `body` holding the advisory lock of this database's schema and history table (see
    /// ``PostgresAdvisoryLock``), on a connection of its own: a new one for a driver made from
    /// settings, a second one leased from the pool for a driver over an application's
    /// `PostgresClient` (held for the whole run, its `application_name` naming the runner until
    /// it goes back). Another runner waits up to `timeout` seconds, reporting
    /// ``RunEvent/waitingForLock(holder:)``, then fails with `.lockTimeout` (exit 4) naming the holder.
    /// Inside it, a second lock on the driver's own connection
    /// (``PostgresAdvisoryLock/dataSessionKey(schema:historyTable:)``, the same wait) makes a run
    /// wait for the data session of a killed runner to finish its last transaction.
    public func withRunnerLock<T: Sendable>(timeout: Double, onEvent: @escaping @Sendable (RunEvent) -> Void,
                                            _ body: () async throws -> T) async throws -> T {
        let onWait: @Sendable (String) -> Void = { holder in onEvent(.waitingForLock(holder: holder)) }
        switch session.source {
        case .settings(let settings):
            return try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: historyTable, timeout: timeout,
                                                           onWait: onWait) {
                try await holdingDataSessionLock(timeout: timeout, onWait: onWait, body)
            }
        case .client(let client):
            let schema = try await session.open().sql.schema
            let key = PostgresAdvisoryLock.key(schema: schema, historyTable: historyTable)
            let lease: PostgresClientLease
            do {
                lease = try await PostgresClientLease.lease(from: client)
            } catch {
                throw PostgresErrors.databaseError(error, context: "cannot lease the runner lock's connection from the PostgresClient")
            }
            let result: T
            do {
                do {
                    _ = try await lease.connection.query(
                        "SELECT set_config('application_name', \(PostgresAdvisoryLock.runnerName), false)", logger: logger).collect()
                } catch {
                    throw PostgresErrors.databaseError(error, context: "cannot name the runner lock's connection")
                }
                result = try await PostgresAdvisoryLock.withLock(on: lease.connection, key: key, database: displayName,
                                                                 timeout: timeout, onWait: onWait, logger: logger) {
                    try await holdingDataSessionLock(timeout: timeout, onWait: onWait, body)
                }
            } catch {
                await giveBack(lease)
                throw error
            }
            await giveBack(lease)
            return result
        }
    }

    /// Runs `body` holding ``PostgresAdvisoryLock/dataSessionKey(schema:historyTable:)`` on the
    /// driver's own connection (the one that runs the migrations): waits, like for the runner lock,
    /// while the data session of a killed runner still finishes its last statement or `COMMIT`.
    private func holdingDataSessionLock<T: Sendable>(timeout: Double, onWait: @Sendable (String) -> Void,
                                                     _ body: () async throws -> T) async throws -> T {
        let (connection, sql) = try await session.open()
        return try await PostgresAdvisoryLock.withLock(
            on: connection, key: PostgresAdvisoryLock.dataSessionKey(schema: sql.schema, historyTable: historyTable),
            database: displayName, timeout: timeout, onWait: onWait, logger: logger, body)
    }

    /// Resets the lock connection's `application_name` and gives it back to the pool.
    private func giveBack(_ lease: PostgresClientLease) async {
        _ = try? await lease.connection.query("RESET application_name", logger: logger).collect()
        await lease.release()
    }

    /// A `pg_dump -Fc` archive in `settings.directory` (default `backups` in the working
    /// directory), the newest `settings.keep` kept; `nil` when `pg_dump` is not on the `PATH`
    /// (see ``PostgresBackups/isAvailable``: the command line warns before the run), for a
    /// driver over an application's `PostgresClient` given without connection settings, and for
    /// an empty database (see ``isEmptyDatabase()``): like a SQLite file that does not exist yet,
    /// it has nothing a backup would bring back.
    public func backUp(reason: String, currentVersion: String?, settings backup: BackupSettings) async throws -> String? {
        guard let settings else { return nil }
        let backups = PostgresBackups(settings: settings, directory: backup.directory, keep: backup.keep,
                                      searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        guard backups.isAvailable else { return nil }
        if try await isEmptyDatabase() { return nil }
        return try backups.create(label: currentVersion, reason: reason).path
    }

    /// Whether the database holds nothing `pg_dump` would keep: no schema but `public`; in
    /// `public` no table, view, sequence, index, function, type, operator, collation, conversion
    /// or text-search object; no extension but PL/pgSQL; no large object, event trigger,
    /// publication or default privileges. Strata's own history tables count as objects, so a
    /// database Strata has ever touched is never empty.
    /// - Throws: ``StrataError`` `.database` when the catalogs cannot be read.
    public func isEmptyDatabase() async throws(StrataError) -> Bool {
        try await scalarText(Self.emptyDatabaseQuery) == "true"
    }

    static let emptyDatabaseQuery = """
        SELECT (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
                             AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%')
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relnamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE typnamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator WHERE oprnamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collnamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_conversion WHERE connamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config WHERE cfgnamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_ts_dict WHERE dictnamespace = public.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_default_acl))::text
        FROM (SELECT (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public') AS oid) AS public
        """
}
