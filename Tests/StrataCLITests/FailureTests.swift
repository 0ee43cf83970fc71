import Foundation
import Testing

/// A failing migration exits 1, names file:line:column, leaves no trace of its changes and is recorded.
@Suite("Failures")
struct FailureTests {
    @Test func failingMigrationIsRolledBackLocatedAndRecorded() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "001_create_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
            "002_add_orders.sql": """
            -- Migration: Add orders
            CREATE TABLE orders (id INTEGER PRIMARY KEY);
            INSERT INTO orders (id) VALUES (1);
            INSERT INTO missing_table (id) VALUES (1);
            CREATE TABLE never (id INTEGER);

            """,
        ], under: "migrations")
        let db = tmp.path("app.db")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("migrations/002_add_orders.sql:4:"), "\(r.stderr)")
        #expect(r.stderr.contains("no such table: missing_table"), "\(r.stderr)")
        #expect(r.stderr.contains("hint:"), "\(r.stderr)")

        let tables = try StrataProcess.sqlite3(db, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'strata_%' AND name NOT LIKE 'sqlite_%' ORDER BY name;")
        #expect(tables == "users\n")
        let rows = try StrataProcess.sqlite3(db, "SELECT version, status, error_message IS NOT NULL FROM strata_schema_history ORDER BY version;")
        #expect(rows == "001|applied|0\n002|failed|1\n")
        let log = try StrataProcess.sqlite3(db, "SELECT version, event FROM strata_schema_log ORDER BY id;")
        #expect(log == "001|applied\n002|failed\n")

        // A transactional failure left nothing behind, so after a fix `up` simply applies it.
        try tmp.write(["002_add_orders.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY);\n"], under: "migrations")
        let again = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(try StrataProcess.sqlite3(db, "SELECT status FROM strata_schema_history WHERE version = '002';") == "applied\n")
    }

    @Test func syntaxErrorPointsAtTheColumn() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_bad.sql": "CREATE TABLE a (id INTEGER);\n\nSELEC 1;\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", tmp.path("x.db").path, "up"], in: tmp.url)
        #expect(r.exitCode == 1)
        #expect(r.stderr.contains("migrations/001_bad.sql:3:1: error:"), "\(r.stderr)")
        #expect(r.stderr.contains("SELEC 1;"), "the offending line is quoted: \(r.stderr)")
    }

    @Test func jsonErrorDocument() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_bad.sql": "CREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", tmp.path("x.db").path, "--format", "json", "up"], in: tmp.url)
        #expect(r.exitCode == 1)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: Any], "\(r.stdout)")
        #expect(error["code"] as? String == "migration_failed")
        #expect(error["file"] as? String == "migrations/001_bad.sql")
        #expect(error["line"] as? Int == 2)
        #expect(error["column"] as? Int == 1)
        #expect(error["message"] is String)
        #expect(error.keys.contains("hint"))
    }

    @Test func parentTableRebuildKeepsCascadingChildren() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "001_schema.sql": """
            CREATE TABLE servers (id TEXT PRIMARY KEY, name TEXT);
            CREATE TABLE services (id TEXT PRIMARY KEY, server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE);
            INSERT INTO servers VALUES ('s1', 'one'), ('s2', 'two');
            INSERT INTO services VALUES ('a', 's1'), ('b', 's1'), ('c', 's2');

            """,
            "002_rebuild_servers.sql": """
            -- Migration: Make server names unique (seed 000/001/003 table rebuild)
            CREATE TABLE servers_new (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            INSERT INTO servers_new SELECT id, name FROM servers;
            DROP TABLE servers;
            ALTER TABLE servers_new RENAME TO servers;

            """,
        ], under: "migrations")
        let db = tmp.path("app.db")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(db, "SELECT count(*) FROM services;") == "3\n")
        #expect(try StrataProcess.sqlite3(db, "PRAGMA foreign_keys=ON; PRAGMA foreign_key_check;") == "")
    }

    @Test func foreignKeyViolationIsRolledBack() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "001_schema.sql": """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));

            """,
            "002_orphan.sql": "INSERT INTO child VALUES (1, 42);\n",
        ], under: "migrations")
        let db = tmp.path("app.db")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.lowercased().contains("foreign key"), "\(r.stderr)")
        #expect(try StrataProcess.sqlite3(db, "SELECT count(*) FROM child;") == "0\n")
        #expect(try StrataProcess.sqlite3(db, "SELECT status FROM strata_schema_history WHERE version='002';") == "failed\n")
    }
}
