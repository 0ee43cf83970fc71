import Foundation
import Strata
import StrataDriverTesting
import StrataPostgres
import Testing

/// The same driver conformance suite as SQLite, each check on fresh databases of the test server.
@Suite("PostgreSQL driver conformance")
struct ConformanceTests {
    @Test(arguments: DriverConformance.all)
    func conformance(_ check: DriverConformance.Check) async throws {
        let fixture = try PostgresFixture()
        try await check.run { try await fixture.driver() }
    }

    /// With a session `statement_timeout` every migration runs statement by statement (see
    /// `PostgresScriptFunction`): the same suite, on that path.
    @Test(arguments: DriverConformance.all)
    func conformanceStatementByStatement(_ check: DriverConformance.Check) async throws {
        let fixture = try PostgresFixture()
        try await check.run { try await fixture.driver(statementTimeout: "10min") }
    }

    @Test func logIsAppendOnly() async throws {
        let fixture = try PostgresFixture()
        try await DriverConformance.logIsAppendOnly(
            { try await fixture.driver() },
            rawExecute: { driver, sql in try await (driver as! PostgresDriver).executeRaw(sql) })
        // TRUNCATE is refused too.
        let driver = try await fixture.driver()
        try await driver.prepareHistory()
        let error = await strataError { try await driver.executeRaw("TRUNCATE strata_schema_log") }
        #expect(error?.databaseCode == "42501", "\(String(describing: error))")
        await driver.close()
    }

    @Test func conformanceWithCustomTableNamesInAnotherSchema() async throws {
        let fixture = try PostgresFixture()
        for check in DriverConformance.all {
            try await check.run {
                try await fixture.driver(historyTable: "my \"history\"", logTable: "audit'log", query: "search_path=Ledger,public")
            }
        }
        try await DriverConformance.logIsAppendOnly(
            { try await fixture.driver(logTable: "audit_log", query: "search_path=ledger") },
            logTable: "ledger.audit_log",
            rawExecute: { driver, sql in try await (driver as! PostgresDriver).executeRaw(sql) })
    }
}
