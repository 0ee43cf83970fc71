import Foundation
import Strata
import StrataPostgres
import Testing

/// pg_dump backups: named, private, pruned, listed; restore replaces the whole database after a
/// safety dump.
@Suite("PostgreSQL backups")
struct PostgresBackupsTests {
    @Test func createListPruneAndRestore() throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pgb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let backups = PostgresBackups(settings: try fixture.settings(database), directory: dir, keep: 2,
                                      searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
        #expect(backups.isAvailable, "pg_dump must be on the PATH for these tests")

        try fixture.psql(database, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1), (2);")
        let first = try backups.create(label: "001", reason: "manual")
        #expect(first.fileName.hasPrefix("\(database)_pre_v001_") && first.fileName.hasSuffix(".dump"), "\(first.fileName)")
        var info = stat()
        #expect(stat(first.path, &info) == 0 && info.st_mode & 0o777 == 0o600, "backups are private (0600)")
        #expect(first.size > 0)

        // Changes after the backup: a new table, a new schema, a changed row.
        try fixture.psql(database, "CREATE TABLE later (id int); CREATE SCHEMA extra; CREATE TABLE extra.t (x int); DELETE FROM kept WHERE id = 2;")
        let result = try backups.restore(from: first.path, currentVersionLabel: "002")
        #expect(result.safetyBackup.versionLabel == "002")
        #expect(result.restored.versionLabel == "001")
        #expect(try fixture.psql(database, "SELECT count(*) FROM kept") == "2\n")
        #expect(try fixture.psql(database, "SELECT to_regclass('later') IS NULL, to_regnamespace('extra') IS NULL") == "t|t\n")

        _ = try backups.create(label: "003", reason: "manual")
        let listed = try backups.list()
        #expect(listed.count == 2, "keep 2: \(listed.map(\.fileName))")
        #expect(listed.first?.versionLabel == "003")
        #expect(listed.allSatisfy { $0.createdAtText.hasSuffix("Z") })
    }

    /// An empty database has nothing to back up: the pre-change backup is skipped, as for a
    /// SQLite file that does not exist yet. Any object — of the user's or Strata's own history
    /// tables — makes it non-empty again.
    @Test func emptyDatabasesAreNotBackedUpAndAnyObjectCounts() async throws {
        let fixture = try PostgresFixture()
        let objects = [
            "CREATE TABLE t (x int)", "CREATE VIEW v AS SELECT 1 AS one", "CREATE SEQUENCE s",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "CREATE TYPE mood AS ENUM ('ok')",
            "CREATE DOMAIN positive AS int CHECK (VALUE > 0)", "CREATE SCHEMA billing",
            "SELECT lo_create(0)", "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
            "CREATE TEXT SEARCH CONFIGURATION english_copy (COPY = english)",
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pge-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = BackupSettings(directory: dir, keep: 3)

        let driver = try await fixture.driver()
        #expect(try await driver.isEmptyDatabase())
        #expect(try await driver.backUp(reason: "pre-migration", currentVersion: nil, settings: settings) == nil)
        #expect(!FileManager.default.fileExists(atPath: dir), "no backup directory for an empty database")
        try await driver.prepareHistory()
        #expect(try await driver.isEmptyDatabase() == false, "Strata's own history tables are objects")
        let path = try #require(try await driver.backUp(reason: "pre-migration", currentVersion: nil, settings: settings))
        #expect(FileManager.default.fileExists(atPath: path))
        await driver.close()

        for object in objects {
            let database = try fixture.database()
            try fixture.psql(database, object)
            let other = try await PostgresDriver.connect(try fixture.settings(database))
            #expect(try await other.isEmptyDatabase() == false, "after \(object)")
            await other.close()
        }
    }

    /// A run killed during its backup leaves the hidden file pg_dump was writing; the next backup
    /// of the database deletes those untouched for an hour, and nothing else.
    @Test func interruptedBackupTemporariesArePrunedAfterAnHour() throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pgb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let backups = PostgresBackups(settings: try fixture.settings(database), directory: dir,
                                      searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
        let name = "\(database)_pre_v001_20261121T104000123Z.dump"
        let stale = BackupTemporaryFiles.path(in: dir, for: name)
        let fresh = BackupTemporaryFiles.path(in: dir, for: name)
        let otherDatabase = BackupTemporaryFiles.path(in: dir, for: "other_pre_v001_20261121T104000123Z.dump")
        let notTemporary = (dir as NSString).appendingPathComponent(".\(name).partial")
        let twoHoursAgo = Date().addingTimeInterval(-7200)
        for (path, modified) in [(stale, twoHoursAgo), (fresh, Date()), (otherDatabase, twoHoursAgo), (notTemporary, twoHoursAgo)] {
            try Data("PGDMP".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        }

        let backup = try backups.create(label: "002", reason: "manual")
        #expect(!FileManager.default.fileExists(atPath: stale), "an hour-old temporary of this database is deleted")
        for kept in [fresh, otherDatabase, notTemporary] {
            #expect(FileManager.default.fileExists(atPath: kept), "\(kept) is kept")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.filter { $0.contains(BackupTemporaryFiles.marker) }.count == 2, "the backup left no temporary of its own: \(names)")
        #expect(try backups.list().map(\.path) == [backup.path])
    }

    @Test func missingPgDumpIsReportedNotHidden() throws {
        let fixture = try PostgresFixture()
        let backups = PostgresBackups(settings: try fixture.settings(try fixture.database()), directory: "/tmp/none",
                                      searchPath: "/nonexistent")
        #expect(!backups.isAvailable)
        #expect(throws: StrataError.self) { try backups.create(label: nil, reason: "manual") }
    }
}
