import Foundation
import GRDB
import Strata
import StrataSQLite
import Testing

/// Databases whose history tables were made by earlier versions of Strata (a rowid history table
/// with a separate primary-key index, a log with `AUTOINCREMENT`) keep working: the tables are
/// used as they are, with the same statements, and nothing is recreated.
@Suite("History tables made by earlier versions")
struct HistoryTableUpgradeTests {
    /// The definitions Strata used before the history table became `WITHOUT ROWID`.
    static let earlierTables = """
        CREATE TABLE strata_schema_history (
            version TEXT NOT NULL PRIMARY KEY, description TEXT NOT NULL, type TEXT NOT NULL,
            script TEXT NOT NULL, checksum TEXT, down_sql TEXT, applied_by TEXT NOT NULL,
            hostname TEXT NOT NULL, applied_at TEXT NOT NULL, execution_time_ms INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('applied','failed','rolled_back','baselined')),
            rolled_back_at TEXT, error_message TEXT, metadata TEXT, strata_version TEXT NOT NULL,
            dirty INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE strata_schema_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('applied','failed','rolled_back','repaired','baselined','adopted')),
            description TEXT NOT NULL, checksum TEXT, actor TEXT NOT NULL, hostname TEXT NOT NULL,
            at TEXT NOT NULL, execution_time_ms INTEGER, message TEXT, strata_version TEXT NOT NULL
        );
        """

    @Test func earlierTablesAreUsedAsTheyAre() async throws {
        let dir = TempDir()
        let migrations = dir.path("migrations")
        try FileManager.default.createDirectory(atPath: migrations, withIntermediateDirectories: true)
        for i in 1...3 {
            try "CREATE TABLE t\(i) (id INTEGER);\n".write(toFile: "\(migrations)/00\(i)_t\(i).sql", atomically: true, encoding: .utf8)
            try "DROP TABLE t\(i);\n".write(toFile: "\(migrations)/00\(i)_t\(i).down.sql", atomically: true, encoding: .utf8)
        }
        let path = dir.newDatabasePath()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: Self.earlierTables) }
        try await queue.close()

        let driver = try SQLiteDriver.open(path: path, createIfMissing: false)
        let migrator = Migrator(driver: driver, migrations: try MigrationDirectory(path: migrations).load().migrations)
        #expect(try await migrator.migrate().applied.map(\.version) == ["001", "002", "003"])
        try await migrator.rollback(.steps(1))
        // Applied again after the rollback: the row of 003 is replaced, not duplicated.
        #expect(try await migrator.migrate().applied.map(\.version) == ["003"])
        #expect(try await driver.history().map(\.version) == ["001", "002", "003"])
        #expect(try await driver.history().allSatisfy { $0.status == .applied })
        #expect(try await driver.log().map(\.event) == [.applied, .applied, .applied, .rolledBack, .applied])
        #expect(try await driver.log().map(\.id) == [1, 2, 3, 4, 5])
        await driver.close()

        let definitions = try inspect(path) { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('strata_schema_history', 'strata_schema_log') ORDER BY name")
        }
        #expect(definitions.count == 2)
        #expect(definitions.allSatisfy { !$0.contains("WITHOUT ROWID") }, "the earlier tables are not recreated")
        #expect(definitions[1].contains("AUTOINCREMENT"))
    }

    @Test func newDatabasesGetTheLeanerTables() async throws {
        let dir = TempDir()
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        _ = try await driver.execute(makeUnit("CREATE TABLE a (id INTEGER);", version: "001"))
        await driver.close()
        let (history, log, sequence) = try inspect(driver.path) { db in
            (try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'strata_schema_history'") ?? "",
             try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'strata_schema_log'") ?? "",
             try db.tableExists("sqlite_sequence"))
        }
        #expect(history.hasSuffix("WITHOUT ROWID"))
        #expect(!log.contains("AUTOINCREMENT"))
        #expect(!sequence, "no sqlite_sequence table is made for the log")
    }
}
