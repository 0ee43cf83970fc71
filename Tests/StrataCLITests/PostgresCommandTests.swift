import Foundation
import Testing

/// Every command of the foundation and safety issues on PostgreSQL, through the `strata` binary:
/// the same output shape and exit codes as on SQLite, and never the password.
@Suite("Commands on PostgreSQL")
struct PostgresCommandTests {
    static let flat = [
        "001_create_a.sql": "CREATE TABLE a (id integer PRIMARY KEY);\n",
        "001_create_a.down.sql": "DROP TABLE a;\n",
        "002_create_b.sql": "CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a (id));\n",
        "002_create_b.down.sql": "DROP TABLE b;\n",
        "003_create_c.sql": "CREATE TABLE c (id integer PRIMARY KEY);\n",
        "003_create_c.down.sql": "DROP TABLE c;\n",
    ]

    /// Runs strata on the database; checks the password never shows.
    static func strata(_ db: PostgresDatabase, _ arguments: [String], in tmp: TemporaryDirectory,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let r = try StrataProcess.strata(["-d", db.url] + arguments, in: tmp.url)
        #expect(!r.stdout.contains(db.password) && !r.stderr.contains(db.password), "the password was printed: \(r)",
                sourceLocation: sourceLocation)
        return r
    }

    static func json(_ r: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
    }

    static func tables(_ db: PostgresDatabase) throws -> String {
        try db.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'strata%'")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func statusListValidateHistoryAndDryRun() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(Self.flat, under: "migrations")
        // Read-only commands on a database Strata never touched create nothing.
        let status0 = try Self.strata(db, ["--format", "json", "status"], in: tmp)
        #expect(status0.exitCode == 0, "\(status0)")
        #expect((try Self.json(status0)["pending"] as? [Any])?.count == 3)
        #expect((try Self.json(status0)["database"] as? String)?.contains(":***@") == true)
        let dry = try Self.strata(db, ["up", "--dry-run"], in: tmp)
        #expect(dry.exitCode == 0 && dry.stdout.contains("CREATE TABLE a"), "\(dry)")
        #expect(try db.psql("SELECT to_regclass('strata_schema_history') IS NULL") == "t\n", "a dry run writes nothing")

        #expect(try Self.strata(db, ["up", "--target", "2"], in: tmp).exitCode == 0)
        let status = try Self.json(try Self.strata(db, ["--format", "json", "status"], in: tmp))
        #expect(status["current_version"] as? String == "002")
        #expect((status["applied"] as? [[String: Any]])?.map { $0["version"] as? String } == ["001", "002"])
        let list = try Self.strata(db, ["list"], in: tmp)
        #expect(list.exitCode == 0 && list.stdout.contains("pending"), "\(list)")
        #expect(try Self.strata(db, ["validate"], in: tmp).exitCode == 0)
        let history = try Self.strata(db, ["history"], in: tmp)
        #expect(history.exitCode == 0 && history.stdout.contains("applied"), "\(history)")

        // An edited applied migration fails validation (exit 3) with both checksums.
        try tmp.write(["001_create_a.sql": "CREATE TABLE a (id bigint PRIMARY KEY);\n"], under: "migrations")
        let invalid = try Self.strata(db, ["validate"], in: tmp)
        #expect(invalid.exitCode == 3, "\(invalid)")
        let blocked = try Self.strata(db, ["up"], in: tmp)
        #expect(blocked.exitCode == 3 && blocked.stderr.contains("Expected"), "\(blocked)")
    }

    @Test func downToRedoAndRollback() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(Self.flat, under: "migrations")
        #expect(try Self.strata(db, ["up", "--no-backup"], in: tmp).exitCode == 0)
        #expect(try Self.tables(db) == "a,b,c")
        let down = try Self.strata(db, ["--format", "json", "down", "--no-backup"], in: tmp)
        #expect(down.exitCode == 0, "\(down)")
        #expect((try Self.json(down)["rolled_back"] as? [[String: Any]])?.first?["version"] as? String == "003")
        #expect(try Self.tables(db) == "a,b")
        #expect(try Self.strata(db, ["to", "1", "--no-backup"], in: tmp).exitCode == 0)
        #expect(try Self.tables(db) == "a")
        #expect(try Self.strata(db, ["to", "3", "--no-backup"], in: tmp).exitCode == 0)
        #expect(try Self.strata(db, ["redo", "--no-backup"], in: tmp).exitCode == 0)
        #expect(try Self.tables(db) == "a,b,c")
        let refused = try Self.strata(db, ["rollback", "002"], in: tmp)
        #expect(refused.exitCode == 3, "newer migrations are applied: \(refused)")
        #expect(try Self.strata(db, ["rollback", "003", "--no-backup"], in: tmp).exitCode == 0)
        #expect(try Self.tables(db) == "a,b")
        let down2 = try Self.strata(db, ["down", "--all", "--dry-run"], in: tmp)
        #expect(down2.exitCode == 0 && down2.stdout.contains("DROP TABLE b"), "\(down2)")
        #expect(try Self.tables(db) == "a,b")
        #expect(try db.psql("SELECT event, count(*) FROM strata_schema_log GROUP BY event ORDER BY event") == "applied|6\nrolled_back|4\n")
    }

    @Test func baselineAndAdoptGoose() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(Self.flat, under: "migrations")
        // A database that goose migrated to version 2.
        try db.psql("""
            CREATE TABLE a (id integer PRIMARY KEY); CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a (id));
            CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL,
                                           tstamp timestamp DEFAULT now());
            INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true);
            """)
        let dry = try Self.strata(db, ["adopt", "--dry-run"], in: tmp)
        #expect(dry.exitCode == 0 && dry.stdout.contains("goose"), "\(dry)")
        let adopt = try Self.strata(db, ["--format", "json", "adopt"], in: tmp)
        #expect(adopt.exitCode == 0, "\(adopt)")
        #expect((try Self.json(adopt)["changes"] as? [Any])?.count == 2)
        let up = try Self.strata(db, ["--format", "json", "up"], in: tmp)
        #expect(up.exitCode == 0, "\(up)")
        #expect((try Self.json(up)["applied"] as? [[String: Any]])?.map { $0["version"] as? String } == ["003"])

        // Baseline on another, fresh database.
        let other = try PostgresDatabase()
        try other.psql("CREATE TABLE a (id integer PRIMARY KEY);")
        #expect(try Self.strata(other, ["baseline", "1"], in: tmp).exitCode == 0)
        #expect(try Self.strata(other, ["up"], in: tmp).exitCode == 0)
        #expect(try Self.tables(other) == "a,b,c")
        #expect(try other.psql("SELECT version, status FROM strata_schema_history ORDER BY version") == "001|baselined\n002|applied\n003|applied\n")
    }

    @Test func verifyRunsVerifyScriptsAndFindsInvalidIndexes() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write([
            "001_users.sql": "CREATE TABLE users (id integer PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a@x');\n",
            "001_users.verify.sql": "SELECT id, email FROM users WHERE email IS NULL;\n",
        ], under: "migrations")
        #expect(try Self.strata(db, ["up"], in: tmp).exitCode == 0)
        let ok = try Self.strata(db, ["verify"], in: tmp)
        #expect(ok.exitCode == 0, "\(ok)")
        #expect(ok.stdout.contains("✓ invalid_indexes") && ok.stdout.contains("✓ verify 001"), "\(ok.stdout)")
        #expect(ok.stderr.contains("SQLite checks"), "\(ok.stderr)")

        try db.psql("INSERT INTO users VALUES (2, NULL)")
        let bad = try Self.strata(db, ["--format", "json", "verify"], in: tmp)
        #expect(bad.exitCode == 1, "\(bad)")
        let checks = try #require(try Self.json(bad)["checks"] as? [[String: Any]])
        let failed = checks.first { $0["name"] as? String == "verify 001" }
        #expect(failed?["ok"] as? Bool == false)
        #expect((failed?["details"] as? [String])?.first?.contains("id=2, email=NULL") == true, "\(String(describing: failed))")
        #expect(try db.psql("SELECT count(*) FROM users") == "2\n", "verify writes nothing")
    }

    @Test func backupsBeforeChangesListAndRestore() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(Self.flat, under: "migrations")
        // An empty database is not backed up: nothing a restore could bring back.
        let first = try Self.strata(db, ["--format", "json", "up", "--target", "1"], in: tmp)
        #expect(first.exitCode == 0, "\(first)")
        #expect(try Self.json(first)["backup"] is NSNull, "\(first.stdout)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("backups").path))
        let up = try Self.strata(db, ["--format", "json", "up", "--target", "2"], in: tmp)
        #expect(up.exitCode == 0, "\(up)")
        let backupPath = try #require(try Self.json(up)["backup"] as? String, "up took a backup: \(up)")
        #expect(backupPath.hasPrefix("backups/\(db.name)_pre_v001_") && backupPath.hasSuffix(".dump"), "\(backupPath)")
        #expect(try Self.strata(db, ["up"], in: tmp).exitCode == 0)

        let list = try Self.strata(db, ["--format", "json", "backups"], in: tmp)
        #expect(list.exitCode == 0, "\(list)")
        let files = try #require(try Self.json(list)["backups"] as? [[String: Any]])
        #expect(files.map { $0["version"] as? String } == ["002", "001"], "\(files)")
        let text = try Self.strata(db, ["backups"], in: tmp)
        #expect(text.stdout.contains("FILE") && text.stdout.contains(".dump"), "\(text.stdout)")

        // Restore the backup taken at version 002: c and its history row go.
        let restore = try Self.strata(db, ["restore", files[0]["path"] as! String], in: tmp)
        #expect(restore.exitCode == 0, "\(restore)")
        #expect(try Self.tables(db) == "a,b")
        let status = try Self.json(try Self.strata(db, ["--format", "json", "status"], in: tmp))
        #expect(status["current_version"] as? String == "002")
        // The safety dump of the state before the restore is listed too.
        let after = try Self.json(try Self.strata(db, ["--format", "json", "backups"], in: tmp))
        #expect((after["backups"] as? [[String: Any]])?.first?["version"] as? String == "003")
    }

    @Test func withoutPgDumpTheOutputSaysNoBackupWasTaken() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(Self.flat, under: "migrations")
        let r = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url, environment: ["PATH": "/nonexistent"])
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stderr.contains("no backup was taken"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("backups").path))
    }

    @Test func connectionErrorsExit2WithoutThePassword() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(Self.flat, under: "migrations")
        let wrong = db.server.url(database: db.name, password: "wrong-pw-123")
        let r = try StrataProcess.strata(["-d", wrong, "status"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("[28P01]") && r.stderr.contains(":***@"), "\(r.stderr)")
        #expect(!r.stderr.contains("wrong-pw-123"))
        let missing = try StrataProcess.strata(["-d", db.server.url(database: "nope_db"), "up"], in: tmp.url)
        #expect(missing.exitCode == 2, "\(missing)")
        #expect(missing.stderr.contains("[3D000]"), "\(missing.stderr)")
        #expect(!missing.stderr.contains(db.password))
        let closed = try StrataProcess.strata(["-d", "postgres://u:pw-xyz@127.0.0.1:1/db?sslmode=disable", "status"], in: tmp.url)
        #expect(closed.exitCode == 2, "\(closed)")
        #expect(closed.stderr.contains("cannot connect") && !closed.stderr.contains("pw-xyz"), "\(closed.stderr)")
    }

    @Test func schemaFromSearchPathAndTimeoutsFromConfig() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(["001_t.sql": "CREATE TABLE t (id int);\nSELECT pg_sleep(0.3);\n"], under: "migrations")
        try tmp.write(["strata.yml": "postgres:\n  statement_timeout: 100ms\n"])
        let url = db.url + "&search_path=app"
        let slow = try StrataProcess.strata(["-d", url, "up", "--no-backup"], in: tmp.url)
        #expect(slow.exitCode == 1 && slow.stderr.contains("[57014]"), "\(slow)")
        let fast = try StrataProcess.strata(["-d", url, "--pg-statement-timeout", "5s", "up", "--no-backup"], in: tmp.url)
        #expect(fast.exitCode == 0, "\(fast)")
        #expect(try db.psql("SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'app'")
                == "app.strata_schema_history,app.strata_schema_log,app.t\n")
    }
}
