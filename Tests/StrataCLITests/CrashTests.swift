import Foundation
import Testing

/// `strata up` killed with SIGKILL at random moments, and stopped with SIGINT/SIGTERM: the database
/// stays consistent, holds whole migrations only, and the next run recovers by itself.
///
/// The trial count grows under `scripts/soak` (see ``Soak``). The tests take a
/// ``ReliabilityDatabase``, so a PostgreSQL variant is the same test with another database.
@Suite("Crash and stop", .serialized)
struct CrashTests {
    static let ledger = LedgerMigrations(count: 10, rowsPerMigration: 50_000)

    @Test func killedAtRandomMomentsLeavesWholeMigrationsAndTheNextRunRecovers() throws {
        let trials = Soak.trials(ci: 16, soak: 200)
        var random = SeededGenerator(seed: Soak.seed)
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.ledger.files, under: "migrations")

        // How long a whole run takes here, so the kills spread over all of it.
        let started = Date()
        let calibration = try StrataProcess.strata(["-d", tmp.path("calibration.db").path, "up"], in: tmp.url)
        try #require(calibration.exitCode == 0, "\(calibration)")
        let duration = Date().timeIntervalSince(started)

        var killed = 0, finishedFirst = 0, midRun = 0, beforeFirst = 0, takeovers = 0
        for trial in 0..<trials {
            let mode = trial % 2 == 0 ? "delete" : "wal"
            let db = try SQLiteTestDatabase.create(tmp.path("trial\(trial).db"), journalMode: mode)
            let delay = Double.random(in: 0...duration, using: &random)
            let context = "seed \(Soak.seed), trial \(trial) (\(mode) journal, SIGKILL after \(Int(delay * 1000)) ms)"

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

            #expect(try db.integrityCheck() == "ok", "\(context)")
            let applied = try Self.ledger.checkPrefix(db, "\(context), after the kill")
            if applied == 0 { beforeFirst += 1 } else if applied < Self.ledger.count { midRun += 1 }
            let lockText = db.lockFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) }

            let recovery = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
            #expect(recovery.exitCode == 0, "\(context): \(recovery)")
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
                #expect(!FileManager.default.fileExists(atPath: db.lockFile!.path), "\(context): the lock file is removed")
            }
            try Self.checkBackups(in: tmp.path("backups"), of: "trial\(trial)", context)
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: db.url + suffix) }
        }
        Soak.report("crash trials=\(trials) sigkill_delivered=\(killed) finished_before_kill=\(finishedFirst) "
                    + "killed_mid_run=\(midRun) killed_before_first_migration=\(beforeFirst) stale_lock_takeovers=\(takeovers) "
                    + "run_ms=\(Int(duration * 1000)) seed=\(Soak.seed)")
        #expect(killed > trials / 2, "most kills must land while strata runs (run took \(duration) s)")
    }

    /// Every backup with a final name is a whole, consistent database; a kill during a backup
    /// leaves at most a hidden temporary file (pruned after an hour). Removes them after checking.
    static func checkBackups(in directory: URL, of stem: String, _ context: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(stem + "_pre_v") || name.hasPrefix("." + stem + "_pre_v") {
            let file = directory.appendingPathComponent(name)
            if name.hasPrefix(stem) {
                #expect(try StrataProcess.sqlite3(file, "PRAGMA quick_check;") == "ok\n", "\(context): backup \(name)")
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file.path + suffix) }
        }
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

    @Test("the first signal stops after the current migration", arguments: stops)
    func firstSignalStopsAfterTheCurrentMigration(stop: Stop) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = SQLiteTestDatabase(file: tmp.path("app.db"))
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
        #expect(!FileManager.default.fileExists(atPath: db.lockFile!.path), "a clean stop releases the lock")

        let again = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(!again.stderr.contains("stale lock"), "\(again.stderr)")
        #expect(try Self.slow.checkPrefix(db, "after the next run") == Self.slow.count)
    }

    @Test func secondSignalStopsAtOnceAndTheNextRunRecovers() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = SQLiteTestDatabase(file: tmp.path("app.db"))
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
        #expect(!FileManager.default.fileExists(atPath: db.lockFile!.path))
    }

    @Test func signalWhileWaitingForTheLockStopsWaitingAndChangesNothing() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.slow.files, under: "migrations")
        let db = tmp.path("app.db")
        _ = FileManager.default.createFile(atPath: db.path, contents: nil)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "printf 'pid: 4242\\nhostname: elsewhere\\n' > \"$0\"; exec 9<\"$0\"; flock 9; exec sleep 30", db.path + ".lock"]
        try holder.run()
        defer {
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        let run = try RunningStrata(["-d", db.path, "--lock-timeout", "60", "--format", "json", "up"], in: tmp.url)
        try #require(run.waitFor("waiting for the lock held by pid 4242"), "\(run.stderr)")
        let signalled = Date()
        run.signal(SIGTERM)
        let (r, killed) = run.finish()
        #expect(!killed && r.exitCode == 143, "\(r)")
        #expect(Date().timeIntervalSince(signalled) < 30, "it stopped waiting instead of waiting for the lock")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: Any], "\(r.stdout)")
        #expect(error["code"] as? String == "terminated")
        #expect((error["message"] as? String)?.contains("stopped by SIGTERM while waiting for the lock") == true, "\(error)")
        #expect(try Data(contentsOf: db).isEmpty, "nothing was written")
    }
}
