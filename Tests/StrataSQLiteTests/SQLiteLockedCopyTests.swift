import Foundation
import GRDB
import Strata
@testable import StrataSQLite
import Testing

/// The byte copy of a WAL database: the main file with the log's committed frames written over it
/// must be, byte for byte, what a full checkpoint leaves in the main file.
@Suite("SQLite locked copy of a WAL database")
struct SQLiteLockedCopyTests {
    let dir = TempDir()

    func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    func fileSize(_ path: String) -> Int { bytes(path).count }

    /// Where two files' bytes first differ (the shorter one's length when one is a prefix of the
    /// other); `nil` when they are the same.
    func firstDifference(_ a: String, _ b: String) -> Int? {
        let (x, y) = (bytes(a), bytes(b))
        if let index = zip(x, y).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset { return index }
        return x.count == y.count ? nil : min(x.count, y.count)
    }

    /// Runs SQL in a `sqlite3` process (a connection of its own, so its frames stay in the log
    /// while `holder` keeps the database open: no checkpoint on close).
    func sqlite(_ db: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", "-bail", db]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(("PRAGMA wal_autocheckpoint=0;\n" + sql).utf8))
        try input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(message)")
    }

    func rows(_ count: Int, blob: Int, into table: String = "t") -> String {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count)) "
            + "INSERT INTO \(table) (v) SELECT randomblob(\(blob)) FROM n;"
    }

    /// A log with every kind of frame the copy must tell apart: pages written several times, a
    /// database that grew past its main file and then shrank (`VACUUM`), frames of a restarted log
    /// over a longer earlier one (old salts), and frames of a transaction that spilled pages and
    /// rolled back (valid checksums, no commit frame). `blob` sizes the rows, so the main file can
    /// pass the size from which the copy runs on a thread of its own.
    @Test(arguments: [300, 4000])
    func walCopyIsWhatACheckpointLeaves(blob: Int) async throws {
        let db = dir.path("wal-\(blob).db")
        // auto_vacuum: deleting rows shrinks the database below its main file.
        try sqlite(db, """
            PRAGMA auto_vacuum = FULL; PRAGMA journal_mode = WAL;
            CREATE TABLE bulk (id INTEGER PRIMARY KEY, v BLOB); CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);
            """)
        let holder = try DatabaseQueue(path: db)
        defer { try? holder.close() }
        _ = try await holder.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }

        // A long log, checkpointed and restarted: its frames stay behind the next ones.
        let bulk = blob < 1000 ? 30_000 : 12_000
        try sqlite(db, rows(bulk, blob: blob, into: "bulk") + "PRAGMA wal_checkpoint(RESTART);")
        let firstSalts = Array(bytes(db + "-wal")[16..<24])
        // The log the copy reads: growth, pages rewritten, a shrink.
        try sqlite(db, """
            \(rows(300, blob: blob))
            UPDATE t SET v = randomblob(\(blob)) WHERE id % 7 = 0;
            UPDATE t SET v = randomblob(\(blob)) WHERE id % 7 = 0;
            DELETE FROM bulk WHERE id > \(bulk - 500);
            DELETE FROM t WHERE id > 200;
            """)
        // The log restarted (new salts in its header) and its last frame is still the long log's.
        let log = bytes(db + "-wal")
        #expect(Array(log[16..<24]) != firstSalts)
        let lastFrame = log.count - (24 + 4096)
        #expect(Array(log[(lastFrame + 8)..<(lastFrame + 16)]) == firstSalts, "stale frames lie behind the new ones")
        // A transaction too large for a two-page cache writes frames, then rolls back.
        try sqlite(db, "PRAGMA cache_size = 2; BEGIN; \(rows(300, blob: blob)) ROLLBACK;")

        let copy = dir.path("copy-\(blob).db")
        #expect(FileManager.default.createFile(atPath: copy, contents: nil))
        let check = try SQLiteBackups.lockedCopy(from: db, to: copy, busyTimeout: 5)
        #expect(check == ["ok"], "the WAL database is copied, not handed to the online backup")
        let backup = try await SQLiteBackups(databasePath: db).create(at: dir.path("backup-\(blob).db"), label: "1",
                                                                     reason: "test")

        try await holder.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        #expect(fileSize(db + "-wal") == 0)
        #expect(fileSize(db) > 0)
        #expect(firstDifference(copy, db) == nil, "main file plus committed frames = what the checkpoint wrote")
        #expect(firstDifference(backup.path, db) == nil)
        let counts = try inspect(copy) { db in
            [try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bulk"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")]
        }
        #expect(counts == [bulk - 500, 200])
    }

    /// The rows a transaction wrote in the log before it rolled back are not in the copy, and the
    /// last commit's are.
    @Test func uncommittedFramesAreLeftOut() throws {
        let db = dir.path("spill.db")
        try sqlite(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);")
        let holder = try DatabaseQueue(path: db)
        defer { try? holder.close() }
        _ = try holder.inDatabase { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
        try sqlite(db, rows(10, blob: 100))
        let committed = fileSize(db + "-wal")
        try sqlite(db, "PRAGMA cache_size = 2; BEGIN; \(rows(2000, blob: 500)) ROLLBACK;")
        #expect(fileSize(db + "-wal") > committed, "the rolled-back transaction spilled frames into the log")

        let copy = dir.path("copy.db")
        #expect(FileManager.default.createFile(atPath: copy, contents: nil))
        #expect(try SQLiteBackups.lockedCopy(from: db, to: copy, busyTimeout: 5) == ["ok"])
        let (count, check) = try inspect(copy) { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t"), try String.fetchOne(db, sql: "PRAGMA integrity_check"))
        }
        #expect(count == 10)
        #expect(check == "ok")
    }

    /// A writer that holds the write lock is waited for; readers are not in the way.
    @Test func walCopyWaitsForTheWriterAndNotForReaders() throws {
        let db = dir.path("held.db")
        try sqlite(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);" + rows(100, blob: 100))
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let reader = try DatabaseQueue(path: db, configuration: unsafe)
        defer { try? reader.close() }
        let writer = try DatabaseQueue(path: db, configuration: unsafe)
        defer { try? writer.close() }
        // A read transaction open throughout, and a write transaction committed 0.3 s later on a
        // thread (not a task: the copy blocks this one, and the test pool may have no other).
        try reader.inDatabase { db in try db.execute(sql: "BEGIN; SELECT COUNT(*) FROM t") }
        try writer.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES (x'01')") }
        let committed = DispatchSemaphore(value: 0)
        Thread {
            Thread.sleep(forTimeInterval: 0.3)
            try? writer.inDatabase { db in try db.execute(sql: "COMMIT") }
            committed.signal()
        }.start()
        let copy = dir.path("copy.db")
        #expect(FileManager.default.createFile(atPath: copy, contents: nil))
        let started = Date()
        #expect(try SQLiteBackups.lockedCopy(from: db, to: copy, busyTimeout: 10) == ["ok"])
        #expect(Date().timeIntervalSince(started) >= 0.25, "the copy waited for the writer's commit")
        committed.wait()
        let count = try inspect(copy) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
        #expect(count == 101, "the copy holds the commit it waited for")
        try reader.inDatabase { db in try db.execute(sql: "COMMIT") }
    }

    /// A writer that keeps the write lock past the busy timeout: a locked-database error, and no copy.
    @Test func walCopyGivesUpOnAWriterThatStays() throws {
        let db = dir.path("stuck.db")
        try sqlite(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY);")
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let writer = try DatabaseQueue(path: db, configuration: unsafe)
        defer { try? writer.close() }
        try writer.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE; INSERT INTO t DEFAULT VALUES") }
        defer { try? writer.inDatabase { db in try db.execute(sql: "ROLLBACK") } }
        let copy = dir.path("copy.db")
        #expect(FileManager.default.createFile(atPath: copy, contents: nil))
        let error = #expect(throws: StrataError.self) { _ = try SQLiteBackups.lockedCopy(from: db, to: copy, busyTimeout: 0.2) }
        #expect(error?.databaseCode?.hasPrefix("SQLITE_BUSY") == true, "\(String(describing: error))")
        #expect(fileSize(copy) == 0)
    }
}
