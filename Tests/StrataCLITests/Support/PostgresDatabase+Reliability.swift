import Foundation
import PostgresTestServer
import StrataPostgres

/// The reliability tests (crash, stop, concurrency, faults) against a PostgreSQL database: rows
/// through `psql`, the user tables of schema `public`, integrity from `amcheck`, and the runner
/// lock as the advisory locks of the database (there is no lock file).
extension PostgresDatabase: ReliabilityDatabase {
    var lockFile: URL? { nil }

    func query(_ sql: String) throws -> [String] {
        try psql(sql).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func tableNames() throws -> [String] {
        try query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                  + "AND table_type = 'BASE TABLE' ORDER BY table_name")
    }

    /// `ok` when `amcheck` finds every B-tree index of the database (the system catalogs' too)
    /// consistent with itself and with its table (`bt_index_check` with `heapallindexed`).
    func integrityCheck() throws -> String {
        let checked = try psql("""
            SET client_min_messages = warning;
            CREATE EXTENSION IF NOT EXISTS amcheck;
            SELECT count(bt_index_check(c.oid, true)) FROM pg_index i
              JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
             WHERE a.amname = 'btree' AND c.relpersistence <> 't' AND i.indisready AND i.indisvalid;
            """)
        return Int(checked.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 > 0 ? "ok" : "no index checked" }
            ?? "amcheck said: \(checked)"
    }

    func hasRunnerLock() throws -> Bool { try advisoryLockCount() != 0 }

    /// How many advisory locks sessions hold on this database.
    func advisoryLockCount() throws -> Int {
        Int(try query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                      + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").first ?? "") ?? -1
    }

    var backupStem: String { name }

    /// `pg_restore --list` reads the whole archive's table of contents.
    func backupIsWhole(_ file: URL) throws -> Bool {
        try PostgresTestServer.run(PostgresTestServer.clientProgram("pg_restore"), ["--list", file.path],
                                   stdin: nil, environment: [:]).status == 0
    }

    /// A `psql` session (application `lock holder`) holding the runner's advisory lock of schema
    /// `public` and table `strata_schema_history`; its commands come from a pipe kept open.
    func holdRunnerLock() throws -> HeldRunnerLock {
        try holdAdvisoryLock(PostgresAdvisoryLock.key(schema: "public", historyTable: "strata_schema_history"))
    }

    /// A `psql` session (application `lock holder`) holding the advisory lock `key`.
    func holdAdvisoryLock(_ key: Int64) throws -> HeldRunnerLock {
        let commands = Pipe()
        let psql = psqlSession(commands: commands, applicationName: "lock holder")
        let held = try HeldRunnerLock(holder: psql, input: commands, waitingNote: "application 'lock holder'")
        commands.fileHandleForWriting.write(Data("SELECT pg_advisory_lock(\(key));\n".utf8))
        for _ in 0..<200 where try !hasRunnerLock() { usleep(10_000) }
        return held
    }

    /// Waits up to `seconds` for the advisory lock of a killed runner to go (the server ends the
    /// session when it sees the connection closed). Returns how long that took, `nil` if it stayed.
    func waitForRunnerLockRelease(seconds: Double = 10) throws -> Double? {
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            if try !hasRunnerLock() { return Date().timeIntervalSince(started) }
            usleep(20_000)
        }
        return nil
    }
}
