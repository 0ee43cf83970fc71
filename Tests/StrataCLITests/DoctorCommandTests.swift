import Foundation
import Testing

/// `strata doctor`: engine and features, permissions, lock state, history consistency, backups.
@Suite("Doctor")
struct DoctorCommandTests {
    static let migrations = [
        "001_create_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT);\n",
        "002_drop_note.sql": "ALTER TABLE a DROP COLUMN note;\n",
    ]

    /// The JSON report: `[section: [check name: (status, summary)]]`.
    static func doctor(_ tmp: TemporaryDirectory, _ extra: [String] = [], runAs user: String? = nil)
        throws -> (exit: Int32, checks: [String: [String: (status: String, summary: String, hint: String?)]], raw: ProcessResult) {
        let arguments = ["-d", "app.db", "doctor", "--format", "json"] + extra
        let r = try user.map { try StrataProcess.strata(arguments, in: tmp.url, runAs: $0) }
            ?? StrataProcess.strata(arguments, in: tmp.url)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        var checks: [String: [String: (String, String, String?)]] = [:]
        for section in doc["sections"] as? [[String: Any]] ?? [] {
            let name = section["name"] as? String ?? ""
            for check in section["checks"] as? [[String: Any]] ?? [] {
                checks[name, default: [:]][check["name"] as? String ?? ""] =
                    (check["status"] as? String ?? "", check["summary"] as? String ?? "", check["hint"] as? String)
            }
        }
        #expect((doc["ok"] as? Bool) == (r.exitCode == 0), "\(r)")
        return (r.exitCode, checks, r)
    }

    @Test func aHealthyDatabasePasses() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url).exitCode == 0)
        let (exit, checks, raw) = try Self.doctor(tmp)
        #expect(exit == 0, "\(raw)")
        #expect(Set(checks.keys) == ["Project", "Engine", "Database", "Lock", "Backups", "History"], "\(checks.keys)")
        let library = try StrataProcess.run("sqlite3", ["-version"], in: tmp.url).stdout.split(separator: " ").first.map(String.init) ?? "?"
        #expect(checks["Engine"]?["sqlite"]?.summary == "SQLite \(library)", "the linked library is the system's: \(raw)")
        #expect(checks["Engine"]?["DROP COLUMN"]?.status == "ok", "\(raw)")
        #expect(checks["Engine"]?["RETURNING"]?.status == "ok", "\(raw)")
        #expect(checks["Engine"]?["STRICT tables"] != nil, "\(raw)")
        #expect(checks["Database"]?["file"]?.summary.contains("mode 0644") == true, "\(raw)")
        #expect(checks["Database"]?["format"]?.summary.hasPrefix("SQLite 3 database, page size ") == true, "\(raw)")
        #expect(checks["Lock"]?["lock"]?.summary.hasPrefix("free") == true, "\(raw)")
        #expect(checks["History"]?["consistency"]?.summary == "2 applied, 0 pending, current version 002, no problems", "\(raw)")
        #expect(checks["Backups"]?["backups"]?.summary.hasPrefix("1 backup; newest app_pre_v0_") == true, "\(raw)")
        // The text report: one marked line per check and a verdict.
        let text = try StrataProcess.strata(["-d", "app.db", "doctor"], in: tmp.url)
        #expect(text.exitCode == 0 && text.stdout.contains("✓ DROP COLUMN") && text.stdout.contains("No problems found"), "\(text)")
    }

    @Test func aStaleLockAndAHeldLockAreNamed() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "app.db", "up", "--no-backup"], in: tmp.url).exitCode == 0)
        let host = ProcessInfo.processInfo.hostName
        try Data("pid: 999999\nhostname: \(host)\nsince: 2026-01-01T00:00:00.000Z\nstrata_version: 0.1.0\n".utf8)
            .write(to: tmp.path("app.db.lock"))
        var (exit, checks, raw) = try Self.doctor(tmp)
        #expect(exit == 0, "a stale lock is a warning: \(raw)")
        let stale = try #require(checks["Lock"]?["lock"], "\(raw)")
        #expect(stale.status == "warning" && stale.summary.contains("stale") && stale.summary.contains("pid 999999"), "\(raw)")
        #expect(stale.summary.contains("process 999999 is gone") || stale.summary.contains("another host"), "\(raw)")
        #expect(stale.hint?.contains("takes it over") == true, "\(raw)")

        // Held: another process has the flock (as a running strata would).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["flock", "-x", tmp.path("app.db.lock").path, "-c", "echo locked; sleep 5"]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer { holder.terminate() }
        _ = out.fileHandleForReading.availableData  // "locked": the flock is held now
        (exit, checks, raw) = try Self.doctor(tmp)
        let held = try #require(checks["Lock"]?["lock"], "\(raw)")
        #expect(held.status == "warning" && held.summary.hasPrefix("held by pid 999999"), "\(raw)")
    }

    @Test func inconsistentHistoryAndABadFileFailWithHints() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "app.db", "up", "--no-backup"], in: tmp.url).exitCode == 0)
        try tmp.write(["001_create_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT NOT NULL);\n"], under: "migrations")
        let (exit, checks, raw) = try Self.doctor(tmp)
        #expect(exit == 1, "\(raw)")
        let history = try #require(checks["History"]?["consistency"], "\(raw)")
        #expect(history.status == "failed" && history.hint?.contains("strata repair") == true, "\(raw)")

        try Data("not a database at all, but long enough to have a header of a hundred bytes........................".utf8)
            .write(to: tmp.path("junk.db"))
        let junk = try StrataProcess.strata(["-d", "junk.db", "doctor", "--format", "json"], in: tmp.url)
        #expect(junk.exitCode == 1, "\(junk)")
        #expect(junk.stdout.contains("is not a SQLite database") && junk.stdout.contains("strata restore"), "\(junk)")
        let text = try StrataProcess.strata(["-d", "junk.db", "doctor"], in: tmp.url)
        #expect(text.stdout.contains("✗ format") && text.stdout.contains("hint:") && text.stdout.contains("problem"), "\(text)")
    }

    @Test func permissionsAreCheckedForTheUserWhoRunsIt() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "app.db", "up", "--no-backup"], in: tmp.url).exitCode == 0)
        try StrataProcess.chmod(tmp.url, 0o755)
        try StrataProcess.chmod(tmp.path("app.db"), 0o644)
        try StrataProcess.chmod(tmp.path("migrations"), 0o755)
        for file in Self.migrations.keys { try StrataProcess.chmod(tmp.path("migrations/\(file)"), 0o644) }
        let (exit, checks, raw) = try Self.doctor(tmp, runAs: "nobody")
        #expect(exit == 1, "\(raw)")
        let file = try #require(checks["Database"]?["file"], "\(raw)")
        #expect(file.status == "failed" && file.summary.contains("read-only for nobody") && file.summary.contains("owner root"), "\(raw)")
        #expect(file.hint?.contains("chmod 644") == true, "\(raw)")
        let directory = try #require(checks["Database"]?["directory"], "\(raw)")
        #expect(directory.status == "failed" && directory.summary.contains("not writable by nobody"), "\(raw)")
    }
}
