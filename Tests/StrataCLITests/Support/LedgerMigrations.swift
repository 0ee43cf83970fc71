import Foundation
import Testing

/// A set of migrations that write real data, and the check that a database holds exactly a
/// prefix of them: each migration fully applied and recorded, or not at all.
///
/// Migration `k` creates table `t_k` with `rows(k)` rows, adds them to `totals`, appends `k` to
/// `ledger`, and every third one rebuilds table `accounts` (create `_new`, copy, drop, rename),
/// counting the rebuild in it. The SQL is portable between SQLite and PostgreSQL, so the same set
/// runs against a PostgreSQL URL.
struct LedgerMigrations {
    var count: Int
    /// Rows per migration.
    var rowsPerMigration: Int
    /// Extra CPU work per migration (rows of a recursive count that is thrown away), to make
    /// migrations slow enough for a signal to arrive during one.
    var busyWork: Int = 0
    /// Whether each migration gets a down script (which undoes its schema and ledger changes).
    var withDown = false

    func version(_ k: Int) -> String { String(format: "%03d", k) }

    func rows(_ k: Int) -> Int { rowsPerMigration + k }

    /// `migrations/NNN_name.sql` files.
    var files: [String: String] {
        var files: [String: String] = [:]
        for k in 1...count {
            var sql = ""
            if k == 1 {
                sql += """
                CREATE TABLE ledger (version INTEGER PRIMARY KEY);
                CREATE TABLE totals (id INTEGER PRIMARY KEY, row_count INTEGER NOT NULL, migrations INTEGER NOT NULL);
                INSERT INTO totals VALUES (1, 0, 0);
                CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, rebuilds INTEGER NOT NULL);
                WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200)
                INSERT INTO accounts SELECT x, 'owner ' || x, 0 FROM c;

                """
            }
            sql += """
            CREATE TABLE t_\(k) (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(rows(k)))
            INSERT INTO t_\(k) SELECT x, 'migration \(k) row ' || x FROM c;
            UPDATE totals SET row_count = row_count + \(rows(k)), migrations = migrations + 1;

            """
            if busyWork > 0 {
                sql += """
                CREATE TABLE busy_\(k) AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(busyWork))
                SELECT count(*) AS n FROM c;
                DROP TABLE busy_\(k);

                """
            }
            if k % 3 == 0 {
                sql += """
                CREATE TABLE accounts_new (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, rebuilds INTEGER NOT NULL);
                INSERT INTO accounts_new SELECT id, owner, rebuilds + 1 FROM accounts;
                DROP TABLE accounts;
                ALTER TABLE accounts_new RENAME TO accounts;

                """
            }
            sql += "INSERT INTO ledger VALUES (\(k));\n"
            files["\(version(k))_step_\(k).sql"] = sql
            if withDown {
                files["\(version(k))_step_\(k).down.sql"] = k == 1
                    ? "DROP TABLE t_1;\nDROP TABLE ledger;\nDROP TABLE totals;\nDROP TABLE accounts;\n"
                    : "DROP TABLE t_\(k);\nDELETE FROM ledger WHERE version = \(k);\n"
                        + "UPDATE totals SET row_count = row_count - \(rows(k)), migrations = migrations - 1;\n"
                        + (k % 3 == 0 ? "UPDATE accounts SET rebuilds = rebuilds - 1;\n" : "")
            }
        }
        return files
    }

    /// How many migrations the database holds, after checking that it holds exactly the first
    /// ones, each completely (data, history row, one `applied` log event), and nothing else.
    /// Records an issue naming `context` for every inconsistency.
    @discardableResult
    func checkPrefix(_ db: any ReliabilityDatabase, _ context: String) throws -> Int {
        let tables = Set(try db.tableNames())
        // A run killed before it created the history tables has none.
        let history = tables.contains("strata_schema_history")
            ? try db.query("SELECT version || '|' || status FROM strata_schema_history ORDER BY version") : []
        let applied = history.filter { $0.hasSuffix("|applied") }.count
        let expectedHistory = (0..<applied).map { "\(version($0 + 1))|applied" }
        #expect(history == expectedHistory, "\(context): history must be the applied prefix: \(history)")
        let events = tables.contains("strata_schema_log")
            ? try db.query("SELECT version || '|' || event FROM strata_schema_log ORDER BY id") : []
        #expect(events == expectedHistory, "\(context): one applied event per applied migration: \(events)")
        for k in 1...count {
            #expect(tables.contains("t_\(k)") == (k <= applied), "\(context): t_\(k) exists iff \(k) ≤ \(applied)")
        }
        #expect(!tables.contains("accounts_new"), "\(context): a half-done rebuild is visible")
        guard applied > 0 else {
            #expect(!tables.contains("ledger") && !tables.contains("totals"), "\(context): nothing applied, yet tables exist")
            return 0
        }
        var checks = ["SELECT version FROM ledger ORDER BY version",
                      "SELECT row_count || '|' || migrations FROM totals",
                      "SELECT count(*) || '|' || min(rebuilds) || '|' || max(rebuilds) FROM accounts"]
        checks += (1...applied).map { "SELECT count(*) || '|' || coalesce(max(id), 0) FROM t_\($0)" }
        let results = try checks.map { try db.query($0).joined(separator: ",") }
        let sum = (1...applied).reduce(0) { $0 + rows($1) }
        #expect(results[0] == (1...applied).map(String.init).joined(separator: ","), "\(context): ledger \(results[0])")
        #expect(results[1] == "\(sum)|\(applied)", "\(context): totals \(results[1])")
        #expect(results[2] == "200|\(applied / 3)|\(applied / 3)", "\(context): accounts \(results[2])")
        for k in 1...applied {
            #expect(results[2 + k] == "\(rows(k))|\(rows(k))", "\(context): t_\(k) \(results[2 + k])")
        }
        return applied
    }
}

/// A database the reliability tests run against, by its URL: ``SQLiteTestDatabase``, or a
/// ``PostgresDatabase`` (queries through `psql`, tables from `information_schema`, no lock file).
protocol ReliabilityDatabase {
    /// What `strata -d` gets.
    var url: String { get }
    /// The rows of a query, one string per row.
    func query(_ sql: String) throws -> [String]
    /// The user tables.
    func tableNames() throws -> [String]
    /// `ok` when the database's own integrity check passes.
    func integrityCheck() throws -> String
    /// The runner lock file, when the engine uses one.
    var lockFile: URL? { get }
    /// Whether a runner's lock is there: SQLite, the lock file exists (a killed run leaves a
    /// stale one, taken over by the next); PostgreSQL, a session holds an advisory lock on the
    /// database (it dies with the session).
    func hasRunnerLock() throws -> Bool
    /// How the names of this database's backups start.
    var backupStem: String { get }
    /// Whether a backup file of this database is whole and readable by the engine's tools.
    func backupIsWhole(_ file: URL) throws -> Bool
    /// The runner lock taken by another process (SQLite: `flock` on the lock file; PostgreSQL: a
    /// `psql` session holding the advisory lock), held when this returns.
    func holdRunnerLock() throws -> HeldRunnerLock
}

/// A SQLite database file, queried with the `sqlite3` client.
struct SQLiteTestDatabase: ReliabilityDatabase {
    var file: URL

    var url: String { file.path }
    var lockFile: URL? { URL(fileURLWithPath: file.path + ".lock") }

    func query(_ sql: String) throws -> [String] {
        let out = try StrataProcess.sqlite3(file, ".timeout 10000\n" + sql + ";\n")
        return out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func tableNames() throws -> [String] {
        try query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    }

    func integrityCheck() throws -> String {
        try query("PRAGMA integrity_check").joined(separator: "\n")
    }

    func hasRunnerLock() throws -> Bool { FileManager.default.fileExists(atPath: file.path + ".lock") }

    var backupStem: String { file.deletingPathExtension().lastPathComponent }

    func backupIsWhole(_ backup: URL) throws -> Bool { try StrataProcess.sqlite3(backup, "PRAGMA quick_check;") == "ok\n" }

    func holdRunnerLock() throws -> HeldRunnerLock {
        let held = try HeldRunnerLock.sqlite(lockFile: URL(fileURLWithPath: file.path + ".lock"))
        for _ in 0..<200 where !lockIsTaken() { usleep(10_000) }
        return held
    }

    /// Whether some process holds `flock` on the lock file (`flock -n` fails at once then).
    private func lockIsTaken() -> Bool {
        (try? StrataProcess.run("flock", ["-n", file.path + ".lock", "true"], in: file.deletingLastPathComponent()))?.exitCode == 1
    }

    /// Creates the database file in a journal mode (`delete` or `wal`), empty.
    static func create(_ file: URL, journalMode: String) throws -> SQLiteTestDatabase {
        let mode = try StrataProcess.sqlite3(file, "PRAGMA journal_mode = \(journalMode);")
        #expect(mode == "\(journalMode)\n")
        return SQLiteTestDatabase(file: file)
    }
}
