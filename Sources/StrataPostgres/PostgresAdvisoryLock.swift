import Foundation
import Logging
import PostgresNIO
import Strata

/// Strata's runner lock on PostgreSQL: a session-level advisory lock held on a connection of its
/// own for a whole mutating run, so a second runner on the same schema and history table waits,
/// then gives up with exit 4, and never applies a migration twice (SPEC §5).
///
/// ```swift
/// try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "strata_schema_history",
///                                         timeout: 60, onWait: { print("waiting for \($0)") }) {
///     try await migrator.run(.up(target: nil, allowOutOfOrder: false))
/// }
/// ```
///
/// - The key is a 64-bit FNV-1a hash of `strata:<schema>.<history table>`, so projects that keep
///   their history in different schemas or tables of one database do not block each other.
/// - `pg_try_advisory_lock` is polled (every 100 ms at first, up to every 500 ms) until the
///   timeout, so a waiting runner can say who holds the lock: the holder's backend pid,
///   `application_name`, user, client address and since when, from `pg_locks` and
///   `pg_stat_activity`. The lock connection's `application_name` names the runner's process id
///   and host.
/// - The lock is released with `pg_advisory_unlock` when the body ends (success, error or
///   cancellation); if the runner dies, the server releases it with the session.
public enum PostgresAdvisoryLock {
    /// The advisory lock key for a history table in a schema.
    public static func key(schema: String, historyTable: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "strata:\(schema).\(historyTable)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// The key of the second advisory lock a run holds: on the connection that runs its
    /// migrations, taken after the runner lock (``key(schema:historyTable:)``, on a connection of
    /// its own) and released before it.
    ///
    /// A runner killed while its data session is still in a statement or its `COMMIT` loses the
    /// runner lock at once (that idle session ends with the process), but the data session keeps
    /// this one until the server has finished the statement or the `COMMIT` and ended the
    /// session. The next runner takes both locks in order, so it never reads the history before
    /// the killed runner's last transaction has committed or rolled back.
    public static func dataSessionKey(schema: String, historyTable: String) -> Int64 {
        key(schema: schema, historyTable: historyTable) &+ 2
    }

    /// Runs `body` holding the lock.
    ///
    /// - Parameters:
    ///   - settings: The database.
    ///   - historyTable: The history table the lock protects.
    ///   - timeout: Seconds to wait for another runner (0: try once).
    ///   - onWait: Called once, with a description of the holder, when the lock is taken.
    ///   - body: The run.
    /// - Throws: ``StrataError`` `.lockTimeout` (exit 4) naming the holder when the lock is still
    ///   held after `timeout`; the stop's code (`.interrupted`, `.terminated`) when the current
    ///   task's ``StopRequest`` asks to stop while waiting (nothing is held then); `.database` when
    ///   the server cannot be reached; whatever `body` throws.
    public static func withLock<T: Sendable>(
        settings: PostgresConnectionSettings, historyTable: String, timeout: Double,
        onWait: @Sendable (String) -> Void = { _ in },
        logger: Logger = Logger(label: "strata.postgres.lock", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: () async throws -> T
    ) async throws -> T {
        var lockSettings = settings
        lockSettings.applicationName = runnerName
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try lockSettings.nioConfiguration(sessionSettings: []), id: 2, logger: logger)
        } catch {
            throw (error as? StrataError) ?? PostgresErrors.connectError(error, settings: settings)
        }
        let result: T
        do {
            let current: String?
            do {
                current = try await connection.query("SELECT current_schema()", logger: logger).collect()
                    .first.map { try $0.decode(String?.self) } ?? nil
            } catch {
                throw PostgresErrors.databaseError(error)
            }
            result = try await withLock(on: connection, key: key(schema: settings.schema ?? current ?? "public", historyTable: historyTable),
                                        database: settings.redactedURL, timeout: timeout, onWait: onWait, logger: logger, body)
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        return result
    }

    /// Runs `body` holding the lock `key` on a connection the caller owns (and closes or gives
    /// back), such as one leased from an application's `PostgresClient`.
    static func withLock<T: Sendable>(
        on connection: PostgresConnection, key: Int64, database: String, timeout: Double,
        onWait: @Sendable (String) -> Void, logger: Logger, _ body: () async throws -> T
    ) async throws -> T {
        do {
            try await acquire(key, connection: connection, database: database, timeout: timeout, onWait: onWait, logger: logger)
        } catch {
            throw PostgresErrors.databaseError(error)
        }
        let result: T
        do {
            result = try await body()
        } catch {
            await release(key, connection: connection, logger: logger)
            throw error
        }
        await release(key, connection: connection, logger: logger)
        return result
    }

    /// The `application_name` of a lock's connection, shown to a runner that waits for it.
    static var runnerName: String {
        String("strata runner pid \(getpid()) on \(RunIdentity.current().hostname)".prefix(63))
    }

    private static func acquire(_ key: Int64, connection: PostgresConnection, database: String,
                                timeout: Double, onWait: @Sendable (String) -> Void, logger: Logger) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(max(0, timeout) * 1000))
        var pause = Duration.milliseconds(100)
        var announced = false
        while true {
            // A stop (SIGINT/SIGTERM) while waiting: give up at once, holding nothing.
            try StopRequest.checkRequested("while waiting for the lock on \(database)")
            let locked = try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).collect()
                .first.map { try $0.decode(Bool.self) } ?? false
            if locked { return }
            if clock.now >= deadline {
                let holder = try await holder(key, connection: connection, logger: logger)
                throw StrataError(
                    .lockTimeout,
                    "another runner holds the lock on \(database)\(holder.map { " (\($0))" } ?? "") "
                        + "and did not release it within \(formatSeconds(timeout)) s",
                    hint: "wait for that run to finish, or wait longer with --lock-timeout; a runner that died "
                        + "releases the lock when its session ends (SELECT pg_terminate_backend(pid) ends it)")
            }
            if !announced {
                announced = true
                onWait(try await holder(key, connection: connection, logger: logger) ?? "another session")
            }
            do {
                try await Task.sleep(for: max(.milliseconds(1), min(pause, deadline - clock.now)))
            } catch {
                throw StrataError(.lockTimeout, "stopped waiting for the lock on \(database): the task was cancelled")
            }
            pause = min(pause * 2, .milliseconds(500))
        }
    }

    /// Who holds the lock: `PostgreSQL backend pid 4242, application 'strata runner pid 17 on ci-3', user deploy, since …`.
    static func holder(_ key: Int64, connection: PostgresConnection, logger: Logger) async throws -> String? {
        let high = Int64(UInt32(truncatingIfNeeded: UInt64(bitPattern: key) >> 32))
        let low = Int64(UInt32(truncatingIfNeeded: UInt64(bitPattern: key)))
        let rows = try await connection.query("""
            SELECT a.pid::int8, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
                   coalesce(host(a.client_addr), 'local socket'), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int8 = \(high) AND l.objid::int8 = \(low)
              AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (pid, application, user, client, since) = try row.decode((Int64, String, String, String, String).self)
        var parts = ["PostgreSQL backend pid \(pid)"]
        if !application.isEmpty { parts.append("application '\(application)'") }
        if !user.isEmpty { parts.append("user \(user)") }
        parts.append("from \(client)")
        if !since.isEmpty { parts.append("connected since \(since)") }
        return parts.joined(separator: ", ")
    }

    private static func release(_ key: Int64, connection: PostgresConnection, logger: Logger) async {
        // A closed connection never answers in PostgresNIO; the server released the lock with it.
        guard !connection.isClosed else { return }
        _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger).collect()
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
