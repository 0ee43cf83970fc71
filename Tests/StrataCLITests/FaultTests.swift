import Foundation
import Testing

/// A full disk during a migration and during a backup (a small tmpfs, mounted as root), and the
/// database file deleted or replaced while `strata up` runs: a clear error, no corruption, a true
/// history, and the next run recovers.
@Suite("Faults", .serialized)
struct FaultTests {
    /// A tmpfs of `size` mounted on a new directory; unmounted at the end. Needs root: the test
    /// fails loudly otherwise.
    final class SmallFilesystem {
        let url: URL

        init(size: String) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-tmpfs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            guard getuid() == 0 else {
                Issue.record("disk-full tests mount a small tmpfs and must run as root; uid is \(getuid())")
                throw CancellationError()
            }
            let r = try StrataProcess.run("mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0755", "tmpfs", url.path],
                                          in: FileManager.default.temporaryDirectory)
            guard r.exitCode == 0 else {
                Issue.record("mount -t tmpfs failed (the disk-full tests need it): \(r)")
                throw CancellationError()
            }
        }

        func resize(_ size: String) throws {
            let r = try StrataProcess.run("mount", ["-o", "remount,size=\(size)", url.path], in: url)
            #expect(r.exitCode == 0, "\(r)")
        }

        func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

        deinit {
            _ = try? StrataProcess.run("umount", [url.path], in: FileManager.default.temporaryDirectory)
            try? FileManager.default.removeItem(at: url)
        }
    }

    static let small = ["001_accounts.sql": "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO accounts (name) VALUES ('a'), ('b');\n"]
    static let big = ["002_events.sql": """
        CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000)
        INSERT INTO events (payload) SELECT hex(randomblob(16)) FROM c;

        """]

    @Test func diskFullDuringAMigrationRollsItBackAndTheNextRunAppliesIt() throws {
        let fs = try SmallFilesystem(size: "1m")
        let project = try TemporaryDirectory()
        try project.write(Self.small.merging(Self.big) { a, _ in a }, under: "migrations")
        let db = SQLiteTestDatabase(file: fs.path("app.db"))

        let r = try StrataProcess.strata(["-d", db.url, "up"], in: project.url)
        #expect(r.exitCode == 2, "\(r)")
        // At the statement that filled the disk, or at COMMIT when SQLite wrote its pages then.
        #expect(r.stderr.contains("migrations/002_events.sql:2:1: error: database or disk is full [SQLITE_FULL]")
                || r.stderr.contains("error: cannot commit: database or disk is full [SQLITE_FULL]"), "\(r.stderr)")
        #expect(r.stdout.contains("failed to apply 002 events; it was rolled back"), "\(r.stdout)")
        #expect(r.stderr.contains("hint: the disk or the file-size limit is full"), "\(r.stderr)")
        #expect(try db.integrityCheck() == "ok")
        #expect(try db.tableNames() == ["accounts", "strata_schema_history", "strata_schema_log"])
        // The failure is recorded when there is room for it; never as applied.
        let history = try db.query("SELECT version || '|' || status FROM strata_schema_history ORDER BY version")
        #expect(history == ["001|applied", "002|failed"] || history == ["001|applied"], "\(history)")
        #expect(!FileManager.default.fileExists(atPath: db.lockFile!.path))

        try fs.resize("64m")
        let again = try StrataProcess.strata(["-d", db.url, "up"], in: project.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(try db.integrityCheck() == "ok")
        #expect(try db.query("SELECT version || '|' || status FROM strata_schema_history ORDER BY version") == ["001|applied", "002|applied"])
        #expect(try db.query("SELECT count(*) FROM events") == ["60000"])
    }

    @Test func diskFullDuringABackupLeavesNoBackupAndTheDatabaseUntouched() throws {
        let fs = try SmallFilesystem(size: "512k")
        let project = try TemporaryDirectory()
        try project.write(Self.small.merging(Self.big) { a, _ in a }, under: "migrations")
        try project.write(["strata.yml": "backups:\n  dir: \(fs.url.path)\n"])
        let db = SQLiteTestDatabase(file: project.path("app.db"))
        #expect(try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: project.url).exitCode == 0)
        let before = try Data(contentsOf: db.file)

        let backup = try StrataProcess.strata(["-d", db.url, "backup"], in: project.url)
        #expect(backup.exitCode == 2, "\(backup)")
        #expect(backup.stderr.contains("full") && backup.stderr.contains("hint:"), "\(backup.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fs.url.path) == [], "no partial backup is left")
        #expect(try Data(contentsOf: db.file) == before)

        // A migration whose backup cannot be taken does not run.
        try project.write(["003_more.sql": "CREATE TABLE more (id INTEGER);\n"], under: "migrations")
        let up = try StrataProcess.strata(["-d", db.url, "up"], in: project.url)
        #expect(up.exitCode == 2, "\(up)")
        #expect(try Data(contentsOf: db.file) == before, "nothing ran without its backup")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fs.url.path) == [])
        #expect(!FileManager.default.fileExists(atPath: db.lockFile!.path))

        try fs.resize("64m")
        let again = try StrataProcess.strata(["-d", db.url, "up"], in: project.url)
        #expect(again.exitCode == 0, "\(again)")
        let backups = try FileManager.default.contentsOfDirectory(atPath: fs.url.path)
        #expect(backups.count == 1 && backups[0].hasPrefix("app_pre_v002_"), "\(backups)")
        #expect(try StrataProcess.sqlite3(fs.path(backups[0]), "PRAGMA integrity_check; SELECT count(*) FROM events;") == "ok\n60000\n")
    }

    // MARK: - The database file deleted or replaced mid-run

    enum Swap: String, CaseIterable, Sendable {
        case deleted, replaced
    }

    @Test(arguments: Swap.allCases)
    func databaseFileSwappedMidRun(swap: Swap) throws {
        let slow = LedgerMigrations(count: 6, rowsPerMigration: 2_000, busyWork: 300_000)
        let tmp = try TemporaryDirectory()
        try tmp.write(slow.files, under: "migrations")
        let db = SQLiteTestDatabase(file: tmp.path("app.db"))
        let other = tmp.path("other.db")
        _ = try StrataProcess.sqlite3(other, "CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (42);")
        let otherBytes = try Data(contentsOf: other)

        let run = try RunningStrata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        try #require(run.waitFor("[1/6] applied"), "\(run.stdout)\n\(run.stderr)")
        switch swap {
        case .deleted: try FileManager.default.removeItem(at: db.file)
        case .replaced: #expect(rename(other.path, db.file.path) == 0)
        }
        let (r, killed) = run.finish()
        #expect(!killed && r.exitCode == 2, "\(r)")
        // SQLite notices a moved file at its next write (READONLY_DBMOVED); when the deletion lands
        // during a journal or page write it reports a disk I/O error instead. Either way: exit 2.
        let moved = r.stderr.contains("SQLITE_READONLY_DBMOVED")
        #expect(moved || (swap == .deleted && r.stderr.contains("SQLITE_IOERR")), "\(r.stderr)")
        if moved {
            #expect(r.stderr.contains("deleted, moved or replaced while Strata was using it"), "\(r.stderr)")
        }
        #expect(!r.stderr.contains("chmod"), "not a permission problem: \(r.stderr)")

        switch swap {
        case .deleted:
            #expect(!FileManager.default.fileExists(atPath: db.file.path), "nothing recreated the file")
        case .replaced:
            #expect(try Data(contentsOf: db.file) == otherBytes, "the file put in its place is untouched")
        }
        // The next run migrates whatever is at the path now, from scratch.
        let again = try StrataProcess.strata(["-d", db.url, "up", "--no-backup"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(try db.integrityCheck() == "ok")
        #expect(try slow.checkPrefix(db, "after \(swap)") == slow.count)
    }
}
