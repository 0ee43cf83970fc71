import Foundation
import Testing

/// `strata doctor` on PostgreSQL, against the real test server: server version, session and
/// schema privileges, features, the advisory lock, history consistency, pg_dump/pg_restore.
@Suite("Doctor on PostgreSQL")
struct PostgresDoctorTests {
    /// Starts `strata up` (whose first migration must be slow) and returns once it holds the lock.
    static func runnerHoldingTheLock(_ db: PostgresDatabase, in tmp: TemporaryDirectory) throws -> Process {
        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: StrataProcess.binary)
        runner.arguments = ["-d", db.url, "up", "--no-backup"]
        runner.currentDirectoryURL = tmp.url
        runner.standardOutput = FileHandle.nullDevice
        runner.standardError = FileHandle.nullDevice
        try runner.run()
        for _ in 0..<100 {
            if try db.psql("SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted") == "t\n" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return runner
    }

    @Test func aHealthyDatabasePasses() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(PostgresCommandTests.flat, under: "migrations")
        // Not empty, so `up` backs it up first (an empty database has nothing to back up).
        try db.psql("CREATE TABLE existing (x int)")
        #expect(try StrataProcess.strata(["-d", db.url, "up"], in: tmp.url).exitCode == 0)
        let (exit, checks, raw) = try DoctorCommandTests.doctor(tmp, database: db.url)
        #expect(exit == 0, "\(raw)")
        #expect(!raw.stdout.contains(db.password) && !raw.stderr.contains(db.password))
        #expect(Set(checks.keys) == ["Project", "Engine", "Database", "Lock", "Backups", "History"], "\(checks.keys)")
        let version = try db.psql("SHOW server_version").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(checks["Engine"]?["postgresql"]?.summary == "PostgreSQL \(version)", "\(raw)")
        #expect(checks["Engine"]?["transactional DDL"]?.status == "ok", "\(raw)")
        #expect(checks["Engine"]?["CREATE INDEX CONCURRENTLY"]?.status == "ok", "\(raw)")
        #expect(checks["Engine"]?["MERGE"]?.summary.hasPrefix("supported (since 15)") == true, "\(raw)")
        #expect(checks["Engine"]?["role"] == nil, "a primary server is not reported as a standby: \(raw)")
        let user = db.server.user
        #expect(checks["Database"]?["session"]?.summary.hasPrefix("user \(user)") == true, "\(raw)")
        #expect(checks["Database"]?["session"]?.summary.hasSuffix("on database \(db.name)") == true, "\(raw)")
        #expect(checks["Database"]?["schema"]?.status == "ok", "\(raw)")
        #expect(checks["Database"]?["schema"]?.summary.hasPrefix("schema public: \(user) may create tables there") == true, "\(raw)")
        #expect(checks["Lock"]?["lock"]?.summary.hasPrefix("free") == true, "\(raw)")
        #expect(checks["History"]?["consistency"]?.summary == "3 applied, 0 pending, current version 003, no problems", "\(raw)")
        #expect(checks["Backups"]?["pg_dump"]?.status == "ok", "\(raw)")
        #expect(checks["Backups"]?["pg_dump"]?.summary.contains("pg_dump (PostgreSQL)") == true, "\(raw)")
        #expect(checks["Backups"]?["pg_restore"]?.status == "ok", "\(raw)")
        #expect(checks["Backups"]?["backups"]?.summary.hasPrefix("1 backup; newest ") == true, "\(raw)")
        let text = try StrataProcess.strata(["-d", db.url, "doctor"], in: tmp.url)
        #expect(text.exitCode == 0 && text.stdout.contains("✓ CREATE INDEX CONCURRENTLY")
                    && text.stdout.contains("No problems found"), "\(text)")
    }

    @Test func aRoleThatCannotCreateInTheSchemaFails() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(PostgresCommandTests.flat, under: "migrations")
        let role = "doctor_\(db.name)"
        try db.psql("CREATE ROLE \(role) LOGIN PASSWORD 'pw'; CREATE SCHEMA locked; GRANT USAGE ON SCHEMA locked TO \(role);")
        defer { _ = try? db.psql("DROP SCHEMA locked CASCADE; DROP OWNED BY \(role); DROP ROLE \(role);") }
        let url = db.server.url(database: db.name, user: role, password: "pw", query: "search_path=locked")
        let (exit, checks, raw) = try DoctorCommandTests.doctor(tmp, database: url)
        #expect(exit == 1, "\(raw)")
        #expect(checks["Database"]?["schema"]?.status == "failed", "\(raw)")
        #expect(checks["Database"]?["schema"]?.summary == "schema locked: \(role) may not create tables there", "\(raw)")
        #expect(checks["Database"]?["schema"]?.hint == "as the schema's owner: GRANT CREATE ON SCHEMA \"locked\" TO \"\(role)\";", "\(raw)")
        // A schema the URL names that does not exist yet: whether the role may create it.
        let fresh = db.server.url(database: db.name, query: "search_path=not_yet")
        let (freshExit, freshChecks, freshRaw) = try DoctorCommandTests.doctor(tmp, database: fresh)
        #expect(freshExit == 0, "\(freshRaw)")
        #expect(freshChecks["Database"]?["schema"]?.summary.hasPrefix("schema not_yet (does not exist yet; the first run creates it)") == true,
                "\(freshRaw)")
    }

    @Test func aHeldLockIsNamedAndAnUnreachableServerFails() throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        try tmp.write(["001_slow.sql": "SELECT pg_sleep(2);\n"], under: "migrations")
        let runner = try Self.runnerHoldingTheLock(db, in: tmp)
        let (exit, checks, raw) = try DoctorCommandTests.doctor(tmp, database: db.url)
        runner.waitUntilExit()
        #expect(exit == 0, "a held lock is a warning: \(raw)")
        #expect(checks["Lock"]?["lock"]?.status == "warning", "\(raw)")
        #expect(checks["Lock"]?["lock"]?.summary.contains("strata runner pid \(runner.processIdentifier)") == true, "\(raw)")
        #expect(runner.terminationStatus == 0)
        let (after, afterChecks, afterRaw) = try DoctorCommandTests.doctor(tmp, database: db.url)
        #expect(after == 0 && afterChecks["Lock"]?["lock"]?.summary.hasPrefix("free") == true, "\(afterRaw)")

        // Nothing listens on port 1: one failed check with the connection error, exit 1, JSON still whole.
        let unreachable = "postgres://strata:secret@127.0.0.1:1/app?sslmode=disable"
        let (failed, failedChecks, failedRaw) = try DoctorCommandTests.doctor(tmp, database: unreachable)
        #expect(failed == 1, "\(failedRaw)")
        #expect(failedChecks["Engine"]?["postgresql"]?.status == "failed", "\(failedRaw)")
        #expect(failedChecks["Engine"]?["postgresql"]?.summary.contains("connection refused") == true, "\(failedRaw)")
        #expect(failedChecks["Engine"]?["postgresql"]?.hint != nil, "\(failedRaw)")
        #expect(failedChecks["History"]?["consistency"]?.status == "failed", "\(failedRaw)")
        #expect(!failedRaw.stdout.contains("secret") && !failedRaw.stderr.contains("secret"), "\(failedRaw)")
    }
}
