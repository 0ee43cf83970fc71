import Foundation
import Strata
import StrataPostgres
import Testing

/// What the PostgreSQL driver adds to the conformance suite: error details and positions,
/// statements that cannot run in a transaction, schemas, timeouts, connection errors.
@Suite("PostgreSQL driver")
struct PostgresDriverTests {
    @Test func serverPositionMapsToLineAndColumnAfterMultibyteText() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        // The error is in the 3rd statement, on its 2nd line, after non-ASCII text; the script
        // starts on line 5 of its file (a goose section).
        let script = """
            CREATE TABLE café (id int PRIMARY KEY, name text);
            INSERT INTO café VALUES (1, 'crème brûlée; déjà vu');
            SELECT 'ünïcödé ✓', name,
                   missing_column FROM café;
            """
        let error = await strataError { _ = try await driver.execute(unit("m/001_x.sql", script, firstLine: 5)) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.databaseCode == "42703", "\(String(describing: error))")
        #expect(error?.location == Strata.SourceLocation(file: "m/001_x.sql", line: 8, column: 8), "\(String(describing: error))")
        #expect(error?.message == "column \"missing_column\" does not exist")
        #expect(try fixture.psql(try await currentDatabase(driver), "SELECT count(*) FROM pg_tables WHERE tablename = 'café'") == "0\n",
                "the failed migration's table was rolled back")
    }

    @Test func errorCarriesDetailHintAndConstraint() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        let script = """
            CREATE TABLE t (x int UNIQUE);
            INSERT INTO t VALUES (1);
            INSERT INTO t VALUES (1);
            """
        let error = try #require(await strataError { _ = try await driver.execute(unit("m/002.sql", script)) })
        #expect(error.databaseCode == "23505")
        #expect(error.location?.line == 3)
        #expect(error.details.contains("detail: Key (x)=(1) already exists."), "\(error.details)")
        let hinted = try #require(await strataError {
            _ = try await driver.execute(unit("m/003.sql", "SELECT * FROM nosuch_table;"))
        })
        #expect(hinted.databaseCode == "42P01")
        #expect(hinted.hint?.contains("search_path") == true, "\(String(describing: hinted.hint))")
        #expect(hinted.description.contains("m/003.sql:1:15: error: relation \"nosuch_table\" does not exist [42P01]"),
                "\(hinted.description)")
    }

    @Test func concurrentIndexRunsOutsideATransactionAndIsRecorded() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE users (email text);", version: "001"))
        let script = MigrationScript(path: "m/002.sql", sql: "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);")
        // As a transactional unit, PostgreSQL refuses it, with a hint to use no-transaction.
        let refused = try #require(await strataError { _ = try await driver.execute(unit("m/002.sql", script.sql, version: "002")) })
        #expect(refused.databaseCode == "25001")
        #expect(refused.hint?.contains("strata:no-transaction") == true)
        // The planner detects the statement; the driver then runs it outside a transaction.
        #expect(TransactionCompatibility.firstNonTransactionalStatement(in: script, engine: .postgres) != nil)
        _ = try await driver.execute(unit("m/002.sql", script.sql, version: "002", options: ExecutionOptions(transactional: false)))
        #expect(try fixture.psql(database, "SELECT indexname FROM pg_indexes WHERE tablename = 'users'") == "users_email\n")
        #expect(try await driver.history().map(\.version).sorted() == ["001", "002"])
        #expect(try await driver.invalidIndexes() == [])
    }

    @Test func scriptTransactionStatementsAreAbsorbedOrRefused() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        defer { Task { await driver.close() } }
        // A balanced BEGIN … COMMIT commits together with the history row.
        _ = try await driver.execute(unit("m/001.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", version: "001"))
        #expect(try fixture.psql(database, "SELECT count(*) FROM a") == "0\n")
        // A ROLLBACK would undo Strata's transaction: refused, located, nothing left behind.
        let error = try #require(await strataError {
            _ = try await driver.execute(unit("m/002.sql", "CREATE TABLE b (id int);\nROLLBACK;\n", version: "002"))
        })
        #expect(error.location?.line == 2)
        #expect(error.hint?.contains("no-transaction") == true)
        #expect(try fixture.psql(database, "SELECT to_regclass('b') IS NULL") == "t\n")
        // A plpgsql body containing COMMIT; (goose's procedure) is one statement, not a COMMIT.
        _ = try await driver.execute(unit("m/003.sql", """
            CREATE PROCEDURE insert_then_commit() LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO a VALUES (1);
                COMMIT;
            END $$;
            """, version: "003"))
        #expect(try fixture.psql(database, "SELECT count(*) FROM pg_proc WHERE proname = 'insert_then_commit'") == "1\n")
    }

    @Test func nonTransactionalScriptThatLeavesATransactionOpenFails() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        defer { Task { await driver.close() } }
        let error = try #require(await strataError {
            _ = try await driver.execute(unit("m/001.sql", "BEGIN;\nCREATE TABLE a (id int);\n",
                                              options: ExecutionOptions(transactional: false)))
        })
        #expect(error.message.contains("left a transaction open"))
        #expect(try fixture.psql(database, "SELECT to_regclass('a') IS NULL") == "t\n")
        #expect(try await driver.history().isEmpty)
    }

    @Test func historyTablesLiveInTheSearchPathSchema() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database, query: "search_path=billing"))
        defer { Task { await driver.close() } }
        #expect(try await driver.schema == "billing")
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE invoices (id int);"))
        let tables = try fixture.psql(database, """
            SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1
            """)
        #expect(tables == "billing.invoices\nbilling.strata_schema_history\nbilling.strata_schema_log\n")
        #expect(try await driver.tableColumns("invoices") == ["id"])
        #expect(try await driver.tableColumns("strata_schema_log")?.first == "id")
        #expect(try await driver.tableColumns("nothing") == nil)
        // Another schema of the same database has its own, empty history.
        let other = try await PostgresDriver.connect(try fixture.settings(database))
        #expect(try await other.history().isEmpty)
        await other.close()
    }

    @Test func rowsReadOtherToolsTablesAsText() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        try fixture.psql(database, """
            CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL,
                                           tstamp timestamp DEFAULT '2024-01-02 03:04:05');
            INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (20240101, true), (20240102, false);
            """)
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        defer { Task { await driver.close() } }
        let rows = try await driver.rows("SELECT \"version_id\", \"is_applied\", \"tstamp\", NULL FROM \"goose_db_version\" ORDER BY \"id\"")
        #expect(rows == [["0", "true", "2024-01-02 03:04:05", nil], ["20240101", "true", "2024-01-02 03:04:05", nil],
                         ["20240102", "false", "2024-01-02 03:04:05", nil]])
        #expect(try await driver.tableColumns("goose_db_version") == ["id", "version_id", "is_applied", "tstamp"])
        // Read-only: a write fails and changes nothing.
        let error = await strataError { _ = try await driver.rows("DELETE FROM goose_db_version RETURNING id") }
        #expect(error?.code == .database)
        #expect(try fixture.psql(database, "SELECT count(*) FROM goose_db_version") == "3\n")
    }

    @Test func migrationLockTimeoutFailsFastOnABusyTable() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database))
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE busy (id int);", version: "001"))
        // Another session holds a lock on the table until the end of the test.
        let holder = try await fixture.rawConnection(database)
        _ = try await holder.query("BEGIN", logger: fixture.logger).collect()
        _ = try await holder.query("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE", logger: fixture.logger).collect()
        defer { Task { try? await holder.close() } }

        var options = ExecutionOptions()
        options.lockTimeout = "300ms"
        let error = try #require(await strataError {
            _ = try await driver.execute(unit("m/002.sql", "-- strata:lock-timeout 300ms\nALTER TABLE busy ADD COLUMN name text;\n",
                                              version: "002", options: options))
        })
        #expect(error.databaseCode == "55P03", "\(error)")
        #expect(error.code == .migrationFailed)
        #expect(error.location?.line == 2)
        #expect(error.hint?.contains("lock_timeout") == true)
        #expect(try await driver.history().map(\.version) == ["001"])
        // SET LOCAL: the session's own setting is untouched afterwards.
        let rows = try await driver.rows("SELECT current_setting('lock_timeout')")
        #expect(rows == [["0"]])
    }

    @Test func runLevelTimeoutsApplyAndMigrationValuesWin() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let driver = try await PostgresDriver.connect(try fixture.settings(database), lockTimeout: "7s", statementTimeout: "1min")
        defer { Task { await driver.close() } }
        #expect(try await driver.rows("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')") == [["7s", "1min"]])
        var options = ExecutionOptions(transactional: false)
        options.statementTimeout = "100ms"
        let error = try #require(await strataError {
            _ = try await driver.execute(unit("m/001.sql", "SELECT pg_sleep(2);", options: options))
        })
        #expect(error.databaseCode == "57014", "\(error)")
        #expect(try await driver.rows("SELECT current_setting('statement_timeout')") == [["1min"]], "reset after the migration")
    }

    @Test func connectionErrorsAreClearAndNeverShowThePassword() async throws {
        let fixture = try PostgresFixture()
        let database = try fixture.database()
        let server = fixture.server
        let wrongPassword = try PostgresConnectionSettings.parse(server.url(database: database, password: "not-the-password-42"))
        let refused = try #require(await strataError { _ = try await PostgresDriver.connect(wrongPassword) })
        #expect(refused.code == .database)
        #expect(refused.databaseCode == "28P01", "\(refused)")
        #expect(!refused.description.contains("not-the-password-42"))
        #expect(refused.description.contains(":***@"), "\(refused.description)")

        let noDatabase = try PostgresConnectionSettings.parse(server.url(database: "no_such_db_here"))
        let missing = try #require(await strataError { _ = try await PostgresDriver.connect(noDatabase) })
        #expect(missing.databaseCode == "3D000")
        #expect(missing.hint?.contains("createdb no_such_db_here") == true)
        #expect(!missing.description.contains(server.password ?? "-"))

        let closedPort = try PostgresConnectionSettings.parse("postgres://u:secret-pw@127.0.0.1:1/db?sslmode=disable")
        let unreachable = try #require(await strataError { _ = try await PostgresDriver.connect(closedPort) })
        #expect(unreachable.code == .database)
        #expect(unreachable.message.contains("cannot connect to postgres://u:***@127.0.0.1:1/db"), "\(unreachable.message)")
        #expect(unreachable.hint?.contains("pg_isready") == true)
        #expect(!unreachable.description.contains("secret-pw"))
    }

    @Test func unixSocketURLConnects() async throws {
        let fixture = try PostgresFixture()
        let socket = try #require(fixture.server.socketDirectory, "the socket test needs the throwaway server")
        let database = try fixture.database()
        let settings = try PostgresConnectionSettings.parse("postgres://postgres@/\(database)?host=\(socket)&port=\(fixture.server.port)")
        #expect(settings.socketDirectory == socket)
        let driver = try await PostgresDriver.connect(settings)
        #expect(try await driver.rows("SELECT current_database()") == [[database]])
        await driver.close()
    }

    private func currentDatabase(_ driver: PostgresDriver) async throws -> String {
        try await driver.rows("SELECT current_database()")[0][0]!
    }
}

