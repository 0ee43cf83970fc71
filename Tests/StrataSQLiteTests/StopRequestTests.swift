import Foundation
import Strata
import StrataSQLite
import Testing

/// A run stops cleanly between two migrations when its ``StopRequest`` is made: the migration in
/// progress commits, the next one does not start. (Task cancellation: "Migrator at start-up".)
@Suite("Stopping a run")
struct StopRequestTests {
    /// Three migrations in a directory, and a driver on a new database.
    static func setUp(_ dir: TempDir) throws -> (Migrator, SQLiteDriver) {
        let migrations = dir.path("migrations")
        try FileManager.default.createDirectory(atPath: migrations, withIntermediateDirectories: true)
        for i in 1...3 {
            try "CREATE TABLE t\(i) (id INTEGER);\n".write(toFile: "\(migrations)/00\(i)_t\(i).sql", atomically: true, encoding: .utf8)
        }
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        let loaded = try MigrationDirectory(path: migrations).load()
        return (Migrator(driver: driver, migrations: loaded.migrations), driver)
    }

    @Test func requestDuringAMigrationStopsBeforeTheNext() async throws {
        let dir = TempDir()
        let (migrator, driver) = try Self.setUp(dir)
        let stop = StopRequest()
        let error = await strataError {
            _ = try await StopRequest.$current.withValue(stop) {
                try await migrator.run(.up(target: nil, allowOutOfOrder: false), onEvent: { event in
                    if case .stepFinished(_, 1, _, _) = event { stop.request(.terminated, cause: "SIGTERM") }
                })
            }
        }
        #expect(error?.code == .terminated)
        #expect(error?.code.exitCode == 143)
        #expect(error?.message == "stopped by SIGTERM before applying 002 (1 of 3 steps done)")
        #expect(try await driver.history().map(\.version) == ["001"])
        #expect(try await driver.log().map(\.event) == [.applied], "the stop is not a failure")
        // Without a request the rest applies.
        #expect(try await migrator.run(.up(target: nil, allowOutOfOrder: false)).applied.map(\.version) == ["002", "003"])
        await driver.close()
    }

    @Test func requestWhileWaitingForTheLockStopsWaiting() async throws {
        let dir = TempDir()
        let path = dir.newDatabasePath()
        let held = try await SQLiteLockFile.acquire(databasePath: path, timeout: 0)
        let stop = StopRequest()
        stop.request(.interrupted, cause: "SIGINT")
        let error = await strataError {
            _ = try await StopRequest.$current.withValue(stop) {
                try await SQLiteLockFile.acquire(databasePath: path, timeout: 60)
            }
        }
        #expect(error?.code == .interrupted)
        #expect(error?.message == "stopped by SIGINT while waiting for the lock on \(path)")
        held.release()
    }
}
