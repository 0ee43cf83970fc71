import Foundation
import Logging
import PostgresNIO
import Strata
import StrataPostgres
import Testing

/// A migrator over the application's own `PostgresClient` (PostgresNIO's pool), and the URL
/// convenience, against the real server.
@Suite("PostgreSQL driver over an application's PostgresClient")
struct PostgresClientDriverTests {
    @Test func migratorFromClientMigratesOnceAndLeavesTheClientUsable() async throws {
        let fixture = try PostgresFixture()
        try await Self.withClient(fixture, maximumConnections: 2) { client, _ in
            func makeMigrator(_ driver: PostgresDriver) throws -> Migrator {
                var migrator = Migrator(driver: driver, configuration: Migrator.Configuration(backups: .disabled))
                try migrator.registerMigration("001", "create_items", sql: "CREATE TABLE items (id bigint PRIMARY KEY, name text);")
                try migrator.registerMigration("002", "seed_items", revision: "1") { db in
                    if try await !db.columnExists("name", in: "items") { throw StrataError(.migrationFailed, "no name column") }
                    try await db.execute("INSERT INTO items (id, name) VALUES (?, ?)", arguments: [1, "first"])
                }
                return migrator
            }

            let driver = try PostgresDriver(client: client, lockTimeout: "3s")
            #expect(driver.settings == nil)
            let report = try await makeMigrator(driver).migrate()
            #expect(report.applied.map(\.version) == ["001", "002"])
            #expect(report.backup == nil, "no pg_dump without connection settings")
            #expect(try await driver.schema == "public")
            await driver.close()

            // A second run, from a new driver on the same pool, has nothing to do.
            let second = try PostgresDriver(client: client)
            let again = try await makeMigrator(second).migrate()
            #expect(again.applied.isEmpty)
            #expect(try await second.history().map(\.kind) == [.sql, .swift])
            await second.close()
            let closed = await strataError { _ = try await second.history() }
            #expect(closed?.code == .database)

            // The client is still the application's: both pooled connections are usable, with the
            // session settings the driver made reset and no temporary function of Strata's left
            // (migration 001 ran through it).
            let settings = try await withThrowingTaskGroup(of: String.self) { inner in
                for _ in 0..<2 {
                    inner.addTask {
                        try await client.withConnection { connection in
                            let rows = try await connection.query("""
                                SELECT current_setting('lock_timeout') || ' ' || count(*)::text || ' '
                                    || (to_regprocedure('pg_temp.strata_run_script(text[])') IS NULL)::text FROM items
                                """,
                                                                  logger: fixture.logger).collect()
                            try await Task.sleep(for: .milliseconds(50))
                            return try rows.first?.decode(String.self) ?? ""
                        }
                    }
                }
                var seen: [String] = []
                for try await value in inner { seen.append(value) }
                return seen
            }
            #expect(settings == ["0 1 true", "0 1 true"], "\(settings)")
        }
    }

    @Test func runnerLockOverTheClientBlocksASecondRunner() async throws {
        let fixture = try PostgresFixture()
        try await Self.withClient(fixture, maximumConnections: 3) { client, database in
            let driver = try PostgresDriver(client: client)
            // The same key as a URL runner on this database: the URL runner waits, then gives up.
            let urlDriver = try await PostgresDriver.connect(url: fixture.server.url(database: database))
            let holder = try await driver.withRunnerLock(timeout: 1, onEvent: { _ in }) {
                await strataError {
                    try await urlDriver.withRunnerLock(timeout: 0.3, onEvent: { _ in }) {}
                }
            }
            #expect(holder?.code == .lockTimeout)
            #expect(holder?.message.contains("strata runner pid") == true, "\(String(describing: holder?.message))")
            // Released afterwards: the URL runner gets it at once.
            let got = try await urlDriver.withRunnerLock(timeout: 0, onEvent: { _ in }) { true }
            #expect(got)
            await urlDriver.close()
            await driver.close()
        }
    }

    /// Runs `body` with a running client (the application's pool) on a new database.
    static func withClient(_ fixture: PostgresFixture, maximumConnections: Int,
                           _ body: @escaping @Sendable (PostgresClient, String) async throws -> Void) async throws {
        let database = try fixture.database()
        var configuration = PostgresClient.Configuration(host: fixture.server.host, port: fixture.server.port,
                                                         username: fixture.server.user, password: fixture.server.password,
                                                         database: database, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: fixture.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await body(client, database)
            group.cancelAll()
        }
    }

    @Test func connectFromURLReportsABadURL() async throws {
        let error = await strataError { _ = try await PostgresDriver.connect(url: "mysql://nope") }
        #expect(error?.code == .configuration)
    }
}
