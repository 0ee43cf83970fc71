import Foundation
import GRDB
import Logging
import Strata
import StrataSQLite
import Testing

/// The start-up API end to end on real SQLite files: sources merged, the fast path, lock, backup,
/// integrity check, events, cancellation, logging.
@Suite("Migrator at start-up")
struct MigratorStartupTests {
    let dir = TempDir()

    static let files = [
        "001_create_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
        "001_create_users.down.sql": "DROP TABLE users;\n",
        "003_create_posts.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n",
        "003_create_posts.down.sql": "DROP TABLE posts;\n",
    ]

    /// A migrator over `files` in a fresh directory and database, plus code migrations 002 (SQL) and 004 (Swift).
    func makeMigrator(path: String? = nil, configuration: Migrator.Configuration = .init(),
                      logger: Logger = Migrator.silentLogger) throws -> (Migrator, SQLiteDriver) {
        let driver = try SQLiteDriver.open(path: path ?? dir.newDatabasePath(), createIfMissing: true)
        var migrator = Migrator(driver: driver, configuration: configuration, logger: logger)
        let folder = try writeMigrations(Self.files, in: dir)
        try migrator.add(MigrationDirectory(path: folder))
        try migrator.registerMigration("002", "add_users_email", sql: "ALTER TABLE users ADD COLUMN email TEXT;",
                                       down: "ALTER TABLE users DROP COLUMN email;")
        try migrator.registerMigration("004", "fill_emails", revision: "1") { db in
            try await db.execute("INSERT INTO users (name, email) VALUES (?, ?)", arguments: ["ann", "ann@example.com"])
        }
        return (migrator, driver)
    }

    @Test func sourcesAreMergedInVersionOrderAndRecorded() async throws {
        let (migrator, driver) = try makeMigrator()
        #expect(migrator.migrations.map(\.id) == ["001", "002", "003", "004"])
        let report = try await migrator.migrate()
        #expect(report.applied.map(\.version) == ["001", "002", "003", "004"])
        #expect(report.currentVersion == "004")
        let history = try await driver.history().sorted { $0.version < $1.version }
        #expect(history.map(\.kind) == [.sql, .sql, .sql, .swift])
        #expect(history[3].checksum == SwiftMigrationCode.checksum(revision: "1"))
        #expect(history[3].script.hasPrefix("StrataSQLiteTests/MigratorStartupTests.swift:"))
        #expect(history[3].downSQL == nil)
        #expect(history[1].checksum == Checksum.sha256Hex(ofScript: "ALTER TABLE users ADD COLUMN email TEXT;"))
        #expect(try inspect(driver.path) { try String.fetchOne($0, sql: "SELECT email FROM users") } == "ann@example.com")
        await driver.close()
    }

    @Test func aDuplicateVersionAcrossSourcesIsAnError() async throws {
        let (base, driver) = try makeMigrator()
        var migrator = base
        let error = #expect(throws: StrataError.self) {
            try migrator.registerMigration("1", "again", sql: "SELECT 1;")
        }
        #expect(error?.code == .duplicateVersion)
        #expect(error?.code.exitCode == 2)
        #expect(error?.details.contains { $0.hasSuffix("001_create_users.sql") } == true)
        #expect(error?.details.contains { $0.hasPrefix("StrataSQLiteTests/MigratorStartupTests.swift:") } == true)
        let fromDirectory = #expect(throws: StrataError.self) {
            try migrator.add(MigrationDirectory(path: dir.path("migrations")))
        }
        #expect(fromDirectory?.code == .duplicateVersion)
        #expect(migrator.migrations.count == 4, "nothing of a refused source is added")
        await driver.close()
    }

    @Test func withNothingPendingMigrateTakesNoLockAndWritesNothing() async throws {
        let (migrator, driver) = try makeMigrator()
        try await migrator.migrate()
        let backups = try FileManager.default.contentsOfDirectory(atPath: dir.path("backups"))
        // A directory where the lock file goes: any attempt to lock would fail.
        try FileManager.default.createDirectory(atPath: driver.path + ".lock", withIntermediateDirectories: false)
        let before = try Data(contentsOf: URL(fileURLWithPath: driver.path))
        let events = EventLog()
        let second = try await migrator.migrate(onEvent: events.record)
        #expect(second.steps.isEmpty && second.backup == nil && !second.cancelled)
        #expect(second.currentVersion == "004")
        #expect(events.names == ["planned 0"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: driver.path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("backups")) == backups)
        #expect(try await migrator.pendingMigrations().isEmpty)
        await driver.close()
    }

    @Test func migrateWaitsForTheLockThenBacksUpRunsAndReports() async throws {
        let path = dir.newDatabasePath()
        var configuration = Migrator.Configuration()
        configuration.lockTimeout = 0.3
        let (migrator, driver) = try makeMigrator(path: path, configuration: configuration)
        let held = try await SQLiteLockFile.acquire(databasePath: path, timeout: 0)
        let waited = EventLog()
        let error = await strataError { try await migrator.migrate(onEvent: waited.record) }
        #expect(error?.code == .lockTimeout)
        #expect(waited.names == ["waiting"], "nothing ran without the lock")
        #expect(try await driver.history().isEmpty)
        held.release()

        let events = EventLog()
        let report = try await migrator.migrate(onEvent: events.record)
        #expect(events.names == ["planned 4", "backup", "started 001", "finished 001", "started 002", "finished 002",
                                 "started 003", "finished 003", "started 004", "finished 004"])
        let backup = try #require(report.backup)
        #expect(backup.hasPrefix(dir.path("backups") + "/"))
        #expect(backup.contains("_pre_v0_"), "taken before anything was applied: \(backup)")
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "the lock is released")
        await driver.close()
    }

    @Test func backupSettingsAreCheckedWhenABackupIsTaken() async throws {
        var configuration = Migrator.Configuration()
        configuration.backups.keep = 0
        let (migrator, driver) = try makeMigrator(configuration: configuration)
        let error = await strataError { try await migrator.migrate() }
        #expect(error?.code == .configuration && error?.message == "backups.keep must be at least 1 (it is 0)")
        #expect(try await driver.history().isEmpty, "nothing ran")
        var disabled = migrator
        disabled.configuration.backups = .disabled
        #expect(try await disabled.migrate().backup == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.path("backups")))
        #expect(try await migrator.migrate().steps.isEmpty, "nothing to do needs no backup, so no check either")
        await driver.close()
    }

    @Test func rollbackUsesDownScriptsAndRefusesWhatCannotBeUndone() async throws {
        let (migrator, driver) = try makeMigrator()
        try await migrator.migrate(to: MigrationVersion("003"))
        #expect(try await migrator.pendingMigrations().map(\.id) == ["004"])
        let events = EventLog()
        let report = try await migrator.rollback(.steps(2), onEvent: events.record)
        #expect(report.rolledBack.map(\.version) == ["003", "002"])
        #expect(events.names.prefix(2) == ["planned 2", "backup"])
        let backup = try #require(report.backup)
        #expect(try inspect(backup) { try Int.fetchOne($0, sql: "SELECT count(*) FROM posts") } == 0,
                "the backup holds the database as it was before the rollback")
        #expect(try inspect(driver.path) { try $0.tableExists("posts") } == false)
        #expect(try await migrator.status().pending.map(\.version) == ["002", "003", "004"])

        try await migrator.migrate()
        let error = await strataError { try await migrator.rollback(.steps(1)) }
        #expect(error?.code == .irreversible, "Swift migration 004 has no down closure")
        #expect(error?.hint?.contains("down closure") == true)
        await driver.close()
    }

    @Test func validateReportsAnEditedMigrationWithBothChecksums() async throws {
        let (migrator, driver) = try makeMigrator()
        try await migrator.migrate()
        #expect(try await migrator.validate().isEmpty)
        try "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
            .write(toFile: dir.path("migrations/001_create_users.sql"), atomically: true, encoding: .utf8)
        var edited = Migrator(driver: driver)
        try edited.add(MigrationDirectory(path: dir.path("migrations")))
        let error = await strataError { try await edited.validate() }
        #expect(error?.code == .validationFailed, "001 changed; 002 and 004 are not registered here: \(String(describing: error))")
        let single = await strataError { try await edited.migrate() }
        #expect(single?.code.exitCode == 3)
        await driver.close()
    }

    @Test func cancellingTheTaskFinishesTheRunningMigrationThenStops() async throws {
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        let outer = TaskBox()
        var migrator = Migrator(driver: driver)
        try migrator.registerMigration("001", "first", revision: "1") { db in
            while outer.task == nil { await Task.yield() }
            outer.task?.cancel()
            // Still running after the cancellation, and committed with the migration.
            try await db.execute("CREATE TABLE first (id INTEGER PRIMARY KEY)")
            try await Task.sleep(for: .milliseconds(1))
        }
        try migrator.registerMigration("002", "second", sql: "CREATE TABLE second (id INTEGER);")
        try migrator.registerMigration("003", "third", sql: "CREATE TABLE third (id INTEGER);")
        let events = EventLog()
        let task = Task { [migrator] in try await migrator.migrate(onEvent: events.record) }
        outer.task = task
        let report = try await task.value
        #expect(report.cancelled)
        #expect(report.applied.map(\.version) == ["001"])
        #expect(events.names.suffix(3) == ["started 001", "finished 001", "cancelled 2"])
        #expect(try await driver.history().map(\.version) == ["001"])
        #expect(try inspect(driver.path) { try $0.tableExists("first") })
        await driver.close()
    }

    @Test func bundledMigrationsAreShownUnderTheFolderName() async throws {
        let root = try writeMigrations(["V001__create_t/up.sql": "CREATE TABLE t (id INTEGER);\n",
                                        "V001__create_t/down.sql": "DROP TABLE t;\n",
                                        "README.md": "not a migration\n"], in: dir, under: "App.resources/Migrations")
        let bundle = try #require(Bundle(path: dir.path("App.resources")))
        let source = try BundledMigrations.folder("Migrations", in: bundle)
        #expect(source.url.standardizedFileURL.path == URL(fileURLWithPath: root).standardizedFileURL.path)
        let loaded = try source.load()
        #expect(loaded.migrations.map(\.up.path) == ["Migrations/V001__create_t/up.sql"])
        #expect(loaded.migrations.first?.downScript?.path == "Migrations/V001__create_t/down.sql")
        #expect(loaded.ignored == ["Migrations/README.md"])
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        var migrator = Migrator(driver: driver)
        try migrator.add(source)
        try await migrator.migrate()
        #expect(try await driver.history().first?.script == "Migrations/V001__create_t")
        let missing = #expect(throws: StrataError.self) { try BundledMigrations.folder("Nope", in: bundle) }
        #expect(missing?.hint?.contains("resources: [.copy(\"Nope\")]") == true)
        // Errors inside the folder name the file under the folder's name too.
        try "not utf8 \u{FFFD}".write(toFile: root + "/V002__bad", atomically: true, encoding: .utf8)
        let bad = #expect(throws: StrataError.self) { try BundledMigrations(url: URL(fileURLWithPath: root)).load() }
        #expect(bad?.description.contains(root) == false, "\(String(describing: bad))")
        await driver.close()
    }

    @Test func diagnosticsGoToTheLoggerAsMetadata() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        let (migrator, driver) = try makeMigrator(logger: logger)
        try await migrator.migrate()
        let records = store.all
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { $0.level == .debug || $0.level == .trace })
        let finished = records.filter { $0.message == "step finished" }
        #expect(finished.map { $0.metadata["strata.version"] } == ["001", "002", "003", "004"])
        #expect(records.contains { $0.message == "planned" && $0.metadata["strata.steps"] == "4" })
        #expect(records.allSatisfy { !$0.message.contains("001") }, "values go in metadata, not in messages")
        await driver.close()
    }
}

/// Lets a migration closure reach the task that runs it.
final class TaskBox: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var value: Task<RunReport, any Error>?
    var task: Task<RunReport, any Error>? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
