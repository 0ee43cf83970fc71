import Foundation
import Logging
import PostgresNIO
import PostgresTestServer
import Strata
import StrataPostgres
import Testing

/// Fresh databases on the shared test server for one test; dropped when the test ends.
final class PostgresFixture: @unchecked Sendable {
    let server: PostgresTestServer
    private var created: [String] = []
    private let lock = NSLock()

    /// The shared server; the error thrown when no server can be started fails the test (it is
    /// never skipped) and says why.
    init() throws {
        server = try PostgresTestServer.shared()
    }

    deinit {
        for name in created { server.dropDatabase(name) }
    }

    /// A new, empty database.
    func database() throws -> String {
        let name = try server.createDatabase()
        lock.withLock { created.append(name) }
        return name
    }

    /// Connection settings for a database (TCP, password, no TLS), with extra URL parameters.
    func settings(_ database: String, query: String = "") throws -> PostgresConnectionSettings {
        try PostgresConnectionSettings.parse(server.url(database: database, query: query))
    }

    /// A driver on a new, empty database.
    func driver(historyTable: String = StrataInfo.defaultHistoryTable, logTable: String = "strata_schema_log",
                query: String = "", lockTimeout: String? = nil, statementTimeout: String? = nil) async throws -> PostgresDriver {
        try await PostgresDriver.connect(try settings(try database(), query: query), historyTable: historyTable,
                                         logTable: logTable, lockTimeout: lockTimeout, statementTimeout: statementTimeout)
    }

    /// A plain PostgresNIO connection to a database, for holding locks and transactions open.
    func rawConnection(_ database: String) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(host: server.host, port: server.port, username: server.user,
                                                             password: server.password, database: database, tls: .disable)
        return try await PostgresConnection.connect(configuration: configuration, id: 99, logger: logger)
    }

    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `psql` output for SQL on a database.
    @discardableResult
    func psql(_ database: String, _ sql: String) throws -> String {
        try server.psql(database, sql)
    }
}

/// A unit that writes one history row for `version`.
func unit(_ path: String, _ sql: String, version: String = "001", options: ExecutionOptions = ExecutionOptions(),
          verify: MigrationScript? = nil, firstLine: Int = 1) -> ExecutionUnit {
    ExecutionUnit(script: MigrationScript(path: path, sql: sql, firstLine: firstLine), options: options, verify: verify) { ms in
        [.upsert(HistoryRecord(version: version, description: "test \(version)", kind: .sql, script: path,
                               checksum: nil, downSQL: nil, appliedBy: "tester", hostname: "h",
                               appliedAt: Timestamp.now(), executionTimeMs: ms, status: .applied))]
    }
}

/// The error a throwing body throws, as a StrataError (records an issue otherwise).
func strataError(_ body: () async throws -> Void, sourceLocation: Testing.SourceLocation = #_sourceLocation) async -> StrataError? {
    do {
        try await body()
        Issue.record("expected an error", sourceLocation: sourceLocation)
    } catch let error as StrataError {
        return error
    } catch {
        Issue.record("expected a StrataError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
