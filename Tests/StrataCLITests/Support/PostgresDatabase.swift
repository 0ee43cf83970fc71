import Foundation
import PostgresTestServer
import Testing

/// A fresh database on the shared PostgreSQL test server for one CLI test; dropped at the end.
/// Fails the test (never skips it) when no server can be started.
final class PostgresDatabase {
    let server: PostgresTestServer
    let name: String

    /// A database on the shared server, or on `server`.
    init(on server: PostgresTestServer? = nil) throws {
        self.server = try server ?? PostgresTestServer.shared()
        name = try self.server.createDatabase(prefix: "strata_cli")
    }

    deinit { server.dropDatabase(name) }

    /// The database URL (with the password) to give `strata -d`.
    var url: String { server.url(database: name) }

    /// The password in ``url``, which no output may show.
    var password: String { server.password ?? "" }

    /// psql output (unaligned, tuples only) for SQL on this database.
    @discardableResult
    func psql(_ sql: String) throws -> String { try server.psql(name, sql) }

    /// A `psql` session on this database that reads its commands from `commands` (not started
    /// yet): another client holding a lock or a connection while a test runs `strata`.
    func psqlSession(commands: Pipe, applicationName: String? = nil) -> Process {
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: PostgresTestServer.clientProgram("psql"))
        psql.arguments = ["-X", "-q", "-d", name]
        var environment = ProcessInfo.processInfo.environment.merging(server.clientEnvironment) { $1 }
        if let applicationName { environment["PGAPPNAME"] = applicationName }
        psql.environment = environment
        psql.standardInput = commands
        psql.standardOutput = FileHandle.nullDevice
        psql.standardError = FileHandle.nullDevice
        return psql
    }

    /// The normalised `pg_dump -s` of the user schema (Strata's objects left out).
    func schema() throws -> String { try server.schemaDump(name) }
}
