import Foundation
import GRDB
import Strata
import StrataSQLite
import Testing

/// Swift-code migrations on real SQLite files: the handle, the transaction, checksums by revision.
@Suite("Swift migrations")
struct SwiftMigrationTests {
    let dir = TempDir()

    func make(_ register: (inout Migrator) throws -> Void) throws -> (Migrator, SQLiteDriver) {
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        var migrator = Migrator(driver: driver, configuration: .init(backups: .disabled))
        try register(&migrator)
        return (migrator, driver)
    }

    /// Seed 001's start-up migration: add a column only where it is missing.
    static func addEmail(_ db: any MigrationDatabase) async throws {
        if try await !db.columnExists("email", in: "users") {
            try await db.execute("ALTER TABLE users ADD COLUMN email TEXT")
        }
        if try await !db.indexExists("idx_users_email") {
            try await db.execute("CREATE INDEX idx_users_email ON users(email)")
        }
    }

    @Test func idempotencyHelpersSeeTheSchema() async throws {
        let (migrator, driver) = try make { m in
            try m.registerMigration("001", "users", sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);")
            try m.registerMigration("002", "add_email", revision: "1", up: Self.addEmail)
            try m.registerMigration("003", "probe", revision: "1") { db in
                let found = [try await db.tableExists("USERS"), try await db.tableExists("nope"),
                             try await db.columnExists("Email", in: "users"), try await db.columnExists("email", in: "nope"),
                             try await db.indexExists("idx_users_email"), try await db.indexExists("nope")]
                #expect(found == [true, false, true, false, true, false])
                #expect(db.engine == .sqlite)
            }
        }
        // A database that already has the column (made by hand, as seed 001's older installs were).
        try await driver.executeRaw("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);")
        let baseline = try await migrator.baseline(upTo: MigrationVersion("001")!)
        #expect(baseline.changes.count == 1)
        let report = try await migrator.migrate()
        #expect(report.applied.map(\.version) == ["002", "003"])
        #expect(try inspect(driver.path) { try $0.indexes(on: "users").map(\.name) } == ["idx_users_email"])
        await driver.close()
    }

    @Test func valuesRoundTripThroughArgumentsAndRows() async throws {
        let (migrator, driver) = try make { m in
            try m.registerMigration("001", "values", revision: "1") { db in
                try await db.execute("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)")
                try await db.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                                     arguments: [42, 1.5, "it's", .blob([0, 255]), nil])
                let rows = try await db.rows("SELECT i, r, t, b, n FROM v WHERE i = ?", arguments: [42])
                #expect(rows == [[.integer(42), .real(1.5), .text("it's"), .blob([0, 255]), .null]])
                #expect(rows[0][2].description == "'it''s'")
                let wrong = await strataError { try await db.execute("INSERT INTO v (i) VALUES (?)", arguments: [1, 2]) }
                #expect(wrong?.message.contains("1 placeholder and 2 arguments") == true)
            }
        }
        try await migrator.migrate()
        await driver.close()
    }

    @Test func aThrowingMigrationIsRolledBackRecordedAndLocated() async throws {
        struct Boom: Error {}
        let line = #line + 2
        let (migrator, driver) = try make { m in
            try m.registerMigration("001", "half_done", revision: "1") { db in
                try await db.execute("CREATE TABLE half (id INTEGER)")
                throw Boom()
            }
        }
        let error = await strataError { try await migrator.migrate() }
        #expect(error?.code == .migrationFailed)
        #expect(error?.location?.file == "StrataSQLiteTests/SwiftMigrationTests.swift")
        #expect(error?.location?.line == line)
        #expect(try inspect(driver.path) { try $0.tableExists("half") } == false)
        let record = try #require(try await driver.history().first)
        #expect(record.status == .failed && record.kind == .swift && !record.dirty)
        #expect(record.errorMessage?.contains("Boom") == true)
        await driver.close()
    }

    @Test func sqlErrorsAreLocatedAndEndingTheTransactionIsRefused() async throws {
        let (migrator, driver) = try make { m in
            try m.registerMigration("001", "bad_sql", revision: "1") { db in
                try await db.execute("CREATE TABLE ok (id INTEGER)")
                try await db.execute("CREATE TABLE ok (id INTEGER)")
            }
            try m.registerMigration("002", "commits", revision: "1") { db in
                try await db.execute("COMMIT")
            }
        }
        let error = await strataError { try await migrator.migrate() }
        #expect(error?.message.contains("already exists") == true)
        #expect(error?.location?.file == "StrataSQLiteTests/SwiftMigrationTests.swift")
        #expect(try inspect(driver.path) { try $0.tableExists("ok") } == false)

        let (second, driver2) = try make { m in
            try m.registerMigration("002", "commits", revision: "1") { db in try await db.execute("COMMIT") }
        }
        let commit = await strataError { try await second.migrate() }
        #expect(commit?.message.contains("COMMIT without a matching BEGIN") == true)
        await driver.close()
        await driver2.close()
    }

    @Test func aNewForeignKeyViolationFailsTheMigration() async throws {
        let (migrator, driver) = try make { m in
            try m.registerMigration("001", "tables", sql: """
                CREATE TABLE authors (id INTEGER PRIMARY KEY);
                CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id));
                """)
            try m.registerMigration("002", "orphan", revision: "1") { db in
                try await db.execute("INSERT INTO books (id, author_id) VALUES (1, 99)")
            }
        }
        let error = await strataError { try await migrator.migrate() }
        #expect(error?.code == .verificationFailed)
        #expect(error?.details == ["books rowid 1 references authors"])
        #expect(try inspect(driver.path) { try Int.fetchOne($0, sql: "SELECT count(*) FROM books") } == 0)
        #expect(try await driver.foreignKeysEnabled())
        await driver.close()
    }

    @Test func aChangedRevisionIsAChecksumMismatchThatRepairAccepts() async throws {
        let path = dir.newDatabasePath()
        func make(revision: String) throws -> (Migrator, SQLiteDriver) {
            let driver = try SQLiteDriver.open(path: path, createIfMissing: true)
            var m = Migrator(driver: driver, configuration: .init(backups: .disabled))
            try m.registerMigration("001", "t", revision: revision) { db in try await db.execute("CREATE TABLE t (id INTEGER)") }
            try m.registerMigration("002", "u", sql: "CREATE TABLE u (id INTEGER);")
            return (m, driver)
        }
        let (first, d1) = try make(revision: "1")
        try await first.migrate(to: MigrationVersion("001"))
        await d1.close()
        let (second, d2) = try make(revision: "2")
        let error = await strataError { try await second.migrate() }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.details.first == "Expected: \(SwiftMigrationCode.checksum(revision: "1"))")
        let repaired = try await second.repair()
        #expect(repaired.changes.map(\.action) == [.acceptChecksum])
        #expect(try await second.migrate().applied.map(\.version) == ["002"])
        await d2.close()
    }

    @Test func aDownClosureRollsBack() async throws {
        let (migrator, driver) = try make { m in
            try m.registerMigration("001", "t", revision: "1",
                                    up: { db in try await db.execute("CREATE TABLE t (id INTEGER)") },
                                    down: { db in try await db.execute("DROP TABLE t") })
        }
        try await migrator.migrate()
        let report = try await migrator.rollback()
        #expect(report.rolledBack.map(\.version) == ["001"])
        #expect(try inspect(driver.path) { try $0.tableExists("t") } == false)
        #expect(try await driver.history().first?.status == .rolledBack)
        await driver.close()
    }

    @Test func theHandleIsDeadAfterItsMigrationAndGRDBIsReachable() async throws {
        let kept = HandleBox()
        let (migrator, driver) = try make { m in
            try m.registerSQLiteMigration("001", "grdb", revision: "1") { db in
                kept.handle = db
                try await db.withDatabase { db in
                    try db.create(table: "grdb_made") { t in t.autoIncrementedPrimaryKey("id") }
                }
            }
        }
        try await migrator.migrate()
        #expect(try inspect(driver.path) { try $0.tableExists("grdb_made") })
        let handle = try #require(kept.handle)
        let late = await strataError { try await handle.execute("CREATE TABLE late (id INTEGER)") }
        #expect(late?.message.contains("used after the migration ended") == true)
        await driver.close()
    }

    @Test func migratingThroughTheAppsDatabasePool() async throws {
        let path = dir.newDatabasePath()
        let pool = try DatabasePool(path: path)
        let driver = try SQLiteDriver(writer: pool)
        var migrator = Migrator(driver: driver)
        try migrator.registerMigration("001", "tables", sql: """
            CREATE TABLE authors (id INTEGER PRIMARY KEY);
            CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id) ON DELETE CASCADE);
            INSERT INTO authors VALUES (1); INSERT INTO books VALUES (1, 1);
            """)
        try migrator.registerMigration("002", "add_email", revision: "1") { db in
            try await db.execute("CREATE TABLE extra (id INTEGER)")
        }
        try migrator.registerMigration("003", "orphan", sql: "INSERT INTO books VALUES (2, 42);")
        let error = await strataError { try await migrator.migrate() }
        #expect(error?.code == .verificationFailed, "the whole-database check catches the orphan")
        #expect(try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM books") } == 1)
        #expect(try await driver.history().filter { $0.status == .applied }.map(\.version).sorted() == ["001", "002"])
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
        await driver.close()
        // The pool is still the app's, and open.
        try await pool.write { try $0.execute(sql: "INSERT INTO authors VALUES (2)") }
        #expect(try await pool.read { try Bool.fetchOne($0, sql: "PRAGMA foreign_keys") } == true)
    }
}

extension SwiftMigrationTests {
    /// The app's pool is in WAL mode and its rows are still in the WAL: the backup taken before the
    /// migration (a byte copy under the write lock, with the WAL's frames) holds them, while the
    /// pool's own connections stay open.
    @Test func theBackupOfAnAppsWALPoolHoldsWhatIsInItsWAL() async throws {
        let path = dir.newDatabasePath()
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            for i in 0..<50 { try db.execute(sql: "INSERT INTO notes (body) VALUES (?)", arguments: ["note \(i)"]) }
        }
        #expect((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 > 0)
        let driver = try SQLiteDriver(writer: pool)
        var migrator = Migrator(driver: driver)
        try migrator.registerMigration("001", "tags", sql: "CREATE TABLE tags (id INTEGER PRIMARY KEY);")
        let report = try await migrator.migrate()
        let backup = try #require(report.backup)
        let (notes, tags) = try inspect(backup) { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM notes"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'tags'"))
        }
        #expect(notes == 50, "the rows still in the WAL are in the backup")
        #expect(tags == 0, "taken before the migration")
        await driver.close()
        try await pool.write { try $0.execute(sql: "INSERT INTO tags DEFAULT VALUES") }
    }
}

/// Keeps a migration's handle past the migration.
final class HandleBox: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var value: SQLiteMigrationDatabase?
    var handle: SQLiteMigrationDatabase? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
