import Foundation
import GRDB
import Strata
import StrataSQLite
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("SQLite backups")
struct SQLiteBackupsTests {
    let dir = TempDir()

    /// A database with a table `items` holding `rows` rows.
    func makeDatabase(_ name: String = "app.db", rows: Int = 3, walMode: Bool = false) throws -> String {
        let path = dir.path(name)
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.writeWithoutTransaction { db in
            if walMode { try db.execute(sql: "PRAGMA journal_mode=WAL") }
            try db.execute(sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            for i in 0..<rows { try db.execute(sql: "INSERT INTO items (name) VALUES (?)", arguments: ["item \(i)"]) }
        }
        return path
    }

    func count(_ path: String, _ table: String = "items") throws -> Int {
        try inspect(path) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    func integrity(_ path: String) throws -> String {
        try inspect(path) { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = lstat(path, &info)
        return info.st_mode & 0o777
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    /// Runs a program and returns its exit code and standard error.
    @discardableResult
    func run(_ program: String, _ arguments: [String], stdin: String? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message)
    }

    // MARK: - Create

    @Test func backupIsNamedCheckedAndPrivate() async throws {
        let db = try makeDatabase()
        let backups = SQLiteBackups(databasePath: db)
        #expect(backups.directory == dir.path("backups"))
        let file = try await backups.create(label: "003", reason: "pre-migration")
        #expect(file.path.hasPrefix(dir.path("backups") + "/"))
        #expect(file.fileName.range(of: #"^app_pre_v003_\d{8}T\d{9}Z\.db$"#, options: .regularExpression) != nil, "\(file.fileName)")
        #expect(file.versionLabel == "003")
        #expect(file.reason == "pre-migration")
        #expect(!file.compressed && !file.damaged)
        #expect(file.size == bytes(file.path).count && file.size > 0)
        #expect(abs(file.createdAt.timeIntervalSinceNow) < 60)
        #expect(file.createdAtText.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
        #expect(mode(file.path) == 0o600, "mode \(String(mode(file.path), radix: 8))")
        #expect(try integrity(file.path) == "ok")
        #expect(try count(file.path) == 3)
        // Nothing but the backup is left in the directory (no temporary files, no journals).
        #expect(try FileManager.default.contentsOfDirectory(atPath: backups.directory) == [file.fileName])

        let unversioned = try await backups.create(label: nil, reason: "manual")
        #expect(unversioned.fileName.hasPrefix("app_pre_v0_"))
        let odd = try await backups.create(label: "1.2 beta/x", reason: "manual")
        #expect(odd.fileName.hasPrefix("app_pre_v1.2-beta-x_"), "\(odd.fileName)")
    }

    @Test func relativeDirectoryIsBesideTheDatabase() {
        let backups = SQLiteBackups(databasePath: "data/app.sqlite3", directory: "snapshots")
        #expect(backups.directory == "data/snapshots")
        #expect(backups.databaseStem == "app")
        #expect(SQLiteBackups(databasePath: "app.db").directory == "backups")
        #expect(SQLiteBackups(databasePath: "/x/app.db", directory: "/var/b").directory == "/var/b")
        #expect(SQLiteBackups(databasePath: "app.db", keep: 0).keep == 1)
        let date = Date(timeIntervalSince1970: 1_795_000_000.123)
        #expect(backups.fileName(versionLabel: "7", date: date, compressed: true) == "app_pre_v7_20261118T110640123Z.db.gz")
    }

    @Test func missingDatabaseIsAnError() async throws {
        let backups = SQLiteBackups(databasePath: dir.path("nope.db"))
        let error = await strataError { _ = try await backups.create(label: nil, reason: "manual") }
        #expect(error?.code == .database)
        #expect(error?.message.contains("does not exist") == true)
        #expect(!exists(dir.path("nope.db")), "a backup never creates the database")
    }

    @Test func damagedDatabaseGivesNoBackup() async throws {
        let db = dir.path("broken.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: db))
        let backups = SQLiteBackups(databasePath: db)
        let error = await strataError { _ = try await backups.create(label: "1", reason: "manual") }
        #expect(error?.code == .database)
        #expect(error?.message.contains("not a database") == true, "\(String(describing: error?.message))")
        #expect(error?.databaseCode == "SQLITE_NOTADB")
        #expect(error?.hint != nil)
        #expect(try backups.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: backups.directory).isEmpty, "temporary files are removed")
    }

    @Test func backupOfARollbackJournalDatabaseIsItsExactBytes() async throws {
        let db = try makeDatabase(rows: 500)
        let file = try await SQLiteBackups(databasePath: db).create(label: "1", reason: "manual")
        #expect(bytes(file.path) == bytes(db), "a database not in WAL mode is copied byte for byte")
        #expect(try integrity(file.path) == "ok")
    }

    @Test func backupOfAnEmptyDatabaseFileCanBeRestored() async throws {
        let db = dir.path("empty.db")
        #expect(FileManager.default.createFile(atPath: db, contents: nil))
        let backups = SQLiteBackups(databasePath: db)
        let file = try await backups.create(label: nil, reason: "pre-migration")
        #expect(file.size > 0, "a database's first page, not an empty file (which restore refuses)")
        #expect(try integrity(file.path) == "ok")
        _ = try await SQLiteBackups(databasePath: dir.path("restored.db")).restore(from: file.path, currentVersionLabel: nil)
    }

    @Test func backupOfAWALDatabaseHoldsWhatIsStillInTheWAL() async throws {
        let db = try makeDatabase(rows: 0, walMode: true)
        // A second process writes rows that stay in the -wal file (no checkpoint on its close:
        // another connection of this process keeps the database open meanwhile).
        let holder = try DatabaseQueue(path: db)
        defer { try? holder.close() }
        _ = try holder.inDatabase { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") }
        let wrote = try run("sqlite3", [db], stdin: "PRAGMA wal_autocheckpoint=0; INSERT INTO items (name) VALUES ('a'), ('b');")
        #expect(wrote.0 == 0, "\(wrote.1)")
        #expect(bytes(db + "-wal").count > 0)
        let file = try await SQLiteBackups(databasePath: db).create(label: "1", reason: "manual")
        #expect(try count(file.path) == 2)
        #expect(try integrity(file.path) == "ok")
    }

    @Test func damagedPagesGiveNoBackupAndNameTheCheck() async throws {
        let db = try makeDatabase(rows: 2000)
        // Overwrite the middle of a leaf page of `items` (the header and the schema page stay good).
        var data = bytes(db)
        #expect(data.count > 8 * 4096)
        for i in (4 * 4096 + 100)..<(4 * 4096 + 3000) { data[i] = 0xA5 }
        try Data(data).write(to: URL(fileURLWithPath: db))
        let backups = SQLiteBackups(databasePath: db)
        let error = await strataError { _ = try await backups.create(label: "1", reason: "manual") }
        #expect(error?.code == .database)
        #expect(error?.message.contains("integrity check") == true, "\(String(describing: error))")
        #expect(error?.databaseCode == "SQLITE_CORRUPT")
        #expect(error?.details.isEmpty == false)
        #expect(try backups.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: backups.directory).isEmpty, "temporary files are removed")
        #expect(bytes(db) == data, "the database is not changed")
    }

    @Test func compressedBackupRoundTrips() async throws {
        let db = try makeDatabase(rows: 50)
        let backups = SQLiteBackups(databasePath: db, compress: true)
        let file = try await backups.create(label: "2", reason: "manual")
        #expect(file.compressed)
        #expect(file.fileName.hasSuffix(".db.gz"))
        #expect(Array(bytes(file.path).prefix(2)) == [0x1F, 0x8B])
        #expect(mode(file.path) == 0o600)
        #expect(try backups.list().first?.compressed == true)

        let target = dir.path("restored.db")
        let result = try await SQLiteBackups(databasePath: target).restore(from: file.path, currentVersionLabel: nil)
        #expect(result.restored.compressed)
        #expect(result.restored.versionLabel == "2")
        #expect(result.safetyBackup == nil, "there was no database to save")
        #expect(try count(target) == 50)
        #expect(try integrity(target) == "ok")
    }

    @Test func exactOutputPath() async throws {
        let db = try makeDatabase()
        let backups = SQLiteBackups(databasePath: db)
        let out = dir.path("exports/nightly.db")
        let file = try await backups.create(at: out, label: "5", reason: "manual")
        #expect(file.path == out)
        #expect(try count(out) == 3)
        #expect(mode(out) == 0o600)
        // Replaced atomically the next time; a link is refused and left alone.
        _ = try await backups.create(at: out, label: "5", reason: "manual")
        #expect(try count(out) == 3)
        let victim = dir.path("victim.txt")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        let link = dir.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        let error = await strataError { _ = try await backups.create(at: link, label: nil, reason: "manual") }
        #expect(error?.code == .configuration)
        #expect(String(decoding: bytes(victim), as: UTF8.self) == "keep me")
        #expect(try backups.list().isEmpty, "an exact output is not one of the pattern's backups")
    }

    // MARK: - List and prune

    @Test func keepsTheNewestTenAndListsNewestFirst() async throws {
        let db = try makeDatabase()
        let backups = SQLiteBackups(databasePath: db)
        try FileManager.default.createDirectory(atPath: backups.directory, withIntermediateDirectories: true)
        // Files that are not this database's backups are never touched.
        let foreign = ["other_pre_v1_20200101T000000000Z.db", "notes.txt", "app_pre_v1_garbage.db"]
        for name in foreign { try Data("x".utf8).write(to: URL(fileURLWithPath: backups.directory + "/" + name)) }

        var created: [BackupFile] = []
        for i in 1...12 { created.append(try await backups.create(label: String(i), reason: "test")) }
        #expect(Set(created.map(\.path)).count == 12, "names are unique even within one millisecond")
        let listed = try backups.list()
        #expect(listed.count == 10)
        #expect(listed.map(\.path) == created.suffix(10).reversed().map(\.path))
        #expect(listed.compactMap(\.versionLabel) == (3...12).reversed().map { String($0) })
        // Backups taken within one millisecond under different labels (names that differ anyway)
        // still get their own timestamps, so newest-first is the order they were taken in.
        for (a, b) in zip(listed, listed.dropFirst()) { #expect(a.createdAt > b.createdAt, "\(a.path) after \(b.path)") }
        #expect(!exists(created[0].path) && !exists(created[1].path))
        for name in foreign { #expect(exists(backups.directory + "/" + name)) }

        let fewer = SQLiteBackups(databasePath: db, keep: 4)
        let removed = try fewer.prune()
        #expect(removed.count == 6)
        #expect(try fewer.list().map(\.path) == listed.prefix(4).map(\.path))
    }

    @Test func temporariesOfInterruptedBackupsArePrunedAfterAnHour() async throws {
        let backups = SQLiteBackups(databasePath: try makeDatabase())
        try FileManager.default.createDirectory(atPath: backups.directory, withIntermediateDirectories: true)
        let name = "app_pre_v1_20261121T104000123Z.db"
        let stale = BackupTemporaryFiles.path(in: backups.directory, for: name)
        let recent = BackupTemporaryFiles.path(in: backups.directory, for: name)
        for path in [stale, recent] { try Data("x".utf8).write(to: URL(fileURLWithPath: path)) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3700)], ofItemAtPath: stale)
        _ = try await backups.create(label: "2", reason: "test")
        #expect(!exists(stale) && exists(recent))
    }

    // MARK: - Restore

    @Test func restoreBringsBackSchemaAndDataAndSavesTheCurrentDatabase() async throws {
        let db = try makeDatabase(rows: 5)
        let backups = SQLiteBackups(databasePath: db)
        let good = try await backups.create(label: "1", reason: "pre-migration")
        _ = chmod(db, 0o640)

        // A bad change: data and a column gone, a new table.
        let queue = try DatabaseQueue(path: db)
        try await queue.writeWithoutTransaction { db in
            try db.execute(sql: "DELETE FROM items WHERE id > 1")
            try db.execute(sql: "ALTER TABLE items DROP COLUMN name")
            try db.execute(sql: "CREATE TABLE junk (x)")
        }
        try queue.close()

        let result = try await backups.restore(from: good.path, currentVersionLabel: "2")
        #expect(result.restored.path == good.path)
        #expect(result.restored.versionLabel == "1")
        let safety = try #require(result.safetyBackup)
        #expect(safety.versionLabel == "2")
        #expect(safety.reason == "pre-restore")
        #expect(!safety.damaged)
        #expect(try count(db) == 5)
        let names = try inspect(db) { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(names == ["items"])
        #expect(try inspect(db) { try String.fetchOne($0, sql: "SELECT name FROM items WHERE id = 5") } == "item 4")
        #expect(mode(db) == 0o640, "the database keeps its permissions")
        // The safety backup holds the database as it was before the restore.
        #expect(try count(safety.path) == 1)
        #expect(try inspect(safety.path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'junk'") } == 1)
        #expect(try backups.list().map(\.path) == [safety.path, good.path])
        // No temporary files beside the database.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func restoringTheOldestKeptBackupDoesNotPruneIt() async throws {
        let db = try makeDatabase()
        let backups = SQLiteBackups(databasePath: db, keep: 2)
        let oldest = try await backups.create(label: "1", reason: "test")
        let newer = try await backups.create(label: "2", reason: "test")
        // Another spelling of the same file is recognised too.
        let other = dir.path("backups/../backups/" + oldest.fileName)
        let result = try await backups.restore(from: other, currentVersionLabel: "2")
        let safety = try #require(result.safetyBackup)
        #expect(try backups.list().map(\.path) == [safety.path, newer.path, oldest.path])
        #expect(try count(db) == 3)
    }

    @Test func restoreRefusesBadFilesAndLeavesTheDatabaseUntouched() async throws {
        let db = try makeDatabase(rows: 4)
        let before = bytes(db)
        let backups = SQLiteBackups(databasePath: db)
        let good = try await backups.create(label: "1", reason: "test")

        let garbage = dir.path("garbage.db")
        try Data("this is not a database at all, just some text\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let empty = dir.path("empty.db")
        try Data().write(to: URL(fileURLWithPath: empty))
        // A real database cut in half, and one with a damaged b-tree page.
        let truncated = dir.path("truncated.db")
        let big = try makeDatabase("big.db", rows: 2000)
        let full = bytes(big)
        try Data(full.prefix(full.count / 2)).write(to: URL(fileURLWithPath: truncated))
        let scribbled = dir.path("scribbled.db")
        var damaged = full
        for i in (2 * 4096 + 100)..<(2 * 4096 + 400) { damaged[i] = 0xEE }
        try Data(damaged).write(to: URL(fileURLWithPath: scribbled))
        // A gzip file whose content is not a database, and a broken gzip file.
        let gzGarbage = dir.path("garbage.db.gz")
        try run("sh", ["-c", "gzip -c '\(garbage)' > '\(gzGarbage)'"])
        let gzBroken = dir.path("broken.db.gz")
        try Data(Array(bytes(gzGarbage).prefix(12))).write(to: URL(fileURLWithPath: gzBroken))

        for bad in [garbage, empty, truncated, scribbled, gzGarbage, gzBroken, dir.path("missing.db")] {
            let error = await strataError { _ = try await backups.restore(from: bad, currentVersionLabel: "1") }
            #expect(error != nil, "\(bad) was accepted")
            #expect(error?.code == .database || error?.code == .configuration, "\(bad): \(String(describing: error))")
            #expect(error?.hint != nil, "\(bad): \(String(describing: error))")
            #expect(bytes(db) == before, "\(bad) changed the database")
        }
        #expect(try backups.list().map(\.path) == [good.path], "no safety backup is taken for a refused file")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func restoreReplacesStaleWALAndKeepsWALContentInTheSafetyBackup() async throws {
        // A database whose latest rows are only in its -wal file, as a crashed or still-running
        // application leaves it.
        let live = try makeDatabase("live.db", rows: 2, walMode: true)
        let backups = SQLiteBackups(databasePath: dir.path("app.db"))
        let old = try await SQLiteBackups(databasePath: live).create(at: dir.path("old.db"), label: "1", reason: "test")
        let queue = try DatabaseQueue(path: live)
        try await queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            for i in 0..<20 { try db.execute(sql: "INSERT INTO items (name) VALUES (?)", arguments: ["wal \(i)"]) }
        }
        let app = dir.path("app.db")
        for suffix in ["", "-wal", "-shm"] {
            try FileManager.default.copyItem(atPath: live + suffix, toPath: app + suffix)
        }
        try queue.close()
        #expect(exists(app + "-wal") && exists(app + "-shm"))
        #expect(bytes(app + "-wal").count > 0)

        let result = try await backups.restore(from: old.path, currentVersionLabel: "2")
        #expect(!exists(app + "-wal") && !exists(app + "-shm"), "stale -wal/-shm of the old database are removed")
        #expect(try count(app) == 2)
        #expect(try integrity(app) == "ok")
        let safety = try #require(result.safetyBackup)
        #expect(try count(safety.path) == 22, "the safety backup includes what was only in the WAL")
    }

    @Test func restoreOfADamagedDatabaseKeepsItsFilesAsTheyWere() async throws {
        let source = try makeDatabase("source.db", rows: 3)
        let good = try await SQLiteBackups(databasePath: source).create(at: dir.path("good.db"), label: "1", reason: "test")
        let db = dir.path("app.db")
        let junk = Data(repeating: 0x5A, count: 4096)
        try junk.write(to: URL(fileURLWithPath: db))
        let backups = SQLiteBackups(databasePath: db)
        let result = try await backups.restore(from: good.path, currentVersionLabel: nil)
        let safety = try #require(result.safetyBackup)
        #expect(safety.damaged)
        #expect(safety.fileName.hasPrefix("app_damaged_"))
        #expect(FileManager.default.contents(atPath: safety.path) == junk)
        #expect(mode(safety.path) == 0o600)
        #expect(try count(db) == 3)
    }

    // MARK: - Concurrency

    @Test(arguments: ["WAL", "DELETE"])
    func backupWhileAnotherProcessWritesIsConsistent(journalMode: String) async throws {
        let db = dir.path("busy.db")
        let setup = try run("sqlite3", [db], stdin: """
            PRAGMA journal_mode=\(journalMode);
            CREATE TABLE events (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, payload BLOB NOT NULL);
            CREATE INDEX events_batch ON events(batch);
            """)
        #expect(setup.0 == 0, "\(setup.1)")

        // The writer commits batches of 10 rows; WAL checkpoints are off, so the rows live only in
        // the -wal file while the backups run. It is fed until the backups are done, so it is
        // still writing while they are taken.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["sqlite3", db]
        let input = Pipe()
        writer.standardInput = input
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        signal(SIGPIPE, SIG_IGN)
        try writer.run()
        let stop = StopFlag()
        let handle = input.fileHandleForWriting
        let feeder = Thread {
            var batch = 0
            var chunk = "PRAGMA busy_timeout=10000;\nPRAGMA synchronous=OFF;\nPRAGMA wal_autocheckpoint=0;\n"
            while !stop.isSet {
                for _ in 0..<10 {
                    batch += 1
                    chunk += "BEGIN;"
                    for _ in 0..<10 { chunk += "INSERT INTO events (batch, payload) VALUES (\(batch), randomblob(64));" }
                    chunk += "COMMIT;\n"
                }
                if (try? handle.write(contentsOf: Data(chunk.utf8))) == nil { break }
                chunk = ""
                // Paced, so the writer does not take a whole core from tests running beside it.
                Thread.sleep(forTimeInterval: 0.01)
            }
            try? handle.close()
        }
        feeder.start()

        // Wait until the writer is well under way.
        let deadline = Date().addingTimeInterval(60)
        var before = 0
        while Date() < deadline {
            before = (try? count(db, "events")) ?? 0
            if before >= 2000 { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(before >= 2000)
        if journalMode == "WAL" {
            #expect(bytes(db + "-wal").count > 0, "the rows written so far are in the WAL")
        }
        let backups = SQLiteBackups(databasePath: db)
        var files: [BackupFile] = []
        for _ in 0..<3 {
            files.append(try await backups.create(label: "1", reason: "test"))
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        stop.set()
        while writer.isRunning { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(writer.terminationStatus == 0)
        let after = try count(db, "events")
        #expect(after > before)

        for file in files {
            let target = dir.path("restored-\(UUID().uuidString).db")
            _ = try await SQLiteBackups(databasePath: target).restore(from: file.path, currentVersionLabel: nil)
            #expect(try integrity(target) == "ok")
            let (rows, batches, partial) = try inspect(target) { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT batch) FROM events") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT batch FROM events GROUP BY batch HAVING COUNT(*) != 10)") ?? -1)
            }
            #expect(rows >= before && rows <= after, "\(before) <= \(rows) <= \(after)")
            #expect(rows == batches * 10)
            #expect(partial == 0, "a backup never holds half a transaction")
        }
    }
}

/// A flag one thread sets and another reads.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
