import Foundation
import Testing

/// `repair`, `baseline` and `adopt`, end to end against the built `strata` binary.
@Suite("Maintenance commands: repair, baseline, adopt")
struct MaintenanceCommandTests {
    static let flat = [
        "001_create_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
        "001_create_a.down.sql": "DROP TABLE a;\n",
        "002_create_b.sql": "CREATE TABLE b (id INTEGER PRIMARY KEY);\n",
        "002_create_b.down.sql": "DROP TABLE b;\n",
        "003_create_c.sql": "CREATE TABLE c (id INTEGER PRIMARY KEY);\n",
        "003_create_c.down.sql": "DROP TABLE c;\n",
    ]

    static func json(_ r: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
    }

    /// The versions `up --format json` applied.
    static func applied(_ r: ProcessResult) throws -> [String] {
        let doc = try json(r)
        return (doc["applied"] as? [[String: Any]] ?? []).compactMap { $0["version"] as? String }
    }

    static func events(_ db: URL, _ event: String) throws -> Int {
        Int(try StrataProcess.sqlite3(db, "SELECT count(*) FROM strata_schema_log WHERE event = '\(event)';")
            .filter(\.isNumber)) ?? -1
    }

    // MARK: repair

    @Test func repairAcceptsAnEditedMigrationSoUpPassesAgain() throws {
        let tmp = try TemporaryDirectory()
        var files = Self.flat
        files["003_create_c.sql"] = nil
        files["003_create_c.down.sql"] = nil
        try tmp.write(files, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        // An intentional edit of an applied migration (the database already matches it), and a new one.
        try tmp.write(["001_create_a.sql": "-- the primary key was always there\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n",
                       "003_create_c.sql": "CREATE TABLE c (id INTEGER);\n"], under: "migrations")
        let blocked = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(blocked.exitCode == 3, "\(blocked)")

        let dry = try StrataProcess.strata(["-d", "a.db", "repair", "--dry-run"], in: tmp.url)
        #expect(dry.exitCode == 0, "\(dry)")
        #expect(dry.stdout.contains("accept_checksum") && dry.stdout.contains("001"), "\(dry)")
        #expect(try Self.events(tmp.path("a.db"), "repaired") == 0)

        let repaired = try StrataProcess.strata(["-d", "a.db", "--format", "json", "repair"], in: tmp.url)
        #expect(repaired.exitCode == 0, "\(repaired)")
        let changes = try #require(try Self.json(repaired)["changes"] as? [[String: Any]])
        #expect(changes.count == 1 && changes[0]["action"] as? String == "accept_checksum" && changes[0]["version"] as? String == "001")

        let up = try StrataProcess.strata(["-d", "a.db", "--format", "json", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        #expect(try Self.applied(up) == ["003"])
        let history = try StrataProcess.strata(["-d", "a.db", "history"], in: tmp.url)
        #expect(history.stdout.contains("repaired"), "\(history)")
        #expect(try Self.events(tmp.path("a.db"), "repaired") == 1)
        // A second repair has nothing to do.
        let again = try StrataProcess.strata(["-d", "a.db", "repair"], in: tmp.url)
        #expect(again.exitCode == 0 && again.stdout.contains("Nothing to repair"), "\(again)")
    }

    @Test func repairClearsADirtyFailedMigrationSoUpProceeds() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([
            "001_partial.sql": """
            -- strata:no-transaction
            CREATE TABLE first_half (id INTEGER);
            INSERT INTO nowhere VALUES (1);

            """,
            "002_next.sql": "CREATE TABLE next (id INTEGER);\n",
        ], under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 1)
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT status, dirty FROM strata_schema_history;") == "failed|1\n")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 3)

        // Undo the partial change by hand and fix the file, then repair.
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), "DROP TABLE first_half;")
        try tmp.write(["001_partial.sql": "-- strata:no-transaction\nCREATE TABLE first_half (id INTEGER);\n"], under: "migrations")
        let repaired = try StrataProcess.strata(["-d", "a.db", "repair"], in: tmp.url)
        #expect(repaired.exitCode == 0, "\(repaired)")
        #expect(repaired.stdout.contains("clear_failed"), "\(repaired)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM strata_schema_history;") == "0\n")

        let up = try StrataProcess.strata(["-d", "a.db", "--format", "json", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        #expect(try Self.applied(up) == ["001", "002"])
        #expect(try Self.events(tmp.path("a.db"), "repaired") == 1)
        #expect(try Self.events(tmp.path("a.db"), "failed") == 1)
    }

    @Test func repairOnAProtectedEnvironmentNeedsConfirmation() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        try tmp.write(["strata.yml": "environments:\n  production:\n    database: sqlite:prod.db\n    protected: true\n"])
        #expect(try StrataProcess.strata(["--env", "production", "--yes", "up"], in: tmp.url).exitCode == 0)
        try tmp.write(["002_create_b.sql": "-- edited\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n"], under: "migrations")
        let refused = try StrataProcess.strata(["--env", "production", "repair"], in: tmp.url)
        #expect(refused.exitCode == 5, "\(refused)")
        #expect(try Self.events(tmp.path("prod.db"), "repaired") == 0)
        let accepted = try StrataProcess.strata(["--env", "production", "--yes", "repair"], in: tmp.url)
        #expect(accepted.exitCode == 0, "\(accepted)")
        #expect(try Self.events(tmp.path("prod.db"), "repaired") == 1)
    }

    // MARK: baseline

    @Test func baselineAnExistingDatabaseThenUpAppliesOnlyLaterOnes() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY);")

        let unknown = try StrataProcess.strata(["-d", "a.db", "baseline", "7"], in: tmp.url)
        #expect(unknown.exitCode == 2, "\(unknown)")
        let dry = try StrataProcess.strata(["-d", "a.db", "baseline", "2", "--dry-run"], in: tmp.url)
        #expect(dry.exitCode == 0 && dry.stdout.contains("001") && dry.stdout.contains("002"), "\(dry)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name LIKE 'strata_%';") == "0\n")

        let baselined = try StrataProcess.strata(["-d", "a.db", "baseline", "2"], in: tmp.url)
        #expect(baselined.exitCode == 0, "\(baselined)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT version, type, status FROM strata_schema_history ORDER BY version;")
                == "001|baseline|baselined\n002|baseline|baselined\n")
        #expect(try Self.events(tmp.path("a.db"), "baselined") == 2)

        let up = try StrataProcess.strata(["-d", "a.db", "--format", "json", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        #expect(try Self.applied(up) == ["003"])
        // A second baseline is refused: the history is no longer empty.
        let again = try StrataProcess.strata(["-d", "a.db", "baseline", "3"], in: tmp.url)
        #expect(again.exitCode == 3, "\(again)")
        // The stored down scripts still roll baselined versions back.
        let down = try StrataProcess.strata(["-d", "a.db", "down", "--all"], in: tmp.url)
        #expect(down.exitCode == 0, "\(down)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name IN ('a','b','c');") == "0\n")
    }

    @Test func baselineNeedsAnExistingDatabase() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        let r = try StrataProcess.strata(["-d", "none.db", "baseline", "1"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("none.db").path))
    }

    // MARK: adopt

    /// One foreign tool: its migration files, the SQL that tool would have left in the database,
    /// and what `up` must still apply after adopting.
    struct Tool: Sendable, CustomTestStringConvertible {
        var name: String
        var files: [String: String]
        var setup: String
        var adopted: Int
        var pending: [String]
        var testDescription: String { name }
    }

    static func sections(_ style: String, _ table: String) -> String {
        style == "goose" ? "-- +goose Up\nCREATE TABLE \(table) (id INTEGER);\n\n-- +goose Down\nDROP TABLE \(table);\n"
                         : "-- migrate:up\nCREATE TABLE \(table) (id INTEGER);\n\n-- migrate:down\nDROP TABLE \(table);\n"
    }

    static let tools: [Tool] = [
        Tool(name: "golang-migrate",
             files: ["1_create_a.up.sql": "CREATE TABLE a (id INTEGER);\n", "1_create_a.down.sql": "DROP TABLE a;\n",
                     "2_create_b.up.sql": "CREATE TABLE b (id INTEGER);\n", "2_create_b.down.sql": "DROP TABLE b;\n",
                     "3_create_c.up.sql": "CREATE TABLE c (id INTEGER);\n", "3_create_c.down.sql": "DROP TABLE c;\n"],
             setup: """
                CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);
                CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
                CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);
                INSERT INTO schema_migrations (version, dirty) VALUES (2, 0);
                """,
             adopted: 2, pending: ["3"]),
        Tool(name: "dbmate",
             files: ["20240101000001_create_a.sql": sections("dbmate", "a"), "20240101000002_create_b.sql": sections("dbmate", "b"),
                     "20240101000003_create_c.sql": sections("dbmate", "c")],
             setup: """
                CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);
                CREATE TABLE IF NOT EXISTS "schema_migrations" (version varchar(128) primary key);
                INSERT INTO schema_migrations (version) VALUES ('20240101000001'), ('20240101000002');
                """,
             adopted: 2, pending: ["20240101000003"]),
        Tool(name: "Rails",
             files: ["20240101000001_create_a.sql": sections("dbmate", "a"), "20240101000002_create_b.sql": sections("dbmate", "b"),
                     "20240101000003_create_c.sql": sections("dbmate", "c")],
             setup: """
                CREATE TABLE a (id INTEGER);
                CREATE TABLE "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY);
                CREATE TABLE "ar_internal_metadata" ("key" varchar NOT NULL PRIMARY KEY, "value" varchar, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
                INSERT INTO schema_migrations VALUES ('20240101000001');
                """,
             adopted: 1, pending: ["20240101000002", "20240101000003"]),
        Tool(name: "seed 001 schema_migrations(version, name, applied_at)",
             files: flat,
             setup: """
                CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY);
                CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
                INSERT INTO schema_migrations (version, name) VALUES (1, 'create_a'), (2, 'create_b');
                """,
             adopted: 2, pending: ["003"]),
        Tool(name: "seed 003 schema_migrations(version TEXT, status)",
             files: ["1.0.0_initial_schema.sql": "CREATE TABLE projects (id INTEGER);\n",
                     "1.1.0_add_task_tags.sql": "CREATE TABLE tags (id INTEGER);\n",
                     "1.2.0_add_milestones.sql": "CREATE TABLE milestones (id INTEGER);\n"],
             setup: """
                CREATE TABLE projects (id INTEGER); CREATE TABLE tags (id INTEGER);
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (datetime('now')), checksum TEXT, execution_time_ms INTEGER,
                    status TEXT NOT NULL DEFAULT 'pending',
                    CHECK (status IN ('pending', 'applied', 'failed', 'rolled_back')));
                INSERT INTO schema_migrations (version, description, status) VALUES ('1.0.0', 'Initial schema', 'applied');
                INSERT INTO schema_migrations (version, description, checksum, execution_time_ms, status) VALUES ('1.1.0', 'Add task tags', 'abc', 12, 'applied');
                INSERT INTO schema_migrations (version, description, status) VALUES ('1.2.0', 'Add milestones', 'failed');
                """,
             adopted: 2, pending: ["1.2.0"]),
        Tool(name: "goose",
             files: ["00001_create_a.sql": sections("goose", "a"), "00002_create_b.sql": sections("goose", "b"),
                     "00003_create_c.sql": sections("goose", "c")],
             setup: """
                CREATE TABLE a (id INTEGER);
                CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
                INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (2, 0);
                """,
             adopted: 1, pending: ["00002", "00003"]),
        Tool(name: "Flyway",
             files: ["V1__create_a.sql": "CREATE TABLE a (id INTEGER);\n", "V2__create_b.sql": "CREATE TABLE b (id INTEGER);\n",
                     "V3__create_c.sql": "CREATE TABLE c (id INTEGER);\n",
                     "R__views.sql": "DROP VIEW IF EXISTS va;\nCREATE VIEW va AS SELECT * FROM a;\n"],
             setup: """
                CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER); CREATE VIEW va AS SELECT * FROM a;
                CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50),
                    "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,
                    "checksum" INT, "installed_by" VARCHAR(100) NOT NULL,
                    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
                    "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL);
                INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
                    (1, '1', 'create a', 'SQL', 'V1__create_a.sql', 123, 'deploy', 5, 1),
                    (2, '2', 'create b', 'SQL', 'V2__create_b.sql', 456, 'deploy', 7, 1),
                    (3, NULL, 'views', 'SQL', 'R__views.sql', 789, 'deploy', 3, 1);
                """,
             adopted: 3, pending: ["3"]),
        Tool(name: "sqlx",
             files: ["20240101000001_create_a.sql": "CREATE TABLE a (id INTEGER);\n",
                     "20240101000002_create_b.up.sql": "CREATE TABLE b (id INTEGER);\n",
                     "20240101000002_create_b.down.sql": "DROP TABLE b;\n",
                     "20240101000003_create_c.sql": "CREATE TABLE c (id INTEGER);\n"],
             setup: """
                CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);
                CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                    checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
                INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES
                    (20240101000001, 'create a', TRUE, x'0badc0de', 1500000),
                    (20240101000002, 'create b', TRUE, x'deadbeef', 2500000);
                """,
             adopted: 2, pending: ["20240101000003"]),
        Tool(name: "seed 000 schema_version(rollback_sql)",
             files: ["001_create_a.sql": "-- Migration: Create A\nCREATE TABLE a (id INTEGER);\n",
                     "002_create_b.sql": "-- Migration: Create B\nCREATE TABLE b (id INTEGER);\n",
                     "003_create_c.sql": "-- Migration: Create C\nCREATE TABLE c (id INTEGER);\n",
                     "003_create_c.down.sql": "DROP TABLE c;\n"],
             setup: """
                CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);
                CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT DEFAULT CURRENT_TIMESTAMP, applied_by TEXT, rollback_sql TEXT);
                INSERT INTO schema_version (version, description, applied_by, rollback_sql) VALUES
                    (1, 'Create A', 'migration_script', 'DROP TABLE a;'),
                    (2, 'Create B', 'migration_script', 'DROP TABLE b;');
                """,
             adopted: 2, pending: ["003"]),
        Tool(name: "seed 002 migration_history",
             files: ["V001__create_a/up.sql": "CREATE TABLE a (id INTEGER);\n", "V001__create_a/down.sql": "DROP TABLE a;\n",
                     "V002__create_b/up.sql": "CREATE TABLE b (id INTEGER);\n", "V002__create_b/down.sql": "DROP TABLE b;\n",
                     "V003__create_c/up.sql": "CREATE TABLE c (id INTEGER);\n", "V003__create_c/down.sql": "DROP TABLE c;\n"],
             setup: """
                CREATE TABLE a (id INTEGER);
                CREATE TABLE migration_history (version INTEGER PRIMARY KEY, description TEXT NOT NULL, checksum TEXT NOT NULL,
                    applied_at TIMESTAMP NOT NULL, execution_time_ms INTEGER, status TEXT NOT NULL, rollback_at TIMESTAMP,
                    applied_by TEXT, metadata TEXT, error_message TEXT, hostname TEXT);
                INSERT INTO migration_history VALUES
                    (1, 'create a', 'aaa', '2024-06-01 12:00:00', 15, 'completed', NULL, 'migrate.py', '{"author":"dev"}', NULL, 'db-host'),
                    (2, 'create b', 'bbb', '2024-06-02 12:00:00', 20, 'rolled_back', '2024-06-03 12:00:00', 'migrate.py', NULL, NULL, 'db-host');
                """,
             adopted: 1, pending: ["V002", "V003"].map { String($0.dropFirst()) }),
    ]

    @Test("adopt imports the tool's history and up applies only what is new", arguments: tools)
    func adopt(_ tool: Tool) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(tool.files, under: "migrations")
        let db = tmp.path("a.db")
        _ = try StrataProcess.sqlite3(db, tool.setup)

        let dry = try StrataProcess.strata(["-d", "a.db", "adopt", "--dry-run"], in: tmp.url)
        #expect(dry.exitCode == 0, "\(tool.name): \(dry)")
        #expect(try StrataProcess.sqlite3(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'strata_%';") == "0\n")

        let adopted = try StrataProcess.strata(["-d", "a.db", "--format", "json", "adopt"], in: tmp.url)
        #expect(adopted.exitCode == 0, "\(tool.name): \(adopted)")
        let changes = try #require(try Self.json(adopted)["changes"] as? [[String: Any]])
        #expect(changes.count == tool.adopted, "\(tool.name): \(adopted)")

        let up = try StrataProcess.strata(["-d", "a.db", "--format", "json", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(tool.name): \(up)")
        #expect(try Self.applied(up) == tool.pending, "\(tool.name): \(up)")

        let history = try StrataProcess.strata(["-d", "a.db", "history"], in: tmp.url)
        #expect(history.stdout.split(separator: "\n").filter { $0.contains("Z  adopted ") }.count == tool.adopted,
                "\(tool.name): \(history)")
        #expect(try Self.events(db, "adopted") == tool.adopted)
        let status = try StrataProcess.strata(["-d", "a.db", "validate"], in: tmp.url)
        #expect(status.exitCode == 0, "\(tool.name): \(status)")
        // Adopting again changes nothing.
        let again = try StrataProcess.strata(["-d", "a.db", "adopt"], in: tmp.url)
        #expect(again.exitCode == 0 && again.stdout.contains("Nothing to adopt"), "\(tool.name): \(again)")
    }

    @Test func adoptedRollbackSQLIsUsedByDown() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_create_a.sql": "CREATE TABLE a (id INTEGER);\n", "002_create_b.sql": "CREATE TABLE b (id INTEGER);\n"],
                      under: "migrations")
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), """
            CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);
            CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT DEFAULT CURRENT_TIMESTAMP, applied_by TEXT, rollback_sql TEXT);
            INSERT INTO schema_version (version, description, applied_by, rollback_sql) VALUES
                (1, 'Create A', 'migration_script', 'DROP TABLE a;'), (2, 'Create B', 'migration_script', 'DROP TABLE b;');
            """)
        #expect(try StrataProcess.strata(["-d", "a.db", "adopt"], in: tmp.url).exitCode == 0)
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT applied_by, down_sql FROM strata_schema_history WHERE version = '002';")
                == "migration_script|DROP TABLE b;\n")
        let down = try StrataProcess.strata(["-d", "a.db", "down"], in: tmp.url)
        #expect(down.exitCode == 0, "\(down)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'b';") == "0\n")
    }

    @Test func adoptRefusesADirtyGolangMigrateDatabase() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), "CREATE TABLE schema_migrations (version uint64, dirty bool); INSERT INTO schema_migrations VALUES (2, 1);")
        let r = try StrataProcess.strata(["-d", "a.db", "adopt"], in: tmp.url)
        #expect(r.exitCode == 3, "\(r)")
        #expect(r.stderr.contains("dirty") && r.stderr.contains("force"), "\(r)")
    }

    @Test func adoptWithSeveralTablesNeedsFrom() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), """
            CREATE TABLE a (id INTEGER PRIMARY KEY);
            CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('1');
            CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
            INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);
            """)
        let ambiguous = try StrataProcess.strata(["-d", "a.db", "adopt"], in: tmp.url)
        #expect(ambiguous.exitCode == 2 && ambiguous.stderr.contains("--from"), "\(ambiguous)")
        let chosen = try StrataProcess.strata(["-d", "a.db", "adopt", "--from", "schema_migrations"], in: tmp.url)
        #expect(chosen.exitCode == 0 && chosen.stdout.contains("dbmate"), "\(chosen)")
        let unknown = try StrataProcess.strata(["-d", "a.db", "adopt", "--from", "a"], in: tmp.url)
        #expect(unknown.exitCode == 2, "\(unknown)")
    }

    @Test func adoptRecordsVersionsWithoutFilesUnlessSkipped() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        let setup = """
            CREATE TABLE a (id INTEGER PRIMARY KEY);
            CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('1'), ('42');
            """
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), setup)
        let recorded = try StrataProcess.strata(["-d", "a.db", "adopt"], in: tmp.url)
        #expect(recorded.exitCode == 0 && recorded.stderr.contains("missing"), "\(recorded)")
        let list = try StrataProcess.strata(["-d", "a.db", "list"], in: tmp.url)
        #expect(list.stdout.contains("42") && list.stdout.contains("missing"), "\(list)")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 3)

        _ = try StrataProcess.sqlite3(tmp.path("b.db"), setup)
        let skipped = try StrataProcess.strata(["-d", "b.db", "adopt", "--skip-missing"], in: tmp.url)
        #expect(skipped.exitCode == 0 && skipped.stderr.contains("42"), "\(skipped)")
        let up = try StrataProcess.strata(["-d", "b.db", "--format", "json", "up"], in: tmp.url)
        #expect(try Self.applied(up) == ["002", "003"], "\(up)")
    }

    @Test func adoptWithoutAForeignTableIsAnError() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.flat, under: "migrations")
        _ = try StrataProcess.sqlite3(tmp.path("a.db"), "CREATE TABLE a (id INTEGER);")
        let r = try StrataProcess.strata(["-d", "a.db", "adopt"], in: tmp.url)
        #expect(r.exitCode == 2 && r.stderr.contains("no history table"), "\(r)")
    }
}
