import Benchmark
import Foundation
import GRDB
import Strata
import StrataSQLite

/// Hot paths of Strata, in process: splitting, checksums, loading a directory, planning, and the
/// start-up check a library user runs on every application start (1,000 applied migrations,
/// nothing pending). Each iteration covers all 1,000 migrations.
///
/// The start-up check uses today's public API (`SQLiteDriver.open` + `Migrator.status()`); when the
/// library's start-up API lands, only `startUpCheck` below needs to change.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .microseconds, warmupIterations: 3, maxDuration: .seconds(3), maxIterations: 200)

    Benchmark("split 1,000 scripts (SQLSplitter, sqlite dialect)") { benchmark in
        let scripts = Fixture.shared.upScripts
        for _ in benchmark.scaledIterations {
            for sql in scripts { blackHole(SQLSplitter.split(sql, dialect: .sqlite)) }
        }
    }

    Benchmark("checksum 1,000 scripts (SHA-256, normalised)") { benchmark in
        let scripts = Fixture.shared.upScripts
        for _ in benchmark.scaledIterations {
            for sql in scripts { blackHole(Checksum.sha256Hex(ofScript: sql)) }
        }
    }

    Benchmark("load a directory of 1,000 migrations (flat)") { benchmark in
        let directory = MigrationDirectory(path: Fixture.shared.workload.directory)
        for _ in benchmark.scaledIterations {
            blackHole(try directory.load())
        }
    }

    Benchmark("lint 1,000 pending migrations (the linter run of up)") { benchmark in
        let migrations = try MigrationDirectory(path: Fixture.shared.workload.directory).load().migrations
        let linter = Linter(engine: .sqlite, sqliteVersion: "3.40.1", scope: .run)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(linter.lint(migrations))
        }
    }

    Benchmark("plan up, 1,000 applied, nothing pending") { benchmark in
        let (migrations, records) = try await Fixture.shared.appliedState()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let planner = Planner(migrations: migrations, records: records, engine: .sqlite)
            let plan = try planner.plan(.up(target: nil, allowOutOfOrder: false))
            precondition(plan.isEmpty)
        }
    }

    Benchmark("status report, 1,000 applied (entries + problems)") { benchmark in
        let (migrations, records) = try await Fixture.shared.appliedState()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let planner = Planner(migrations: migrations, records: records, engine: .sqlite)
            blackHole(planner.entries())
            blackHole(planner.problems())
        }
    }

    Benchmark("open the database (1,000 tables and indexes) and close it") { benchmark in
        let path = try await Fixture.shared.appliedDatabase()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let driver = try SQLiteDriver.open(path: path, createIfMissing: false)
            await driver.close()
        }
    }

    Benchmark("read 1,000 history rows") { benchmark in
        let driver = try SQLiteDriver.open(path: try await Fixture.shared.appliedDatabase(), createIfMissing: false)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await driver.history())
        }
        benchmark.stopMeasurement()
        await driver.close()
    }

    Benchmark("start-up check: open, read history, status; 1,000 applied, none pending") { benchmark in
        let path = try await Fixture.shared.appliedDatabase()
        let migrations = Fixture.shared.migrations
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await startUpCheck(path: path, migrations: migrations)
        }
    }

    Benchmark("start-up: open, migrate() with nothing pending; 1,000 applied") { benchmark in
        let path = try await Fixture.shared.appliedDatabase()
        let migrations = Fixture.shared.migrations
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await startUpMigrate(path: path, migrations: migrations)
        }
    }

    Benchmark("start-up: migrate() on the app's open connection, nothing pending; 1,000 applied") { benchmark in
        // The GRDB way: the application opened its database (and SQLite parsed the schema on its
        // first statement, which every application pays) and hands the writer to Strata.
        let writer = try DatabaseQueue(path: try await Fixture.shared.appliedDatabase())
        let migrations = Fixture.shared.migrations
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await startUpMigrate(writer: writer, migrations: migrations)
        }
        benchmark.stopMeasurement()
        try writer.close()
    }

    Benchmark("start-up check including loading the directory") { benchmark in
        let path = try await Fixture.shared.appliedDatabase()
        let directory = MigrationDirectory(path: Fixture.shared.workload.directory)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await startUpCheck(path: path, migrations: try directory.load().migrations)
        }
    }
}

/// What an application does at start: is anything pending?
func startUpCheck(path: String, migrations: [Migration]) async throws {
    let driver = try SQLiteDriver.open(path: path, createIfMissing: false)
    let report = try await Migrator(driver: driver, migrations: migrations).status()
    await driver.close()
    precondition(report.pending.isEmpty && report.problems.isEmpty, "the start-up check found work")
}

/// What an application runs at start: ``Migrator/migrate(to:onEvent:)``, here with nothing to do
/// (its fast path: one read of the history, no lock, no backup).
func startUpMigrate(path: String, migrations: [Migration]) async throws {
    let driver = try SQLiteDriver.open(path: path, createIfMissing: false)
    let report = try await Migrator(driver: driver, migrations: migrations).migrate()
    await driver.close()
    precondition(report.steps.isEmpty, "the start-up migrate found work")
}

/// What an application that already has its database open runs at start: the same
/// ``Migrator/migrate(to:onEvent:)`` over ``SQLiteDriver/init(writer:historyTable:logTable:)``.
func startUpMigrate(writer: DatabaseQueue, migrations: [Migration]) async throws {
    let driver = try SQLiteDriver(writer: writer)
    let report = try await Migrator(driver: driver, migrations: migrations).migrate()
    await driver.close()
    precondition(report.steps.isEmpty, "the start-up migrate found work")
}

/// The shared workload: 1,000 migrations on disk, loaded, and (on first use) applied to a database.
final class Fixture: Sendable {
    static let shared = Fixture()

    let workload: Workload
    let migrations: [Migration]
    let upScripts: [String]
    private let database = DatabaseOnce()

    private init() {
        do {
            workload = try Workload.write(count: 1_000)
            migrations = try MigrationDirectory(path: workload.directory).load().migrations
        } catch {
            fatalError("cannot write the benchmark workload: \(error)")
        }
        upScripts = migrations.map(\.up.sql)
    }

    /// A database with every migration applied (made on first use).
    func appliedDatabase() async throws -> String {
        try await database.path(migrations: migrations, directory: workload.directory)
    }

    /// The migrations and the history rows of the applied database.
    func appliedState() async throws -> ([Migration], [HistoryRecord]) {
        let driver = try SQLiteDriver.open(path: try await appliedDatabase(), createIfMissing: false)
        defer { Task { await driver.close() } }
        return (migrations, try await driver.history())
    }

    private actor DatabaseOnce {
        private var made: String?

        func path(migrations: [Migration], directory: String) async throws -> String {
            if let made { return made }
            let path = directory + ".db"
            try? FileManager.default.removeItem(atPath: path)
            let driver = try SQLiteDriver.open(path: path, createIfMissing: true)
            _ = try await Migrator(driver: driver, migrations: migrations).run(.up(target: nil, allowOutOfOrder: false))
            await driver.close()
            made = path
            return path
        }
    }
}
