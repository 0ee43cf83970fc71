import Foundation
import Strata
import StrataSQLite
import Testing

/// Runners at once, round after round: `strata` processes and library callers (``Migrator`` with
/// ``SQLiteDriver``, which takes the same ``SQLiteLockFile``) on one database. Each migration is applied exactly
/// once; a waiter ends with nothing to do (exit 0) or, with a short lock timeout, exit 4. An
/// application writing to the database during `up` and `backup` loses no row.
@Suite("Concurrency rounds", .serialized)
struct ConcurrencyRoundsTests {
    static let ledger = LedgerMigrations(count: 8, rowsPerMigration: 5_000)

    /// One library caller: waits for the lock, opens the database and runs `up`. Returns how many
    /// migrations it applied, or the error it stopped with.
    static func libraryRunner(database: String, migrations: String, lockTimeout: Double) async -> Result<Int, StrataError> {
        do {
            let loaded = try MigrationDirectory(path: migrations).load()
            // The library takes the runner lock itself (the same lock file as `strata`).
            let driver = try SQLiteDriver.open(path: database, createIfMissing: true, busyTimeout: 60)
            let migrator = Migrator(driver: driver, migrations: loaded.migrations,
                                    configuration: .init(lockTimeout: lockTimeout, backups: .disabled))
            let applied: Int
            do {
                applied = try await migrator.run(.up(target: nil, allowOutOfOrder: false)).applied.count
            } catch {
                await driver.close()
                throw error
            }
            await driver.close()
            return .success(applied)
        } catch {
            return .failure(StrataError.wrapping(error))
        }
    }

    /// Starts `processes` CLI runners and `libraryCallers` library runners at once on a new
    /// database and checks the outcome. Returns (applied by CLI, applied by library, timeouts).
    static func round(_ number: Int, in tmp: TemporaryDirectory, processes: Int, libraryCallers: Int,
                      lockTimeout: Double) async throws -> (cli: Int, library: Int, timeouts: Int) {
        let db = SQLiteTestDatabase(file: tmp.path("round\(number).db"))
        let runs = try (0..<processes).map { _ in
            try RunningStrata(["-d", db.url, "--lock-timeout", "\(lockTimeout)", "up", "--no-backup"], in: tmp.url)
        }
        let migrations = tmp.path("migrations").path
        if number % 2 == 1 {
            // Every other round, the processes get a head start (they start slower than tasks).
            let deadline = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: db.lockFile!.path) && Date() < deadline { usleep(2_000) }
        }
        let results = await withTaskGroup(of: Result<Int, StrataError>.self) { group in
            for _ in 0..<libraryCallers {
                group.addTask { await libraryRunner(database: db.url, migrations: migrations, lockTimeout: lockTimeout) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var cli = 0, library = 0, timeouts = 0
        for run in runs {
            let (r, killed) = run.finish()
            #expect(!killed && (r.exitCode == 0 || r.exitCode == 4), "round \(number): \(r)")
            if r.exitCode == 4 {
                timeouts += 1
                #expect(r.stderr.contains("another runner holds the lock"), "round \(number): \(r.stderr)")
            } else if let line = r.stdout.split(separator: "\n").last(where: { $0.hasPrefix("Applied ") }) {
                cli += Int(line.split(separator: " ")[1]) ?? 0
            } else {
                #expect(r.stdout.contains("Nothing to do"), "round \(number): \(r)")
            }
        }
        for result in results {
            switch result {
            case .success(let n): library += n
            case .failure(let error):
                #expect(error.code == .lockTimeout, "round \(number): \(error)")
                timeouts += 1
            }
        }
        #expect(cli + library == ledger.count, "round \(number): applied \(cli) by processes and \(library) by library callers")
        #expect(try db.integrityCheck() == "ok")
        #expect(try ledger.checkPrefix(db, "round \(number)") == ledger.count)
        #expect(!FileManager.default.fileExists(atPath: db.lockFile!.path), "round \(number): lock file left")
        return (cli, library, timeouts)
    }

    @Test func processesAndLibraryCallersApplyEachMigrationOnceRoundAfterRound() async throws {
        let rounds = Soak.trials(ci: 3, soak: 40)
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.ledger.files, under: "migrations")
        var byCLI = 0, byLibrary = 0
        for number in 0..<rounds {
            let outcome = try await Self.round(number, in: tmp, processes: 4, libraryCallers: 4, lockTimeout: 120)
            #expect(outcome.timeouts == 0, "round \(number): nobody times out with a long lock timeout")
            byCLI += outcome.cli
            byLibrary += outcome.library
        }
        Soak.report("concurrency rounds=\(rounds) runners_per_round=8 (4 processes, 4 library callers) "
                    + "migrations_applied_by_processes=\(byCLI) by_library=\(byLibrary) "
                    + "double_applies=\(byCLI + byLibrary - rounds * Self.ledger.count)")
    }

    @Test func waitersWithAShortTimeoutExit4AndNothingIsAppliedTwice() async throws {
        let rounds = Soak.trials(ci: 2, soak: 20)
        let tmp = try TemporaryDirectory()
        // Slow migrations, so that waiters give up while the first runner is still at it.
        try tmp.write(LedgerMigrations(count: 8, rowsPerMigration: 5_000, busyWork: 200_000).files, under: "migrations")
        var timeouts = 0
        for number in 0..<rounds {
            timeouts += try await Self.round(number, in: tmp, processes: 3, libraryCallers: 2, lockTimeout: 0.3).timeouts
        }
        #expect(timeouts > 0, "with a 0.3 s lock timeout and slow migrations some waiters give up")
        Soak.report("lock-timeout rounds=\(rounds) waiters_exit_4=\(timeouts)")
    }

    // MARK: - An application writing during up and backup

    /// `sqlite3` inserting `rows` rows, one transaction each, waiting up to 30 s for locks (an
    /// insert that still finds the database locked fails, and so does the writer: `-bail`).
    static func applicationWriter(_ db: URL, rows: Int) throws -> Process {
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["sqlite3", "-bail", db.path]
        let input = Pipe()
        writer.standardInput = input
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        // Small pauses let Strata in between; `synchronous = OFF` only spares this writer's fsyncs.
        let script = ".timeout 30000\nPRAGMA synchronous = OFF;\n" + (1...rows).map {
            "INSERT INTO app_events (id, note) VALUES (\($0), 'event \($0)');\n" + ($0 % 25 == 0 ? ".shell sleep 0.005\n" : "")
        }.joined()
        DispatchQueue.global().async {
            input.fileHandleForWriting.write(Data(script.utf8))
            try? input.fileHandleForWriting.close()
        }
        return writer
    }

    @Test(arguments: ["delete", "wal"])
    func applicationWritesAreNotLostDuringUpAndBackup(journalMode: String) throws {
        let tmp = try TemporaryDirectory()
        var ledger = Self.ledger
        ledger.withDown = true
        try tmp.write(ledger.files, under: "migrations")
        try tmp.write(["strata.yml": "backups:\n  keep: 3\n"])
        let db = try SQLiteTestDatabase.create(tmp.path("app.db"), journalMode: journalMode)
        _ = try db.query("CREATE TABLE app_events (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
        let rows = Soak.trials(ci: 2_000, soak: 30_000)
        let writer = try Self.applicationWriter(db.file, rows: rows)

        var ups = 0, backups = 0
        repeat {
            let up = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
            #expect(up.exitCode == 0, "\(up)")
            ups += 1
            let backup = try StrataProcess.strata(["-d", db.url, "--format", "json", "backup"], in: tmp.url)
            #expect(backup.exitCode == 0, "\(backup)")
            backups += 1
            // Each backup is a consistent snapshot: the application's rows 1…n without a gap.
            let object = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any]
            let made = (object?["backup"] as? [String: Any])?["path"] as? String
            #expect(made != nil, "\(backup)")
            if let path = made {
                let snapshot = try StrataProcess.sqlite3(URL(fileURLWithPath: path, relativeTo: tmp.url), "SELECT count(*) = coalesce(max(id), 0) FROM app_events;")
                #expect(snapshot == "1\n", "backup \(path) has a gap in app_events")
            }
            // Roll everything back, so that the next round writes as much again.
            let down = try StrataProcess.strata(["-d", db.url, "down", "--all", "--no-backup"], in: tmp.url)
            #expect(down.exitCode == 0, "\(down)")
        } while writer.isRunning && ups < 200

        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0, "every insert of the application succeeded")
        let kept = Int(try db.query("SELECT count(*) FROM app_events").joined()) ?? -1
        #expect(try db.query("SELECT count(*) || '|' || min(id) || '|' || max(id) FROM app_events") == ["\(rows)|1|\(rows)"])
        #expect(try db.integrityCheck() == "ok")
        #expect(ups >= 1 && backups >= 1)
        Soak.report("app-writer journal=\(journalMode) rows=\(rows) lost=\(rows - kept) ups=\(ups) backups=\(backups)")
    }
}
