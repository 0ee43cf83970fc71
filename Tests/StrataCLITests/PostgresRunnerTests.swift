import Foundation
import PostgresTestServer
import Testing

/// Many runners at once on one PostgreSQL database, and failures: the same promises as on SQLite.
@Suite("PostgreSQL runners and failures")
struct PostgresRunnerTests {
    @Test func eightRunnersApplyEveryMigrationExactlyOnce() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        var files = ["001_ledger.sql": "CREATE TABLE ledger (version integer NOT NULL);\nINSERT INTO ledger VALUES (1);\n"]
        for i in 2...20 {
            let v = String(format: "%03d", i)
            files["\(v)_t\(i).sql"] = "CREATE TABLE t\(i) (id serial PRIMARY KEY, v text);\nINSERT INTO t\(i) (v) VALUES ('x');\nINSERT INTO ledger VALUES (\(i));\n"
        }
        try tmp.write(files, under: "migrations")
        let runs = try StrataProcess.strataConcurrently(["-d", db.url, "--lock-timeout", "60", "up", "--no-backup"],
                                                        count: 8, in: tmp.url)
        for r in runs {
            #expect(r.exitCode == 0, "\(r)")
            #expect(!r.stdout.contains(db.password) && !r.stderr.contains(db.password))
        }
        #expect(try db.psql("SELECT count(*), count(DISTINCT version) FROM ledger") == "20|20\n")
        #expect(try db.psql("SELECT count(*) FROM strata_schema_log WHERE event = 'applied'") == "20\n")
        #expect(try db.psql("SELECT count(*) FROM strata_schema_history WHERE status = 'applied'") == "20\n")
        #expect(try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0\n", "every lock was released")
    }

    @Test func heldLockMakesTheSecondRunnerExit4NamingTheHolder() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(["001_slow.sql": "SELECT pg_sleep(3);\n", "002_a.sql": "CREATE TABLE a (id int);\n"], under: "migrations")
        let first = try PostgresDoctorTests.runnerHoldingTheLock(db, in: tmp)
        let second = try StrataProcess.strata(["-d", db.url, "--lock-timeout", "0.5", "up"], in: tmp.url)
        #expect(second.exitCode == 4, "\(second)")
        #expect(second.stderr.contains("strata runner pid \(first.processIdentifier)"), "\(second.stderr)")
        #expect(!second.stderr.contains(db.password))
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let after = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
        #expect(after.exitCode == 0, "\(after)")
    }

    @Test func failingStatementInTheMiddleIsRolledBackLocatedAndRecorded() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write([
            "001_create_users.sql": "CREATE TABLE users (id serial PRIMARY KEY, email text);\n",
            "002_add_orders.sql": """
            -- Migration: Add orders
            CREATE TABLE orders (id serial PRIMARY KEY);
            INSERT INTO orders (id) VALUES (1);
            INSERT INTO missing_table (id) VALUES (1);
            CREATE TABLE never (id integer);

            """,
        ], under: "migrations")
        let r = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("migrations/002_add_orders.sql:4:13: error: relation \"missing_table\" does not exist [42P01]"), "\(r.stderr)")
        #expect(r.stderr.contains("INSERT INTO missing_table"), "the offending line is quoted: \(r.stderr)")
        #expect(r.stderr.contains("hint:"), "\(r.stderr)")
        #expect(!r.stderr.contains(db.password) && !r.stdout.contains(db.password))
        #expect(try db.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'strata%' ORDER BY 1") == "users\n")
        #expect(try db.psql("SELECT version, status, error_message IS NOT NULL FROM strata_schema_history ORDER BY version") == "001|applied|f\n002|failed|t\n")
        #expect(try db.psql("SELECT version, event FROM strata_schema_log ORDER BY id") == "001|applied\n002|failed\n")

        let json = try StrataProcess.strata(["-d", db.url, "--format", "json", "up", "--no-backup"], in: tmp.url)
        #expect(json.exitCode == 1)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: Any], "\(json.stdout)")
        #expect(error["code"] as? String == "migration_failed")
        #expect(error["file"] as? String == "migrations/002_add_orders.sql")
        #expect(error["line"] as? Int == 4 && error["column"] as? Int == 13)

        try tmp.write(["002_add_orders.sql": "CREATE TABLE orders (id serial PRIMARY KEY);\n"], under: "migrations")
        let again = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(try db.psql("SELECT status FROM strata_schema_history WHERE version = '002'") == "applied\n")
    }

    @Test func failedNonTransactionalMigrationBlocksUntilRepair() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write([
            "001_users.sql": "CREATE TABLE users (email text);\n",
            "002_index.sql": "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nSELECT 1/0;\n",
        ], under: "migrations")
        let r = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("migrations/002_index.sql:3:"), "\(r.stderr)")
        #expect(r.stderr.contains("[22012]"), "\(r.stderr)")
        #expect(try db.psql("SELECT status, dirty FROM strata_schema_history WHERE version = '002'") == "failed|t\n")
        #expect(try db.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email'") == "1\n", "the index stays: it ran outside a transaction")
        let blocked = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(blocked.exitCode == 3, "\(blocked)")
        #expect(blocked.stderr.contains("repair"), "\(blocked.stderr)")
        // Undo by hand, fix the file, repair, then up.
        try db.psql("DROP INDEX users_email")
        try tmp.write(["002_index.sql": "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n"], under: "migrations")
        let repair = try StrataProcess.strata(["-d", db.url, "repair"], in: tmp.url)
        #expect(repair.exitCode == 0, "\(repair)")
        let up = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        #expect(try db.psql("SELECT status, dirty FROM strata_schema_history WHERE version = '002'") == "applied|f\n")
    }

    @Test func migrationLockTimeoutFailsFastWhileAnotherSessionHoldsTheTable() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(["001_busy.sql": "CREATE TABLE busy (id int);\n"], under: "migrations")
        #expect(try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url).exitCode == 0)
        try tmp.write(["002_alter.sql": "-- strata:lock-timeout 200ms\nALTER TABLE busy ADD COLUMN name text;\n"], under: "migrations")
        // Another session holds the table until the test ends (psql reads its commands from a pipe).
        let commands = Pipe()
        let holder = db.psqlSession(commands: commands)
        try holder.run()
        commands.fileHandleForWriting.write(Data("BEGIN;\nLOCK TABLE busy IN ACCESS EXCLUSIVE MODE;\n".utf8))
        defer {
            commands.fileHandleForWriting.write(Data("ROLLBACK;\n".utf8))
            try? commands.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        for _ in 0..<100 {
            if try db.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'busy' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1\n" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let r = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("[55P03]"), "\(r.stderr)")
        #expect(r.stderr.contains("migrations/002_alter.sql:2:"), "\(r.stderr)")
        #expect(r.stderr.contains("lock_timeout"), "\(r.stderr)")
        #expect(try db.psql("SELECT status FROM strata_schema_history WHERE version = '002'") == "failed\n")
        // The run-level setting works too (a migration without its own directive).
        try tmp.write(["002_alter.sql": "ALTER TABLE busy ADD COLUMN name text;\n"], under: "migrations")
        let run = try StrataProcess.strata(["-d", db.url, "--pg-lock-timeout", "200ms", "up", "--no-backup"], in: tmp.url)
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.stderr.contains("[55P03]"), "\(run.stderr)")
    }
}

