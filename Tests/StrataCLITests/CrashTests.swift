import Foundation
import StrataPostgres
import Testing

/// `strata up` killed with SIGKILL at random moments, and stopped with SIGINT/SIGTERM: the database
/// stays consistent, holds whole migrations only, and the next run recovers by itself.
///
/// The trial count grows under `scripts/soak` (see ``Soak``). The tests run on SQLite and on
/// PostgreSQL (``ReliabilityEngine``): the same checks, given another ``ReliabilityDatabase``.
@Suite("Crash and stop", .serialized)
struct CrashTests {
    static let ledger = LedgerMigrations(count: 10, rowsPerMigration: 50_000)

    @Test(arguments: ReliabilityEngine.allCases)
    func killedAtRandomMomentsLeavesWholeMigrationsAndTheNextRunRecovers(engine: ReliabilityEngine) throws {
        let trials = Soak.trials(ci: engine == .sqlite ? 16 : 8, soak: 200)
        var random = SeededGenerator(seed: Soak.seed)
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.ledger.files, under: "migrations")

        // How long a whole run takes here, so the kills spread over all of it.
        let calibrationDatabase = try engine.database("calibration", in: tmp).db
        let started = Date()
        let calibration = try StrataProcess.strata(["-d", calibrationDatabase.url, "up"], in: tmp.url)
        try #require(calibration.exitCode == 0, "\(calibration)")
        let duration = Date().timeIntervalSince(started)

        var killed = 0, finishedFirst = 0, midRun = 0, beforeFirst = 0, takeovers = 0, lockSeenAfterKill = 0
        var slowestRelease = 0.0
        var leftTemporaryBackups = 0
        for trial in 0..<trials {
            let (db, label) = try engine.database("trial\(trial)", in: tmp, variant: trial)
            let delay = Double.random(in: 0...duration, using: &random)
            let context = "seed \(Soak.seed), trial \(trial) (\(label), SIGKILL after \(Int(delay * 1000)) ms)"

            let run = try RunningStrata(["-d", db.url, "up"], in: tmp.url)
            usleep(UInt32(delay * 1_000_000))
            run.signal(SIGKILL)
            let (result, wasKilled) = run.finish()
            if wasKilled {
                killed += 1
            } else {
                finishedFirst += 1
                #expect(result.exitCode == 0, "\(context): \(result)")
            }
            let lockText = db.lockFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) }
            if let postgres = db as? PostgresDatabase {
                // The advisory lock dies with the killed runner's session: no one has to remove it.
                if try postgres.hasRunnerLock() { lockSeenAfterKill += 1 }
                let released = try postgres.waitForRunnerLockRelease()
                #expect(released != nil, "\(context): the advisory lock outlived the killed runner")
                slowestRelease = max(slowestRelease, released ?? 0)
            }

            #expect(try db.integrityCheck() == "ok", "\(context)")
            let applied = try Self.ledger.checkPrefix(db, "\(context), after the kill")
            if applied == 0 { beforeFirst += 1 } else if applied < Self.ledger.count { midRun += 1 }

            let recovery = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
            #expect(recovery.exitCode == 0, "\(context): \(recovery)")
            #expect(!recovery.stderr.contains("waiting for the lock"), "\(context): the next run gets the lock at once: \(recovery.stderr)")
            // With nothing left to do the recovery run takes no lock (the library's fast path), so a
            // stale lock file of a run killed after its last migration stays until the next change.
            let lockedAgain = applied < Self.ledger.count
            if let lockText, lockText.contains("pid: \(run.pid)\n"), lockedAgain {
                takeovers += 1
                #expect(recovery.stderr.contains("took over a stale lock left by pid \(run.pid)"), "\(context): \(recovery.stderr)")
            }
            #expect(try db.integrityCheck() == "ok", "\(context), after recovery")
            #expect(try Self.ledger.checkPrefix(db, "\(context), after recovery") == Self.ledger.count)
            if lockedAgain {
                #expect(try !db.hasRunnerLock(), "\(context): the lock is released")
            }
            leftTemporaryBackups += try Self.checkBackups(in: tmp.path("backups"), of: db, context)
            for suffix in ["", "-wal", "-shm", "-journal"] where engine == .sqlite {
                try? FileManager.default.removeItem(atPath: db.url + suffix)
            }
        }
        Soak.report("crash engine=\(engine) trials=\(trials) sigkill_delivered=\(killed) finished_before_kill=\(finishedFirst) "
                    + "killed_mid_run=\(midRun) killed_before_first_migration=\(beforeFirst) stale_lock_takeovers=\(takeovers) "
                    + "advisory_lock_seen_after_kill=\(lockSeenAfterKill) slowest_advisory_release_ms=\(Int(slowestRelease * 1000)) "
                    + "temporary_backups_left=\(leftTemporaryBackups) run_ms=\(Int(duration * 1000)) seed=\(Soak.seed)")
        // Not a timing target: only that the trials exercised kills at all (on a loaded machine a
        // run may finish before its random delay more often than not).
        #expect(killed >= max(1, trials / 4), "kills must land while strata runs (run took \(duration) s)")
    }

    /// Every backup of `db` with a final name is whole (SQLite `quick_check`, PostgreSQL
    /// `pg_restore --list`); a kill during a backup leaves at most a hidden temporary file.
    /// Removes them after checking and returns how many temporary files there were.
    static func checkBackups(in directory: URL, of db: any ReliabilityDatabase, _ context: String) throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var temporary = 0
        for name in names where name.hasPrefix(db.backupStem + "_pre_v") || name.hasPrefix("." + db.backupStem + "_pre_v") {
            let file = directory.appendingPathComponent(name)
            if name.hasPrefix(db.backupStem) {
                #expect(try db.backupIsWhole(file), "\(context): backup \(name)")
            } else {
                temporary += 1
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file.path + suffix) }
        }
        return temporary
    }

    // MARK: - SIGINT and SIGTERM

    /// Slow migrations (about a tenth of a second each), so a signal arrives during one.
    static let slow = LedgerMigrations(count: 6, rowsPerMigration: 2_000, busyWork: 300_000)

    struct Stop: Sendable, CustomStringConvertible {
        var signal: Int32
        var name: String
        var exitCode: Int32
        var code: String
        var description: String { name }
    }

    static let stops = [Stop(signal: SIGINT, name: "SIGINT", exitCode: 130, code: "interrupted"),
                        Stop(signal: SIGTERM, name: "SIGTERM", exitCode: 143, code: "terminated")]

    @Test("the first signal stops after the current migration", arguments: stops, ReliabilityEngine.allCases)
    func firstSignalStopsAfterTheCurrentMigration(stop: Stop, engine: ReliabilityEngine) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = try engine.database("app", in: tmp).db
        let run = try RunningStrata(["-d", db.url, "up"], in: tmp.url)
        try #require(run.waitFor("[1/6] applied"), "\(run.stdout)\n\(run.stderr)")
        run.signal(stop.signal)
        let (r, killed) = run.finish()
        #expect(!killed && r.exitCode == stop.exitCode, "\(r)")
        #expect(r.stderr.contains("\(stop.name) received: stopping after the current migration"), "\(r.stderr)")
        #expect(r.stderr.contains("error: stopped by \(stop.name) before applying"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: the migrations that finished are recorded"), "\(r.stderr)")

        #expect(try db.integrityCheck() == "ok")
        let applied = try Self.slow.checkPrefix(db, "after \(stop.name)")
        #expect(applied >= 1 && applied < Self.slow.count, "stopped part-way: \(applied) applied\n\(r)")
        #expect(r.stdout.contains("[\(applied)/6] applied") && !r.stdout.contains("[\(applied + 1)/6]"), "\(r.stdout)")
        #expect(r.stderr.contains("before applying \(Self.slow.version(applied + 1)) (\(applied) of 6 steps done)"), "\(r.stderr)")
        #expect(try !db.hasRunnerLock(), "a clean stop releases the lock")

        let again = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(!again.stderr.contains("stale lock"), "\(again.stderr)")
        #expect(try Self.slow.checkPrefix(db, "after the next run") == Self.slow.count)
    }

    @Test(arguments: ReliabilityEngine.allCases)
    func secondSignalStopsAtOnceAndTheNextRunRecovers(engine: ReliabilityEngine) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = try engine.database("app", in: tmp).db
        let run = try RunningStrata(["-d", db.url, "up"], in: tmp.url)
        try #require(run.waitFor("[1/6] applied"), "\(run.stdout)\n\(run.stderr)")
        run.signal(SIGINT)
        try #require(run.waitFor("SIGINT received"), "\(run.stderr)")
        run.signal(SIGINT)
        let (r, killed) = run.finish()
        #expect(!killed && r.exitCode == 130, "\(r)")
        #expect(try db.integrityCheck() == "ok")
        let applied = try Self.slow.checkPrefix(db, "after two SIGINTs")
        #expect(applied < Self.slow.count, "\(r)")

        let again = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(try Self.slow.checkPrefix(db, "after the next run") == Self.slow.count)
        #expect(try !db.hasRunnerLock())
    }

    /// PostgreSQL: a runner killed during a `COMMIT` loses its runner lock at once, while its data
    /// session still finishes the `COMMIT`, holding the data-session lock. The next runner takes
    /// the runner lock, then waits for that session to end before it reads the history.
    @Test func aKilledRunnersDataSessionIsWaitedForBeforeTheHistoryIsRead() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = try PostgresDatabase()
        let dying = try db.holdAdvisoryLock(PostgresAdvisoryLock.dataSessionKey(schema: "public", historyTable: "strata_schema_history"))
        let run = try RunningStrata(["-d", db.url, "--lock-timeout", "60", "up"], in: tmp.url)
        try #require(run.waitFor("waiting for the lock held by PostgreSQL backend pid"), "\(run.stderr)")
        #expect(run.stderr.contains(dying.waitingNote), "\(run.stderr)")
        #expect(try db.advisoryLockCount() == 2, "the waiter holds the runner lock while it waits for the data session")
        #expect(try db.tableNames().isEmpty, "nothing read or applied while waiting")
        dying.release()
        let (r, killed) = run.finish()
        #expect(!killed && r.exitCode == 0, "\(r)")
        #expect(try Self.slow.checkPrefix(db, "after the wait") == Self.slow.count)
        #expect(try db.advisoryLockCount() == 0, "both locks released")
    }

    /// In a real terminal (tmux): one Ctrl-C at a protected environment's confirmation prompt ends
    /// the command (nothing has started), the lock released the normal way.
    @Test func oneCtrlCAtTheConfirmationPromptStopsAndChangesNothing() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        try tmp.write(["strata.yml": "environments:\n  production:\n    database: sqlite:prod.db\n    protected: true\n"])
        let term = try TmuxSession(in: tmp.url)
        let marker = try term.start("\(StrataProcess.binary) --env production up")
        _ = try term.waitForScreen { $0.contains("Type its name to continue:") }
        try term.press("C-c")
        let (code, screen) = try term.finish(marker, timeout: 20)
        #expect(code == 130, "one Ctrl-C is enough: \(screen)")
        #expect(screen.contains("error: stopped by SIGINT at the confirmation prompt"), "\(screen)")
        #expect(screen.contains("nothing was changed"), "\(screen)")
        #expect(!screen.contains("stopping after the current migration"), "\(screen)")
        let db = SQLiteTestDatabase(file: tmp.path("prod.db"))
        #expect(try db.tableNames().isEmpty, "nothing was applied")
        #expect(try !db.hasRunnerLock(), "the lock was released, not left stale")
    }

    @Test(arguments: ReliabilityEngine.allCases)
    func signalWhileWaitingForTheLockStopsWaitingAndChangesNothing(engine: ReliabilityEngine) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = try engine.database("app", in: tmp).db
        let before = (db as? SQLiteTestDatabase).map { try? Data(contentsOf: $0.file) }
        let held = try db.holdRunnerLock()
        try #require(try db.hasRunnerLock(), "the other process holds the lock")
        let run = try RunningStrata(["-d", db.url, "--lock-timeout", "60", "--format", "json", "up"], in: tmp.url)
        try #require(run.waitFor(held.waitingNote), "\(run.stderr)")
        let signalled = Date()
        run.signal(SIGTERM)
        let (r, killed) = run.finish()
        #expect(!killed && r.exitCode == 143, "\(r)")
        #expect(Date().timeIntervalSince(signalled) < 30, "it stopped waiting instead of waiting for the lock")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: Any], "\(r.stdout)")
        #expect(error["code"] as? String == "terminated")
        #expect((error["message"] as? String)?.contains("stopped by SIGTERM while waiting for the lock") == true, "\(error)")
        if let postgres = db as? PostgresDatabase {
            #expect(!r.stdout.contains(postgres.password) && !r.stderr.contains(postgres.password))
        }

        // Nothing was applied or created, and the waiter left no lock of its own behind.
        #expect(try db.tableNames().isEmpty, "nothing was applied")
        if let sqlite = db as? SQLiteTestDatabase {
            #expect(try Data(contentsOf: sqlite.file) == before, "the database file is untouched")
            let lockText = try String(contentsOf: try #require(sqlite.lockFile), encoding: .utf8)
            #expect(lockText.hasPrefix("pid: 4242\n"), "the waiter never wrote the lock file: \(lockText)")
            held.release()
        } else if let postgres = db as? PostgresDatabase {
            #expect(try postgres.advisoryLockCount() == 1, "only the holder's advisory lock is left")
            held.release()
            #expect(try postgres.waitForRunnerLockRelease() != nil)
        }
        let again = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
        #expect(again.exitCode == 0 && !again.stderr.contains("waiting for the lock"), "\(again)")
        #expect(try Self.slow.checkPrefix(db, "after the next run") == Self.slow.count)
    }
}
