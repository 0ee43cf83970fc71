import Foundation
import Testing

/// The PostgreSQL server stopped abruptly while `strata up` runs (on a server of the test's own),
/// and bad connection settings: a clear error with the SPEC exit code, no password shown, no
/// partial migration recorded, and the next run recovers.
@Suite("Faults on PostgreSQL", .serialized)
struct PostgresFaultTests {
    /// `pg_ctl stop -m immediate` during a migration. The run loses its connection: that is an
    /// environment error (the database cannot be used), so exit 2 with code `database`, not exit 1
    /// (no migration failed; the one in flight was rolled back by the server's crash recovery).
    @Test func serverStoppedMidRunLeavesWholeMigrationsAndTheNextRunCompletes() throws {
        let server = try DisposablePostgresServer()
        let db = try PostgresDatabase(on: server.server)
        let tmp = try TemporaryDirectory()
        try tmp.write(CrashTests.slow.files, under: "migrations")

        let run = try RunningStrata(["-d", db.url, "up"], in: tmp.url)
        try #require(run.waitFor("[2/6] applied"), "\(run.stdout)\n\(run.stderr)")
        try server.stopImmediately()
        let deadline = Date().addingTimeInterval(10)
        while run.process.isRunning && Date() < deadline { usleep(50_000) }
        if run.process.isRunning {
            // PostgresNIO 1.x never answers a query sent on a connection the server closed; the
            // driver checks `isClosed` first and fails with exit 2 instead of waiting forever.
            Issue.record("strata did not end within 10 s after the server stopped: \(run.stdout)\n\(run.stderr)")
            run.signal(SIGKILL)
            _ = run.finish()
        } else {
            let (r, killed) = run.finish()
            #expect(!killed && r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains("error: the connection to PostgreSQL failed"), "\(r.stderr)")
            #expect(r.stderr.contains("hint: "), "\(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains(db.password), "\(r)")
        }

        try server.start()
        #expect(try db.integrityCheck() == "ok", "after crash recovery")
        let applied = try CrashTests.slow.checkPrefix(db, "after the server stopped")
        #expect(applied >= 2 && applied < CrashTests.slow.count, "stopped part-way: \(applied) applied")
        #expect(try !db.hasRunnerLock())

        let again = try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url)
        #expect(again.exitCode == 0, "\(again)")
        #expect(again.stdout.contains("Applied \(CrashTests.slow.count - applied) "), "\(again.stdout)")
        #expect(try CrashTests.slow.checkPrefix(db, "after the next run") == CrashTests.slow.count)
        #expect(try db.integrityCheck() == "ok")
    }

    /// Bad connection settings against a live server and an unreachable one, every command, text
    /// and JSON: exit 2 (`database`: the database cannot be opened), a message naming the cause,
    /// the password never shown, and nothing created in the database.
    @Test func badConnectionSettingsExit2AndChangeNothing() throws {
        let db = try PostgresDatabase()
        let tmp = try TemporaryDirectory()
        try tmp.write(CrashTests.slow.files, under: "migrations")
        let wrongPassword = "Wr0ng-p@ss/word"
        // `strata backup` reports pg_dump's own words (no SQLSTATE); every command's hint names the cause.
        let cases: [(name: String, url: String, says: [String], hint: String, secret: String)] = [
            ("wrong password", db.server.url(database: db.name, password: wrongPassword),
             ["[28P01]", "password authentication failed"], "hint: the server refused the password (authentication failed)", wrongPassword),
            ("unknown database", db.server.url(database: db.name + "_missing"), ["[3D000]", "does not exist"],
             "hint: create it first (`createdb \(db.name)_missing`", db.password),
            ("unreachable server", "postgres://app:Wr0ngPassw0rd@127.0.0.1:1/app?sslmode=disable",
             ["(127.0.0.1:1): connection refused", "Connection refused"], "hint: check that the server is running", "Wr0ngPassw0rd"),
        ]
        let commands: [[String]] = [["status"], ["validate"], ["up"], ["up", "--dry-run"], ["down"], ["history"],
                                    ["backup"], ["verify"]]
        for (name, url, says, hint, secret) in cases {
            for command in commands {
                let text = try StrataProcess.strata(["-d", url, "--verbose"] + command, in: tmp.url)
                #expect(text.exitCode == 2, "\(name), \(command): \(text)")
                let said = command == ["backup"] ? "error: pg_dump could not back up postgres://" : "error: cannot connect to postgres://"
                #expect(text.stderr.contains(said) && text.stderr.contains(command == ["backup"] ? says[1] : says[0]),
                        "\(name), \(command): \(text.stderr)")
                #expect(text.stderr.contains(hint), "\(name), \(command): \(text.stderr)")
                let json = try StrataProcess.strata(["-d", url, "--format", "json"] + command, in: tmp.url)
                #expect(json.exitCode == 2, "\(name), \(command): \(json)")
                let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
                #expect(["database", "configuration"].contains((object?["error"] as? [String: Any])?["code"] as? String),
                        "\(name), \(command): \(json.stdout)")
                for output in [text.stdout, text.stderr, json.stdout, json.stderr] {
                    #expect(!output.contains(secret) && !output.contains(secret.uppercased()), "\(name), \(command): \(output)")
                }
            }
        }
        #expect(try db.tableNames() == [], "nothing was created by runs that could not connect")
        // `backup` makes its directory before pg_dump fails; no file (not even a temporary one) is left in it.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp.path("backups").path)) ?? []) == [])
    }
}
