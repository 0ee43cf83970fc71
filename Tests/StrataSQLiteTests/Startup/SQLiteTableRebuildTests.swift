import Foundation
import GRDB
import Strata
import StrataSQLite
import Testing

/// SQLite's 12-step table rebuild on real files, through Swift migrations.
@Suite("SQLite table rebuild")
struct SQLiteTableRebuildTests {
    let dir = TempDir()

    /// A parent table with cascading children, an index, a trigger, a view and an AUTOINCREMENT counter.
    static let schema = """
        CREATE TABLE servers (id TEXT PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE services (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            server_id TEXT NOT NULL
        );
        CREATE TABLE deployments (
            id INTEGER PRIMARY KEY,
            service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE
        );
        CREATE TABLE audit (what TEXT);
        CREATE INDEX idx_services_name ON services(name);
        CREATE TRIGGER services_audit AFTER INSERT ON services BEGIN INSERT INTO audit VALUES ('service ' || new.name); END;
        CREATE TRIGGER deployments_touch AFTER INSERT ON deployments BEGIN UPDATE services SET name = name WHERE id = new.service_id; END;
        CREATE VIEW service_names AS SELECT s.name, v.name AS server FROM services AS s JOIN servers AS v ON v.id = s.server_id;
        INSERT INTO servers VALUES ('a', 'alpha'), ('b', 'beta');
        INSERT INTO services (id, name, server_id) VALUES (1, 'web', 'a'), (2, 'db', 'b'), (3, 'ghost', 'gone'), (10, 'cache', 'a');
        DELETE FROM services WHERE id = 10;
        INSERT INTO deployments VALUES (1, 1), (2, 1), (3, 2);
        """

    /// Seed 001's change: services get a foreign key to servers, with ON DELETE CASCADE.
    static let cascade = SQLiteTableRebuild(
        table: "services",
        definition: """
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE
            """,
        droppingOrphans: true)

    func run(_ rebuild: SQLiteTableRebuild, schema: String = Self.schema) async throws
        -> (SQLiteDriver, Result<SQLiteTableRebuild.Result, StrataError>) {
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        try await driver.executeRaw("PRAGMA foreign_keys = OFF;\n" + schema + "\nPRAGMA foreign_keys = ON;")
        let outcome = ResultBox()
        var migrator = Migrator(driver: driver, configuration: .init(backups: .disabled))
        try migrator.registerSQLiteMigration("001", "rebuild", revision: "1") { db in
            outcome.result = try await db.rebuildTable(rebuild)
        }
        do {
            try await migrator.migrate()
            return (driver, .success(try #require(outcome.result)))
        } catch let error as StrataError {
            return (driver, .failure(error))
        }
    }

    @Test func rebuildingACascadeParentKeepsEveryChildAndTheSchemaAroundIt() async throws {
        let (driver, outcome) = try await run(Self.cascade)
        let result = try outcome.get()
        #expect(result.copiedRows == 2 && result.droppedOrphans == 1, "the service of a gone server is left out")
        #expect(result.copiedColumns == ["id", "name", "server_id"])
        #expect(result.recreated == ["idx_services_name", "services_audit"])
        try inspect(driver.path) { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM deployments") == 3, "no child row is deleted")
            #expect(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'services'")?
                .contains("ON DELETE CASCADE") == true)
            #expect(try db.indexes(on: "services").map(\.name) == ["idx_services_name"])
            #expect(try String.fetchAll(db, sql: "SELECT name FROM service_names ORDER BY name") == ["db", "web"])
            #expect(try Int.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'services'") == 10,
                    "the AUTOINCREMENT counter is kept, so id 10 is never reused")
            #expect(try Bool.fetchOne(db, sql: "PRAGMA legacy_alter_table") == false)
        }
        #expect(try await driver.foreignKeysEnabled())
        #expect(try await driver.foreignKeyViolations().isEmpty)
        // The triggers work on the new table.
        try await driver.executeRaw("INSERT INTO services (name, server_id) VALUES ('new', 'a'); INSERT INTO deployments VALUES (4, 2);")
        try inspect(driver.path) { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT max(id) FROM services") == 11)
            #expect(try String.fetchAll(db, sql: "SELECT what FROM audit") == ["service web", "service db", "service ghost", "service cache", "service new"])
        }
        // And the cascade the rebuild added works.
        try await driver.executeRaw("DELETE FROM servers WHERE id = 'a';")
        try inspect(driver.path) { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM services") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM deployments") == 2)
        }
        await driver.close()
    }

    @Test func orphansFailTheRebuildUnlessTheyAreDropped() async throws {
        var keep = Self.cascade
        keep.droppingOrphans = false
        let (driver, outcome) = try await run(keep)
        guard case .failure(let error) = outcome else { Issue.record("the orphan must fail the rebuild"); return }
        #expect(error.code == .verificationFailed)
        #expect(error.details == ["services rowid 3 references servers"])
        #expect(error.hint?.contains("droppingOrphans") == true)
        try inspect(driver.path) { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM services") == 3, "rolled back")
            #expect(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'services'")?
                .contains("CASCADE") == false)
            #expect(try db.tableExists("strata_rebuild_services") == false)
        }
        #expect(try await driver.history().first?.status == .failed)
        await driver.close()
    }

    @Test func childRowsWhoseParentIsNotCopiedAreNeverDeleted() async throws {
        // Deployment 3 belongs to service 2 (server 'b'); leaving out server b's services orphans it.
        let rebuild = SQLiteTableRebuild(
            table: "services",
            definition: "id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, server_id TEXT NOT NULL REFERENCES servers(id)",
            droppingOrphans: true)
        let schema = Self.schema + "\nDELETE FROM servers WHERE id = 'b';"
        let (driver, outcome) = try await run(rebuild, schema: schema)
        guard case .failure(let error) = outcome else { Issue.record("the orphaned child must fail the rebuild"); return }
        #expect(error.code == .verificationFailed)
        #expect(error.details == ["deployments rowid 3 references services"])
        #expect(try inspect(driver.path) { try Int.fetchOne($0, sql: "SELECT count(*) FROM deployments") } == 3)
        await driver.close()
    }

    @Test func columnsCanBeChosenAndComputed() async throws {
        let rebuild = SQLiteTableRebuild(
            table: "servers",
            definition: "id TEXT PRIMARY KEY, label TEXT NOT NULL, created TEXT",
            columns: ["id"], expressions: ["label": "upper(name)"])
        let (driver, outcome) = try await run(rebuild, schema: Self.schema.replacingOccurrences(
            of: "CREATE VIEW service_names AS SELECT s.name, v.name AS server FROM services AS s JOIN servers AS v ON v.id = s.server_id;",
            with: ""))
        let result = try outcome.get()
        #expect(result.copiedRows == 2 && result.copiedColumns == ["id"])
        #expect(try inspect(driver.path) { try String.fetchAll($0, sql: "SELECT label FROM servers ORDER BY id") } == ["ALPHA", "BETA"])
        await driver.close()
    }

    @Test func aViewThatNoLongerCompilesFailsTheRebuild() async throws {
        let rebuild = SQLiteTableRebuild(table: "servers", definition: "id TEXT PRIMARY KEY, title TEXT")
        let (driver, outcome) = try await run(rebuild)
        guard case .failure(let error) = outcome else { Issue.record("the broken view must fail the rebuild"); return }
        #expect(error.message.contains("view service_names no longer works"))
        #expect(try inspect(driver.path) { try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'servers'") }?
            .contains("name TEXT NOT NULL") == true)
        await driver.close()
    }

    @Test func itRefusesToRunWithForeignKeysOnOrOutsideATransaction() throws {
        let queue = try DatabaseQueue(path: dir.newDatabasePath())
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY)")
            let rebuild = SQLiteTableRebuild(table: "t", definition: "id INTEGER PRIMARY KEY, x TEXT")
            let outside = #expect(throws: StrataError.self) { try rebuild.apply(to: db) }
            #expect(outside?.message.contains("inside a transaction") == true)
            try db.execute(sql: "BEGIN")
            let withKeys = #expect(throws: StrataError.self) { try rebuild.apply(to: db) }
            #expect(withKeys?.message.contains("foreign keys off") == true)
            try db.execute(sql: "ROLLBACK")
            let missing = SQLiteTableRebuild(table: "nope", definition: "id INTEGER")
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "BEGIN")
            let none = #expect(throws: StrataError.self) { try missing.apply(to: db) }
            #expect(none?.message == "there is no table nope to rebuild")
            try db.execute(sql: "ROLLBACK")
        }
        try queue.close()
    }
}

/// Carries a rebuild's result out of a migration closure.
final class ResultBox: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var value: SQLiteTableRebuild.Result?
    var result: SQLiteTableRebuild.Result? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
