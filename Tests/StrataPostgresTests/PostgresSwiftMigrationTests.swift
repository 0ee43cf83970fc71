import Foundation
import PostgresNIO
import Strata
import StrataDriverTesting
import StrataPostgres
import Testing

/// Swift-code migrations on PostgreSQL: run through the ``Migrator`` against the real server,
/// committed with their history row (`type = swift`) or rolled back whole.
@Suite("PostgreSQL Swift migrations")
struct PostgresSwiftMigrationTests {
    @Test(arguments: DriverConformance.swiftMigrations)
    func conformance(_ check: DriverConformance.Check) async throws {
        let fixture = try PostgresFixture()
        try await check.run { try await fixture.driver() }
    }

    /// The ``Migrator`` runs a plan's steps on the event loop of the driver's own connection (the
    /// driver's preferred task executor): every answer of the server resumes the run on the thread
    /// that received it, with no hand-off to Swift's global pool between statements.
    @Test func stepsRunOnTheEventLoopOfTheConnection() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        #expect(driver.preferredTaskExecutor != nil)
        let seen = OnLoopRecord()
        var migrator = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
        try migrator.registerMigration("001", "where_it_runs", revision: "1") { db in
            seen.note(MultiThreadedEventLoopGroup.currentEventLoop != nil)
            try await db.execute("CREATE TABLE t (x int)")
            seen.note(MultiThreadedEventLoopGroup.currentEventLoop != nil)
        }
        let report = try await migrator.migrate()
        #expect(report.applied.map(\.version) == ["001"])
        #expect(seen.values == [true, true], "the step ran on an event loop before and after its statement")
        await driver.close()
    }

    @Test func swiftMigrationIsAppliedAndRecordedAsSwift() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        var migrator = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
        try migrator.registerMigration("001", "create_users",
                                       sql: "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, note text);")
        try migrator.registerMigration("002", "backfill_users", revision: "1") { db in
            try await db.execute("INSERT INTO users (id, name) VALUES (?, ?)", arguments: [1, "ada"])
            // `?` inside literals, quoted names, comments and dollar quotes stays as written.
            try await db.execute("UPDATE users SET note = '?' || $$?$$ /* ? */ WHERE name = ? -- ?", arguments: ["ada"])
            try await db.execute("""
                CREATE INDEX users_name ON users (name);
                INSERT INTO users (id, name) VALUES (2, 'bob');
                """)
        }
        let report = try await migrator.migrate()
        #expect(report.applied.map(\.version) == ["001", "002"])
        #expect(try fixture.psql(database, "SELECT version || ':' || type FROM strata_schema_history ORDER BY version")
                    == "001:sql\n002:swift\n")
        #expect(try fixture.psql(database, "SELECT id || '=' || name || '/' || coalesce(note, '-') FROM users ORDER BY id")
                    == "1=ada/??\n2=bob/-\n")
        let again = try await migrator.migrate()
        #expect(again.applied.isEmpty, "a second run applies nothing")
        await driver.close()
    }

    @Test func throwingSwiftMigrationIsRolledBackAndRecordedAsFailed() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        var migrator = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
        try migrator.registerMigration("001", "half_done", revision: "1") { db in
            try await db.execute("CREATE TABLE half (id int)")
            try await db.execute("INSERT INTO half VALUES (?)", arguments: [1])
            throw Boom()
        }
        let error = await strataError { _ = try await migrator.migrate() }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("boom") == true, "\(String(describing: error))")
        #expect(try fixture.psql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'") == "0\n",
                "the failed migration's table was rolled back")
        #expect(try fixture.psql(database, "SELECT status FROM strata_schema_history") == "failed\n")

        // An SQL error inside the closure is located at the registration, with the SQLSTATE.
        var second = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
        try second.registerMigration("001", "bad_sql", revision: "1", file: "App/Migrations.swift", line: 40) { db in
            try await db.execute("CREATE TABLE ok_table (id int)")
            try await db.execute("INSERT INTO nosuch VALUES (?)", arguments: [1])
        }
        try await driver.executeRaw("DELETE FROM strata_schema_history")
        let sqlError = await strataError { _ = try await second.migrate() }
        #expect(sqlError?.databaseCode == "42P01", "\(String(describing: sqlError))")
        #expect(sqlError?.location?.file == "App/Migrations.swift")
        #expect(sqlError?.location?.line == 40)
        #expect(try fixture.psql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'ok_table'") == "0\n")
        await driver.close()
    }

    @Test func existenceHelpersAnswerInTheDriversSchema() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        try fixture.psql(database, """
            CREATE SCHEMA billing;
            CREATE TABLE billing.invoices (id int, total numeric);
            CREATE INDEX invoices_total ON billing.invoices (total);
            CREATE VIEW billing.invoice_view AS SELECT id FROM billing.invoices;
            CREATE TABLE public.elsewhere (id int);
            CREATE INDEX elsewhere_id ON public.elsewhere (id);
            """)
        let driver = try await PostgresDriver.connect(try fixture.settings(database, query: "search_path=billing"))
        let answers = AnswerBox()
        var migrator = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
        try migrator.registerMigration("001", "probe", revision: "1") { db in
            answers.set([
                "table": try await db.tableExists("invoices"),
                "table case-insensitive": try await db.tableExists("Invoices"),
                "view is not a table": try await db.tableExists("invoice_view"),
                "table in another schema": try await db.tableExists("elsewhere"),
                "column": try await db.columnExists("total", in: "invoices"),
                "missing column": try await db.columnExists("nope", in: "invoices"),
                "column of missing table": try await db.columnExists("id", in: "nope"),
                "index": try await db.indexExists("invoices_total"),
                "index in another schema": try await db.indexExists("elsewhere_id"),
                "missing index": try await db.indexExists("nope"),
            ])
            let rows = try await db.rows("SELECT 1::int2, 2::int8, 2.5::float8, 7::numeric, true, 'x'::text, NULL, '\\x0aff'::bytea")
            answers.rows = rows
        }
        _ = try await migrator.migrate()
        #expect(answers.value == [
            "table": true, "table case-insensitive": true, "view is not a table": false, "table in another schema": false,
            "column": true, "missing column": false, "column of missing table": false,
            "index": true, "index in another schema": false, "missing index": false,
        ])
        #expect(answers.rows == [[.integer(1), .integer(2), .real(2.5), .integer(7), .integer(1), .text("x"), .null, .blob([0x0a, 0xff])]])
        await driver.close()
    }

    @Test func handleRefusesTransactionControlAndUseAfterTheMigration() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        let kept = HandleBox()
        var migrator = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
        try migrator.registerMigration("001", "commits", revision: "1") { db in
            kept.handle = db
            try await db.execute("CREATE TABLE t (id int); COMMIT;")
        }
        let error = await strataError { _ = try await migrator.migrate() }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("COMMIT") == true, "\(String(describing: error))")
        let late = await strataError { try await kept.handle?.execute("SELECT 1") }
        #expect(late?.message.contains("after it ended") == true, "\(String(describing: late))")
        await driver.close()
    }
}

/// Values a migration's closure hands back to the test.
final class AnswerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: Bool] = [:]
    private var cells: [[SQLValue]] = []
    var value: [String: Bool] { lock.withLock { answers } }
    var rows: [[SQLValue]] {
        get { lock.withLock { cells } }
        set { lock.withLock { cells = newValue } }
    }
    func set(_ new: [String: Bool]) { lock.withLock { answers = new } }
}

/// A migration's handle kept past the migration.
final class HandleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: (any MigrationDatabase)?
    var handle: (any MigrationDatabase)? {
        get { lock.withLock { kept } }
        set { lock.withLock { kept = newValue } }
    }
}

/// What a migration closure saw, noted from whichever thread it ran on.
private final class OnLoopRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var noted: [Bool] = []

    func note(_ value: Bool) { lock.withLock { noted.append(value) } }
    var values: [Bool] { lock.withLock { noted } }
}
