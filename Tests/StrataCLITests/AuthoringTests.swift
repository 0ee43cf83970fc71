import Foundation
import Testing

/// `init`, `create`, directives and statements that cannot run in a transaction.
@Suite("Authoring and directives")
struct AuthoringTests {
    @Test func initThenUpWorks() throws {
        let tmp = try TemporaryDirectory()
        let r = try StrataProcess.strata(["init"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("strata.yml").path))
        let up = try StrataProcess.strata(["up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        #expect(try StrataProcess.sqlite3(tmp.path("strata.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'example';") == "1\n")
        let down = try StrataProcess.strata(["down"], in: tmp.url)
        #expect(down.exitCode == 0, "\(down)")
        // A second init changes nothing.
        let again = try StrataProcess.strata(["init"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
    }

    @Test("create follows the directory's layout", arguments: [
        ("flat", ["001_first.sql": "SELECT 1;\n"], "migrations/002_second.sql"),
        ("updown", ["1_first.up.sql": "SELECT 1;\n", "1_first.down.sql": "SELECT 1;\n"], "migrations/2_second.up.sql"),
        ("dir", ["V001__first/up.sql": "SELECT 1;\n"], "migrations/V002__second/up.sql"),
        ("flyway", ["V1__first.sql": "SELECT 1;\n"], "migrations/V2__second.sql"),
    ])
    func createNext(layout: String, existing: [String: String], expected: String) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(existing, under: "migrations")
        let r = try StrataProcess.strata(["create", "second", "--author", "dev@example.com"], in: tmp.url)
        #expect(r.exitCode == 0, "\(layout): \(r)")
        #expect(FileManager.default.fileExists(atPath: tmp.path(expected).path), "\(layout): \(r.stdout)")
        let listed = try StrataProcess.strata(["list"], in: tmp.url)
        #expect(listed.exitCode == 0, "\(layout): \(listed)")
    }

    @Test func createRefusesBadNames() throws {
        let tmp = try TemporaryDirectory()
        for name in ["Bad-Name", "../escape", "a/b", ""] {
            let r = try StrataProcess.strata(["create", name], in: tmp.url)
            #expect(r.exitCode == 2 || r.exitCode == 64, "\(name): \(r)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.path("escape").path))
    }

    @Test func vacuumRunsOutsideATransactionWithAWarning() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "001_create.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
            "002_compact.sql": "DELETE FROM a;\nVACUUM;\n",
        ], under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stderr.contains("warning:") && r.stderr.contains("VACUUM"), "\(r.stderr)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT status FROM strata_schema_history ORDER BY version;") == "applied\napplied\n")
    }

    @Test func noTransactionDirectiveFailureBlocksUntilFixed() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "001_partial.sql": """
            -- strata:no-transaction
            CREATE TABLE first_half (id INTEGER);
            INSERT INTO nowhere VALUES (1);

            """,
            "002_next.sql": "CREATE TABLE next (id INTEGER);\n",
        ], under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        // Outside a transaction the first statement stays: the version is failed and dirty.
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'first_half';") == "1\n")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT status, dirty FROM strata_schema_history;") == "failed|1\n")
        let blocked = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(blocked.exitCode == 3, "\(blocked)")
        #expect(blocked.stderr.contains("repair"), "\(blocked.stderr)")
        let list = try StrataProcess.strata(["-d", "a.db", "list"], in: tmp.url)
        #expect(list.stdout.contains("failed"), "\(list)")
    }

    @Test func unknownDirectiveIsAnErrorWithLocation() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_a.sql": "-- Migration: A\n-- strata:no-transactoin\nCREATE TABLE a (id INTEGER);\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("migrations/001_a.sql:2:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("a.db").path))
    }

    @Test func scriptsWithTheirOwnTransactionStillCommitWithTheirHistoryRow() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "20241227_143000_add_user_preferences.sql": """
            -- Migration: add_user_preferences
            -- Created: 2024-12-27
            -- Description: Add user preferences table

            BEGIN;

            CREATE TABLE IF NOT EXISTS user_preferences (
                id INTEGER PRIMARY KEY,
                preference_key VARCHAR(100) NOT NULL
            );

            COMMIT;

            """,
            "20241227_143000_add_user_preferences_rollback.sql": "BEGIN;\nDROP TABLE IF EXISTS user_preferences;\nCOMMIT;\n",
        ], under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "--format", "json", "status"], in: tmp.url)
        #expect(r.stdout.contains("Add user preferences table"), "\(r)")
        let up = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        let rb = try StrataProcess.strata(["-d", "a.db", "rollback", "20241227_143000_add_user_preferences"], in: tmp.url)
        #expect(rb.exitCode == 0, "\(rb)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'user_preferences';") == "0\n")
    }
}

/// Flyway's repeatable migrations run after the versioned ones and again whenever they change.
@Suite("Flyway repeatables")
struct RepeatableTests {
    @Test func repeatableRunsAfterVersionedAndAgainWhenChanged() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "V1__create_t.sql": "CREATE TABLE t (id INTEGER, v TEXT);\n",
            "R__t_view.sql": "DROP VIEW IF EXISTS t_view;\nCREATE VIEW t_view AS SELECT id FROM t;\n",
        ], under: "migrations")
        var r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT version, type FROM strata_schema_history ORDER BY applied_at;") == "1|sql\nR__t_view|repeatable\n")
        r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.stdout.contains("Nothing to do"), "\(r)")
        try tmp.write(["R__t_view.sql": "DROP VIEW IF EXISTS t_view;\nCREATE VIEW t_view AS SELECT id, v FROM t;\n"], under: "migrations")
        r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM pragma_table_info('t_view');") == "2\n")
    }
}
