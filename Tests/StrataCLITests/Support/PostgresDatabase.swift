import Foundation
import PostgresTestServer
import Testing

/// A fresh database on the shared PostgreSQL test server for one CLI test; dropped at the end.
/// Fails the test (never skips it) when no server can be started.
final class PostgresDatabase {
    let server: PostgresTestServer
    let name: String

    init() throws {
        server = try PostgresTestServer.shared()
        name = try server.createDatabase(prefix: "strata_cli")
    }

    deinit { server.dropDatabase(name) }

    /// The database URL (with the password) to give `strata -d`.
    var url: String { server.url(database: name) }

    /// The password in ``url``, which no output may show.
    var password: String { server.password ?? "" }

    /// psql output (unaligned, tuples only) for SQL on this database.
    @discardableResult
    func psql(_ sql: String) throws -> String { try server.psql(name, sql) }

    /// The normalised `pg_dump -s` of the user schema (Strata's objects left out).
    func schema() throws -> String { try server.schemaDump(name) }
}
