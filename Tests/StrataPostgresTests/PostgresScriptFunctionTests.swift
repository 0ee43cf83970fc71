import Foundation
import Strata
@testable import StrataPostgres
import Testing

/// A transactional migration and its history records go to the server as one statement, through
/// the session's temporary function; whatever cannot run that way runs statement by statement,
/// with the same result and the same errors.
@Suite("PostgreSQL: a migration in one statement")
struct PostgresScriptFunctionTests {
    @Test func aMigrationAndItsRecordGoAsOneStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        let ms = try await driver.execute(unit("m/001.sql", """
            CREATE TABLE a (id int PRIMARY KEY, note text);
            INSERT INTO a VALUES (1, 'semi; colon'), (2, $$dollar 'quoted'$$);
            CREATE FUNCTION a_count() RETURNS bigint LANGUAGE sql AS $body$ SELECT count(*) FROM a $body$;
            """))
        #expect(await driver.session.serverRuns == 1)
        #expect(try await driver.rows("SELECT a_count()::text, string_agg(note, '|' ORDER BY id) FROM a")
                == [["2", "semi; colon|dollar 'quoted'"]])
        let history = try await driver.history()
        #expect(history.map(\.version) == ["001"] && history.first?.executionTimeMs == ms, "\(history)")
    }

    /// The function's body names the history tables; a name containing its dollar quote still works.
    @Test func historyTablesWhoseNamesHoldTheFunctionsQuote() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver(historyTable: "h$strata$x", logTable: "l$strata_strata$y")
        defer { Task { await driver.close() } }
        try await driver.prepareHistory()
        let ms = try await driver.execute(ExecutionUnit(script: MigrationScript(path: "m/001.sql", sql: "CREATE TABLE q (id int);"),
                                                        options: ExecutionOptions()) { ms in
            [.upsert(HistoryRecord(version: "001", description: "q", kind: .sql, script: "m/001.sql", checksum: nil,
                                   downSQL: nil, appliedBy: "tester", hostname: "h", appliedAt: Timestamp.now(),
                                   executionTimeMs: ms, status: .applied)),
             .append(LogEntry(version: "001", event: .applied, description: "q", checksum: nil, actor: "tester",
                              hostname: "h", at: Timestamp.now(), executionTimeMs: ms))]
        })
        #expect(await driver.session.serverRuns == 1)
        #expect(try await driver.history().map(\.executionTimeMs) == [ms])
        #expect(try await driver.log().map(\.executionTimeMs) == [ms])
    }

    @Test func statementsAFunctionCannotRunGoOneByOne() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", """
            CREATE TABLE b (id int);
            SAVEPOINT before_rows;
            INSERT INTO b VALUES (1);
            RELEASE SAVEPOINT before_rows;
            """))
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.rows("SELECT count(*)::text FROM b") == [["1"]])
        #expect(try await driver.history().map(\.version) == ["001"])
    }

    /// A script with no statement left (comments, or only its own `BEGIN`/`COMMIT`) is recorded
    /// without the function.
    @Test func aScriptWithoutStatementsIsRecordedStatementByStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", "-- nothing yet\nBEGIN;\nCOMMIT;\n"))
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.history().map(\.version) == ["001"])
    }

    /// `SELECT … INTO` is refused inside PL/pgSQL's `EXECUTE`: the one statement fails, the server
    /// rolls it back, and the statement-by-statement run succeeds, recording the migration once.
    @Test func whatFailsOnlyInsideTheFunctionRunsAgainStatementByStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", """
            CREATE TABLE source (id int);
            INSERT INTO source VALUES (1), (2);
            SELECT * INTO copied FROM source;
            """))
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.rows("SELECT count(*)::text FROM copied") == [["2"]])
        #expect(try await driver.rows("SELECT count(*)::text FROM source") == [["2"]], "the first attempt left nothing")
        #expect(try await driver.history().map(\.version) == ["001"])
        // The next migration goes as one statement again.
        _ = try await driver.execute(unit("m/002.sql", "CREATE TABLE after_copy (id int);", version: "002"))
        #expect(await driver.session.serverRuns == 1)
    }

    /// A failing statement is reported where it is, and nothing of the migration stays.
    @Test func aFailureIsReportedAtItsStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        let error = await strataError {
            _ = try await driver.execute(unit("m/001.sql", """
                CREATE TABLE c (id int PRIMARY KEY);
                INSERT INTO c VALUES (1);
                INSERT INTO c VALUES (1);
                """))
        }
        #expect(error?.databaseCode == "23505")
        #expect(error?.location == Strata.SourceLocation(file: "m/001.sql", line: 3, column: 1), "\(String(describing: error))")
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.rows("SELECT count(*)::text FROM pg_tables WHERE tablename = 'c'") == [["0"]])
        #expect(try await driver.history().isEmpty)
    }

    /// A script that drops the session's temporary objects drops the function too: the next
    /// migration runs statement by statement, and the one after it recreates the function.
    @Test func aScriptDroppingTheFunctionDoesNotStopTheRun() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE d1 (id int);", version: "001"))
        _ = try await driver.execute(unit("m/002.sql", "DISCARD TEMP;", version: "002"))
        _ = try await driver.execute(unit("m/003.sql", "CREATE TABLE d3 (id int);", version: "003"))
        _ = try await driver.execute(unit("m/004.sql", "CREATE TABLE d4 (id int);", version: "004"))
        #expect(await driver.session.serverRuns == 2)
        #expect(try await driver.history().map(\.version).sorted() == ["001", "002", "003", "004"])
        #expect(try await driver.rows("SELECT count(*)::text FROM pg_tables WHERE tablename IN ('d1', 'd3', 'd4')") == [["3"]])
    }

    /// Inside the function a `statement_timeout` would bound the whole migration instead of each
    /// statement, so a session with one runs statement by statement.
    @Test func aSessionStatementTimeoutKeepsStatementByStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver(statementTimeout: "10min")
        defer { Task { await driver.close() } }
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE e (id int);"))
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.history().map(\.version) == ["001"])
    }

    /// A server that logs statements (`log_statement`) logs each of a migration's statements only
    /// when they are sent one by one, so such a session never uses the function.
    @Test func aServerLoggingStatementsKeepsStatementByStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        try await driver.executeRaw("SET log_statement = 'ddl';")
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE logged (id int);"))
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.history().map(\.version) == ["001"])
    }

    /// Migrations with their own timeouts or a verify script run statement by statement.
    @Test func timeoutsAndVerifyScriptsKeepStatementByStatement() async throws {
        let fixture = try PostgresFixture()
        let driver = try await fixture.driver()
        defer { Task { await driver.close() } }
        var options = ExecutionOptions()
        options.lockTimeout = "5s"
        _ = try await driver.execute(unit("m/001.sql", "CREATE TABLE f (id int);", version: "001", options: options))
        _ = try await driver.execute(unit("m/002.sql", "CREATE TABLE g (id int);", version: "002",
                                          verify: MigrationScript(path: "m/002.verify.sql", sql: "SELECT 1 WHERE false;")))
        #expect(await driver.session.serverRuns == 0)
        #expect(try await driver.history().map(\.version).sorted() == ["001", "002"])
    }
}
