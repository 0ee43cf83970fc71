import Foundation
import Testing

/// The troubleshooting cases of seed 000 (and their relatives), end to end: each gives a clear
/// error, a hint that says what to do, the documented exit code, and leaves the database as it was.
///
/// Permission cases run `strata` as `nobody` through `runuser`: root ignores file permissions.
@Suite("Troubleshooting", .serialized)
struct TroubleshootingTests {
    static let firstMigration = [
        "001_create_t.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO t (name) VALUES ('a'), ('b');\n",
    ]
    static let secondMigration = ["002_create_u.sql": "CREATE TABLE u (id INTEGER PRIMARY KEY);\n"]

    /// A project with migration 001 applied to `app.db` (as root), and 002 pending.
    static func appliedProject() throws -> (TemporaryDirectory, URL) {
        let tmp = try TemporaryDirectory()
        try tmp.write(firstMigration, under: "migrations")
        let db = tmp.path("app.db")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        try tmp.write(secondMigration, under: "migrations")
        return (tmp, db)
    }

    static func contents(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    // MARK: - "attempt to write a readonly database"

    @Test func readOnlyDatabaseFileInWritableDirectory() throws {
        let (tmp, db) = try Self.appliedProject()
        try StrataProcess.chmod(tmp.url, 0o777)
        try StrataProcess.chmod(db, 0o444)
        let before = try Self.contents(db)
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url, runAs: "nobody")
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("attempt to write a readonly database"), "\(r.stderr)")
        #expect(r.stderr.contains("hint:") && r.stderr.contains("chmod 644"), "\(r.stderr)")
        #expect(try Self.contents(db) == before, "the database must be unchanged")

        // As JSON: the same error as a document on stdout.
        let json = try StrataProcess.strata(["-d", db.path, "--format", "json", "up"], in: tmp.url, runAs: "nobody")
        #expect(json.exitCode == 2, "\(json)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: Any], "\(json.stdout)")
        #expect((error["message"] as? String)?.contains("readonly database") == true, "\(error)")
        #expect((error["hint"] as? String)?.contains("chmod") == true, "\(error)")
        #expect((error["database_code"] as? String)?.hasPrefix("SQLITE_READONLY") == true, "\(error)")

        // Reading still works.
        let status = try StrataProcess.strata(["-d", db.path, "status"], in: tmp.url, runAs: "nobody")
        #expect(status.exitCode == 0, "\(status)")
        #expect(try Self.contents(db) == before)
    }

    @Test func readOnlyDatabaseFileInReadOnlyDirectory() throws {
        let (tmp, db) = try Self.appliedProject()
        try StrataProcess.chmod(tmp.url, 0o755)  // root's: not writable for nobody
        try StrataProcess.chmod(db, 0o444)
        let before = try Self.contents(db)
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url, runAs: "nobody")
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("readonly") || r.stderr.contains("read-only") || r.stderr.contains("not writable"),
                "\(r.stderr)")
        #expect(r.stderr.contains("hint:") && r.stderr.contains("chmod"), "\(r.stderr)")
        #expect(try Self.contents(db) == before, "the database must be unchanged")
        // Only what the setup's own run (as root) created: the database, the migrations and its backups.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == ["app.db", "backups", "migrations"])
    }

    @Test func writableDatabaseFileInReadOnlyDirectory() throws {
        // SQLite creates its rollback journal next to the database: without a writable directory
        // the first write fails (SQLITE_READONLY_DIRECTORY), even though the file is writable.
        let (tmp, db) = try Self.appliedProject()
        try StrataProcess.chown(db, to: "nobody")
        try StrataProcess.chmod(db, 0o644)
        try StrataProcess.chmod(tmp.url, 0o755)
        let before = try Self.contents(db)
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url, runAs: "nobody")
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("readonly") || r.stderr.contains("read-only") || r.stderr.contains("not writable")
                || r.stderr.contains("unable to open"), "\(r.stderr)")
        #expect(r.stderr.contains("hint:") && r.stderr.contains("director"), "the hint names the directory: \(r.stderr)")
        #expect(try Self.contents(db) == before, "the database must be unchanged")
    }

    // MARK: - "file is not a database" / "database disk image is malformed"

    @Test func randomBytesAreNotADatabase() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.firstMigration, under: "migrations")
        let db = tmp.path("app.db")
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try garbage.write(to: db)
        for command in [["up"], ["status"], ["verify"]] {
            let r = try StrataProcess.strata(["-d", db.path] + command, in: tmp.url)
            #expect(r.exitCode == 2, "\(command): \(r)")
            #expect(r.stderr.contains("file is not a database"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("strata restore") && r.stderr.contains("strata backups"), "\(command): \(r.stderr)")
        }
        #expect(try Self.contents(db) == garbage, "the file must be unchanged")
    }

    @Test func garbledDatabaseIsMalformed() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.firstMigration, under: "migrations")
        let db = tmp.path("app.db")
        #expect(try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url).exitCode == 0)
        // Keep page 1 (the header and sqlite_master) and garble every other page.
        var bytes = try Self.contents(db)
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        #expect(bytes.count > pageSize, "the database has more than one page")
        for i in pageSize..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        try bytes.write(to: db)
        try tmp.write(Self.secondMigration, under: "migrations")
        for command in [["up"], ["status"]] {
            let r = try StrataProcess.strata(["-d", db.path] + command, in: tmp.url)
            #expect(r.exitCode == 2, "\(command): \(r)")
            #expect(r.stderr.contains("malformed") || r.stderr.contains("not a database"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("strata restore") && r.stderr.contains("strata backups"), "\(command): \(r.stderr)")
        }
        #expect(try Self.contents(db) == bytes, "the file must be unchanged")
    }

    @Test func truncatedDatabaseIsReported() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.firstMigration, under: "migrations")
        let db = tmp.path("app.db")
        #expect(try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url).exitCode == 0)
        let bytes = try Self.contents(db)
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        let truncated = bytes.prefix(pageSize + pageSize / 2)  // page 1 and half of page 2
        try truncated.write(to: db)
        try tmp.write(Self.secondMigration, under: "migrations")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("malformed") || r.stderr.contains("not a database"), "\(r.stderr)")
        #expect(r.stderr.contains("strata restore") && r.stderr.contains("strata backups"), "\(r.stderr)")
        let verify = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(verify.exitCode != 0, "\(verify)")
        #expect((verify.stdout + verify.stderr).contains("strata restore"), "\(verify)")
    }

    // MARK: - "database is locked"

    @Test func databaseLockedByAnotherProcess() throws {
        let (tmp, db) = try Self.appliedProject()
        let before = try Self.contents(db)
        // The sqlite3 shell holds an exclusive lock until its input is closed.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["sqlite3", db.path]
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE;\nINSERT INTO t (name) VALUES ('held');\n".utf8))
        // The rollback journal appears with the INSERT, which runs after BEGIN EXCLUSIVE took the lock.
        let journal = db.path + "-journal"
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: journal) && Date() < deadline { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: journal), "sqlite3 took the lock")

        let start = Date()
        let r = try StrataProcess.strata(["-d", db.path, "--lock-timeout", "1", "up"], in: tmp.url)
        let waited = Date().timeIntervalSince(start)
        // Exit 2, not 4: SQLITE_BUSY from a foreign process is the database being unavailable
        // (as for every other SQLite error); 4 is Strata's own migration lock held by another runner.
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("database is locked"), "\(r.stderr)")
        #expect(r.stderr.contains("another process") && r.stderr.contains("--lock-timeout"), "\(r.stderr)")
        #expect(waited >= 0.9 && waited < 30, "waited about the lock timeout: \(waited) s")

        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        #expect(try Self.contents(db) == before, "the holder rolled back; strata changed nothing")
        let again = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(again.exitCode == 0, "once the lock is released, up works: \(again)")
    }

    // MARK: - "cannot add a column with non-constant default"

    @Test func nonConstantDefaultExplainsTheTwoStepFix() throws {
        let (tmp, db) = try Self.appliedProject()
        try FileManager.default.removeItem(at: tmp.path("migrations/002_create_u.sql"))
        try tmp.write(["002_add_created_at.sql": """
            -- Migration: Add created_at
            ALTER TABLE t ADD COLUMN created_at TEXT DEFAULT (datetime('now'));

            """], under: "migrations")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("migrations/002_add_created_at.sql:2:"), "\(r.stderr)")
        #expect(r.stderr.lowercased().contains("cannot add a column with non-constant default"), "\(r.stderr)")
        #expect(r.stderr.contains("ADD COLUMN <column> <type>"), "step 1 of seed 000's fix: \(r.stderr)")
        #expect(r.stderr.contains("UPDATE <table> SET <column> = <expression> WHERE <column> IS NULL"),
                "step 2 of seed 000's fix: \(r.stderr)")
        let columns = try StrataProcess.sqlite3(db, "SELECT name FROM pragma_table_info('t') ORDER BY cid;")
        #expect(columns == "id\nname\n", "the migration was rolled back")

        // The fix from the hint works.
        try tmp.write(["002_add_created_at.sql": """
            ALTER TABLE t ADD COLUMN created_at TEXT;
            UPDATE t SET created_at = datetime('now') WHERE created_at IS NULL;

            """], under: "migrations")
        let fixed = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(fixed.exitCode == 0, "\(fixed)")
        #expect(try StrataProcess.sqlite3(db, "SELECT COUNT(*) FROM t WHERE created_at IS NOT NULL;") == "2\n")
    }
}
