import Foundation
import Testing

/// Global options, database lookup, JSON keys and exit codes of SPEC §4.
@Suite("Command line")
struct CommandLineTests {
    static let twoMigrations = [
        "001_create_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
        "001_create_a.down.sql": "DROP TABLE a;\n",
        "002_create_b.sql": "CREATE TABLE b (id INTEGER PRIMARY KEY);\n",
        "002_create_b.down.sql": "DROP TABLE b;\n",
    ]

    @Test func embeddedDefaultDatabaseIsUsedAndAnnounced() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        let r = try StrataProcess.strata(["up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stderr.contains("embedded default sqlite:strata.db"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("strata.db").path))
    }

    @Test func databaseLookupOrder() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        // DB_FILE (seed 000) is last; DATABASE_URL beats it; STRATA_DATABASE_URL beats both; --database beats all.
        var r = try StrataProcess.strata(["up"], in: tmp.url, environment: ["DB_FILE": "dbfile.db"])
        #expect(r.exitCode == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("dbfile.db").path))
        r = try StrataProcess.strata(["up"], in: tmp.url, environment: ["DB_FILE": "dbfile.db", "DATABASE_URL": "sqlite:url.db"])
        #expect(FileManager.default.fileExists(atPath: tmp.path("url.db").path))
        r = try StrataProcess.strata(["up"], in: tmp.url, environment: ["DATABASE_URL": "sqlite:url.db", "STRATA_DATABASE_URL": "sqlite:strata-url.db"])
        #expect(FileManager.default.fileExists(atPath: tmp.path("strata-url.db").path))
        r = try StrataProcess.strata(["-d", "given.sqlite", "up"], in: tmp.url, environment: ["STRATA_DATABASE_URL": "sqlite:strata-url.db"])
        #expect(FileManager.default.fileExists(atPath: tmp.path("given.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("strata.db").path))
    }

    @Test func globalOptionsWorkBeforeAndAfterTheCommand() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "m")
        var r = try StrataProcess.strata(["-d", "sqlite:x.db", "-m", "m", "--yes", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        r = try StrataProcess.strata(["status", "-d", "sqlite:x.db", "-m", "m", "--format", "json"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("\"current_version\": \"002\""), "\(r)")
    }

    @Test func statusJSONHasTheSpecKeys() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        _ = try StrataProcess.strata(["-d", "a.db", "up", "--target", "1"], in: tmp.url)
        let r = try StrataProcess.strata(["-d", "a.db", "--format", "json", "status"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(Set(doc.keys).isSuperset(of: ["database", "current_version", "applied", "pending", "problems"]))
        #expect(doc["current_version"] as? String == "001")
        let applied = try #require((doc["applied"] as? [[String: Any]])?.first)
        #expect(Set(applied.keys).isSuperset(of: ["version", "description", "checksum", "applied_at", "applied_by", "execution_time_ms", "status"]))
        let pending = try #require((doc["pending"] as? [[String: Any]])?.first)
        #expect(Set(pending.keys).isSuperset(of: ["version", "description", "script"]))
        #expect(pending["script"] as? String == "migrations/002_create_b.sql")
    }

    @Test func upJSONHasTheSpecKeys() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "--format", "json", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let applied = try #require(doc["applied"] as? [[String: Any]])
        #expect(applied.map { $0["version"] as? String } == ["001", "002"])
        #expect(applied.allSatisfy { $0["execution_time_ms"] is Int })
        #expect(doc["current_version"] as? String == "002")
        #expect(doc.keys.contains("backup"))
        let down = try StrataProcess.strata(["-d", "a.db", "--format", "json", "down"], in: tmp.url)
        let downDoc = try #require(try JSONSerialization.jsonObject(with: Data(down.stdout.utf8)) as? [String: Any])
        #expect((downDoc["rolled_back"] as? [[String: Any]])?.first?["version"] as? String == "002")
    }

    @Test func dryRunShowsTheSQLAndWritesNothing() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "up", "--dry-run"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("CREATE TABLE a (id INTEGER PRIMARY KEY);"), "\(r.stdout)")
        #expect(r.stdout.contains("002"))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("a.db").path))
    }

    @Test func readOnlyCommandsDoNotCreateTheDatabase() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        for command in ["status", "list", "history", "validate"] {
            let r = try StrataProcess.strata(["-d", "ro.db", command], in: tmp.url)
            #expect(r.exitCode == 0, "\(command): \(r)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.path("ro.db").path))
    }

    @Test func usageErrorsExit64() throws {
        let tmp = try TemporaryDirectory()
        #expect(try StrataProcess.strata(["up", "--no-such-flag"], in: tmp.url).exitCode == 64)
        #expect(try StrataProcess.strata(["down", "--steps", "1", "--all"], in: tmp.url).exitCode == 64)
        #expect(try StrataProcess.strata(["--format", "yaml", "status"], in: tmp.url).exitCode == 64)
    }

    @Test func configurationErrorsExit2() throws {
        let tmp = try TemporaryDirectory()
        #expect(try StrataProcess.strata(["-d", "mysql://x/y", "status"], in: tmp.url).exitCode == 2)
        #expect(try StrataProcess.strata(["--env", "nope", "status"], in: tmp.url).exitCode == 2)
        let missingDir = try StrataProcess.strata(["-m", "nowhere", "status"], in: tmp.url)
        #expect(missingDir.exitCode == 2, "\(missingDir)")
        try tmp.write(["strata.yml": "migrations: [unclosed\n"])
        let badYAML = try StrataProcess.strata(["status"], in: tmp.url)
        #expect(badYAML.exitCode == 2)
        #expect(badYAML.stderr.contains("strata.yml:"), "\(badYAML.stderr)")
    }

    @Test func mixedLayoutsAndDuplicatesExit2ListingTheFiles() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_a.sql": "SELECT 1;", "V002__b/up.sql": "SELECT 1;"], under: "mixed")
        let mixed = try StrataProcess.strata(["-d", "a.db", "-m", "mixed", "up"], in: tmp.url)
        #expect(mixed.exitCode == 2, "\(mixed)")
        #expect(mixed.stderr.contains("001_a.sql") && mixed.stderr.contains("V002__b"), "\(mixed.stderr)")
        try tmp.write(["001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 1;"], under: "dup")
        let dup = try StrataProcess.strata(["-d", "a.db", "-m", "dup", "up"], in: tmp.url)
        #expect(dup.exitCode == 2, "\(dup)")
        #expect(dup.stderr.contains("001_a.sql") && dup.stderr.contains("1_b.sql"), "\(dup.stderr)")
        // Source errors are found before the database is opened: it was never created.
        #expect(!FileManager.default.fileExists(atPath: tmp.path("a.db").path))
    }

    @Test func changedAppliedMigrationStopsUpWithExit3() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        // Line endings alone are not a change.
        try tmp.write(["001_create_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\r\n"], under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        try tmp.write(["001_create_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url)
        #expect(r.exitCode == 3, "\(r)")
        #expect(r.stderr.contains("checksum mismatch") && r.stderr.contains("Expected:") && r.stderr.contains("Got:"), "\(r.stderr)")
        let v = try StrataProcess.strata(["-d", "a.db", "validate"], in: tmp.url)
        #expect(v.exitCode == 3, "\(v)")
    }

    @Test func rollbackRefusesOutOfOrderUnlessForced() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        let refused = try StrataProcess.strata(["-d", "a.db", "rollback", "001"], in: tmp.url)
        #expect(refused.exitCode == 3, "\(refused)")
        let forced = try StrataProcess.strata(["-d", "a.db", "rollback", "create_a", "--force"], in: tmp.url)
        #expect(forced.exitCode == 0, "\(forced)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT version, status FROM strata_schema_history ORDER BY version;")
                == "001|rolled_back\n002|applied\n")
    }

    @Test func downUsesTheStoredDownScriptWhenTheFileIsGone() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        try FileManager.default.removeItem(at: tmp.path("migrations/002_create_b.sql"))
        try FileManager.default.removeItem(at: tmp.path("migrations/002_create_b.down.sql"))
        let status = try StrataProcess.strata(["-d", "a.db", "list"], in: tmp.url)
        #expect(status.stdout.contains("missing"), "\(status)")
        let r = try StrataProcess.strata(["-d", "a.db", "down"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'b';") == "0\n")
    }

    @Test func migrationWithoutDownCannotBeRolledBack() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_a.sql": "CREATE TABLE a (id INTEGER);\n", "001_a.down.sql": "-- nothing to undo\n"], under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        let r = try StrataProcess.strata(["-d", "a.db", "down"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("cannot be rolled back"), "\(r.stderr)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT status FROM strata_schema_history;") == "applied\n")
    }

    @Test func protectedEnvironmentNeedsConfirmation() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        try tmp.write(["strata.yml": """
            environments:
              dev:
                database: sqlite:dev.db
              production:
                database: "sqlite:${PROD_DB}"
                protected: true

            """])
        let env = ["PROD_DB": "prod.db"]
        #expect(try StrataProcess.strata(["--env", "dev", "up"], in: tmp.url, environment: env).exitCode == 0)
        let refused = try StrataProcess.strata(["--env", "production", "up"], in: tmp.url, environment: env)
        #expect(refused.exitCode == 5, "\(refused)")
        #expect(try StrataProcess.sqlite3(tmp.path("prod.db"), "SELECT count(*) FROM sqlite_master WHERE name IN ('a','b');") == "0\n")
        let accepted = try StrataProcess.strata(["--env", "production", "--yes", "up"], in: tmp.url, environment: env)
        #expect(accepted.exitCode == 0, "\(accepted)")
        #expect(try StrataProcess.sqlite3(tmp.path("prod.db"), "SELECT count(*) FROM sqlite_master WHERE name IN ('a','b');") == "2\n")
    }

    @Test func redoReappliesTheNewestMigration() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.twoMigrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "a.db", "up"], in: tmp.url).exitCode == 0)
        try tmp.write(["002_create_b.sql": "CREATE TABLE b (id INTEGER PRIMARY KEY, extra TEXT);\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", "a.db", "redo"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(tmp.path("a.db"), "SELECT count(*) FROM pragma_table_info('b') WHERE name = 'extra';") == "1\n")
    }
}
