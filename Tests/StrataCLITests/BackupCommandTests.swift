import Foundation
import Testing

/// `backup`, `backups` and `restore` end to end through the built binary (SPEC §4, §5).
@Suite("Backup commands")
struct BackupCommandTests {
    static let first = [
        "001_create_users.sql": """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
        INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com'), (3, 'c@example.com');

        """,
        "001_create_users.down.sql": "DROP TABLE users;\n",
    ]

    func json(_ r: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
    }

    func backupNames(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    @Test func backupListAndRestoreAfterABadMigration() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.first, under: "migrations")
        let db = tmp.path("app.db")
        var r = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let goodSchema = try StrataProcess.schema(db)

        r = try StrataProcess.strata(["-d", "app.db", "backup"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("backups/app_pre_v001_"), "\(r)")
        r = try StrataProcess.strata(["-d", "app.db", "--format", "json", "backup"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let made = try #require(try json(r)["backup"] as? [String: Any])
        let backupPath = try #require(made["path"] as? String)
        #expect(backupPath.range(of: #"^backups/app_pre_v001_\d{8}T\d{9}Z\.db$"#, options: .regularExpression) != nil, "\(backupPath)")
        #expect(made["version"] as? String == "001")
        #expect(made["compressed"] as? Bool == false)
        let attributes = try FileManager.default.attributesOfItem(atPath: tmp.path(backupPath).path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // A migration that succeeds but is wrong: it deletes data and adds junk.
        try tmp.write(["002_bad_cleanup.sql": """
            DELETE FROM users WHERE id > 1;
            ALTER TABLE users ADD COLUMN junk TEXT;
            CREATE TABLE oops (x INTEGER);

            """], under: "migrations")
        r = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(db, "SELECT COUNT(*) FROM users;") == "1\n")

        r = try StrataProcess.strata(["-d", "app.db", "--format", "json", "backups"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        var doc = try json(r)
        #expect(doc["database"] as? String == "app.db")
        var listed = try #require(doc["backups"] as? [[String: Any]])
        #expect(listed.contains { $0["path"] as? String == backupPath })
        for entry in listed {
            #expect(Set(entry.keys) == ["path", "size", "version", "created_at", "compressed"], "\(entry)")
            #expect((entry["size"] as? Int ?? 0) > 0)
        }
        let times = listed.compactMap { $0["created_at"] as? String }
        #expect(times == times.sorted(by: >), "newest first")

        r = try StrataProcess.strata(["-d", "app.db", "backups"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("FILE") && r.stdout.contains((backupPath as NSString).lastPathComponent), "\(r)")

        r = try StrataProcess.strata(["-d", "app.db", "restore", backupPath], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("Restored"), "\(r)")
        #expect(try StrataProcess.schema(db) == goodSchema)
        #expect(try StrataProcess.sqlite3(db, "SELECT id, email FROM users ORDER BY id;")
                == "1|a@example.com\n2|b@example.com\n3|c@example.com\n")
        #expect(try StrataProcess.sqlite3(db, "SELECT version FROM strata_schema_history WHERE status = 'applied';") == "001\n")
        #expect(try StrataProcess.sqlite3(db, "PRAGMA integrity_check;") == "ok\n")

        // The database as it was before the restore is one of the backups now, at version 002.
        r = try StrataProcess.strata(["-d", "app.db", "--format", "json", "backups"], in: tmp.url)
        doc = try json(r)
        listed = try #require(doc["backups"] as? [[String: Any]])
        let safety = try #require(listed.first)
        #expect(safety["version"] as? String == "002", "\(listed)")
        let safetyPath = try #require(safety["path"] as? String)
        #expect(try StrataProcess.sqlite3(tmp.path(safetyPath), "SELECT COUNT(*) FROM users;") == "1\n")

        // And status agrees: 002 is pending again.
        r = try StrataProcess.strata(["-d", "app.db", "--format", "json", "status"], in: tmp.url)
        #expect(try json(r)["current_version"] as? String == "001")
    }

    @Test func restoreJSONAndRefusals() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.first, under: "migrations")
        let db = tmp.path("app.db")
        #expect(try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url).exitCode == 0)
        let made = try StrataProcess.strata(["-d", "app.db", "--format", "json", "backup"], in: tmp.url)
        let backupPath = try #require((try json(made)["backup"] as? [String: Any])?["path"] as? String)

        // Not a database: refused with exit 2, and the database is untouched.
        try tmp.write(["notes.db": "just some notes, not SQLite\n"])
        let before = try Data(contentsOf: db)
        var r = try StrataProcess.strata(["-d", "app.db", "restore", "notes.db"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("not an SQLite database"), "\(r)")
        #expect(r.stderr.contains("hint:"), "\(r)")
        #expect(try Data(contentsOf: db) == before)
        r = try StrataProcess.strata(["-d", "app.db", "restore", "missing.db"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(try Data(contentsOf: db) == before)

        r = try StrataProcess.strata(["-d", "app.db", "--format", "json", "restore", backupPath], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let doc = try json(r)
        let restored = try #require(doc["restored"] as? [String: Any])
        #expect(restored["path"] as? String == backupPath)
        #expect(restored["version"] as? String == "001")
        let safety = try #require(doc["safety_backup"] as? [String: Any])
        #expect((safety["path"] as? String)?.hasPrefix("backups/app_pre_v001_") == true, "\(safety)")
    }

    @Test func protectedEnvironmentAsksBeforeRestoring() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.first, under: "migrations")
        try tmp.write(["strata.yml": """
            environments:
              production:
                database: sqlite:prod.db
                protected: true

            """])
        #expect(try StrataProcess.strata(["--env", "production", "--yes", "up"], in: tmp.url).exitCode == 0)
        let made = try StrataProcess.strata(["--env", "production", "--format", "json", "backup"], in: tmp.url)
        #expect(made.exitCode == 0, "backup changes nothing, so it needs no confirmation: \(made)")
        let backupPath = try #require((try json(made)["backup"] as? [String: Any])?["path"] as? String)

        var r = try StrataProcess.strata(["--env", "production", "restore", backupPath], in: tmp.url)
        #expect(r.exitCode == 5, "\(r)")
        r = try StrataProcess.strata(["--env", "production", "--yes", "restore", backupPath], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
    }

    @Test func configuredDirectoryKeepAndCompression() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.first, under: "migrations")
        try tmp.write(["strata.yml": """
            backups:
              dir: snapshots
              keep: 2
              compress: true

            """])
        try FileManager.default.createDirectory(at: tmp.path("data"), withIntermediateDirectories: true)
        #expect(try StrataProcess.strata(["-d", "data/app.db", "up"], in: tmp.url).exitCode == 0)
        for _ in 0..<3 {
            let r = try StrataProcess.strata(["-d", "data/app.db", "backup"], in: tmp.url)
            #expect(r.exitCode == 0, "\(r)")
        }
        // The relative directory is beside the database; only the newest two remain.
        let names = backupNames(tmp.path("data/snapshots")).filter { $0.hasPrefix("app_pre_v001_") }
        #expect(names.count == 2, "\(names)")
        #expect(names.allSatisfy { $0.hasSuffix(".db.gz") }, "\(names)")

        // --output writes exactly there, and --compress is honoured there too.
        let r = try StrataProcess.strata(["-d", "data/app.db", "backup", "--output", "exports/copy.db"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let bytes = try Data(contentsOf: tmp.path("exports/copy.db"))
        #expect(Array(bytes.prefix(2)) == [0x1F, 0x8B])

        // A gzip backup restores too.
        let newest = try #require(names.last)
        let restore = try StrataProcess.strata(["-d", "data/app.db", "restore", "data/snapshots/\(newest)"], in: tmp.url)
        #expect(restore.exitCode == 0, "\(restore)")
        #expect(try StrataProcess.sqlite3(tmp.path("data/app.db"), "SELECT COUNT(*) FROM users;") == "3\n")
    }

    /// PostgreSQL backups are covered against a real server in PostgresCommandTests; here the
    /// server is unreachable, and the errors say so without the password.
    @Test func postgresBackupCommandsReportAnUnreachableServer() throws {
        let tmp = try TemporaryDirectory()
        for command in [["backup"], ["restore", "x.dump"]] {
            let r = try StrataProcess.strata(["-d", "postgres://app:secret@127.0.0.1:1/app"] + command, in: tmp.url)
            #expect(r.exitCode == 2, "\(r)")
            #expect(!r.stderr.contains("secret") && r.stderr.contains("app:***@"), "\(r)")
        }
        let list = try StrataProcess.strata(["-d", "postgres://app:secret@127.0.0.1:1/app", "backups"], in: tmp.url)
        #expect(list.exitCode == 0 && list.stdout.contains("(none;"), "\(list)")
    }

    @Test func backupOfAMissingDatabaseFails() throws {
        let tmp = try TemporaryDirectory()
        let r = try StrataProcess.strata(["-d", "none.db", "backup"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("does not exist"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("none.db").path))
    }
}
