import Foundation
import Testing

/// `strata lint` (SPEC §4, §6) and the linter run of `strata up`.
@Suite("Lint command")
struct LintCommandTests {
    static let migrations = [
        "001_create_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
        "001_create_users.down.sql": "DROP TABLE users;\n",
        "002_add_age.sql": "-- the age\nALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n",
        "002_add_age.down.sql": "ALTER TABLE users DROP COLUMN age;\n",
        "003_drop_email.sql": "ALTER TABLE users DROP COLUMN email;\n",
    ]

    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    @Test("text output reads like a compiler's, and an error-level finding exits 1")
    func text() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["lint"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("migrations/002_add_age.sql:2:42: error[SQLITE001]: ADD COLUMN age NOT NULL without a default fails on users once it has rows"), "\(r.stdout)")
        #expect(lines.contains("migrations/003_drop_email.sql:1:19: warning[STRATA003]: DROP COLUMN users.email deletes the column's values"), "\(r.stdout)")
        #expect(lines.contains("migrations/003_drop_email.sql:1:1: warning[STRATA001]: migration 003 has no down script; it cannot be rolled back"), "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("  hint: give the column a constant default") }, "\(r.stdout)")
        #expect(lines.last == "1 error, 2 warnings.", "\(r.stdout)")

        try tmp.write(["002_add_age.sql": "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0;\n"], under: "migrations")
        let warnings = try StrataProcess.strata(["lint"], in: tmp.url)
        #expect(warnings.exitCode == 0, "warnings alone do not fail: \(warnings)")
        #expect(warnings.stdout.hasSuffix("0 errors, 2 warnings.\n"), "\(warnings.stdout)")
    }

    @Test("--format json prints {diagnostics: [{code, severity, file, line, column, message, hint}]}")
    func jsonFormat() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["lint", "--format", "json"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        let object = try Self.json(r)
        #expect(Array(object.keys) == ["diagnostics"])
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 3)
        for d in diagnostics { #expect(Set(d.keys) == ["code", "severity", "file", "line", "column", "message", "hint"]) }
        let first = diagnostics[0]
        #expect(first["code"] as? String == "SQLITE001")
        #expect(first["severity"] as? String == "error")
        #expect(first["file"] as? String == "migrations/002_add_age.sql")
        #expect(first["line"] as? Int == 2 && first["column"] as? Int == 42)
    }

    @Test("--format sarif prints a SARIF 2.1.0 log with every rule and one result per finding")
    func sarif() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["lint", "--format", "sarif"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        let log = try Self.json(r)
        #expect(log["version"] as? String == "2.1.0")
        #expect((log["$schema"] as? String)?.contains("sarif-2.1.0") == true)
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "strata")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.contains { $0["id"] as? String == "SQLITE001" })
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 3)
        let result = results[0]
        #expect(result["ruleId"] as? String == "SQLITE001" && result["level"] as? String == "error")
        let index = try #require(result["ruleIndex"] as? Int)
        #expect(rules[index]["id"] as? String == "SQLITE001")
        let physical = try #require(((result["locations"] as? [[String: Any]])?.first?["physicalLocation"]) as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == "migrations/002_add_age.sql")
        let region = try #require(physical["region"] as? [String: Any])
        #expect(region["startLine"] as? Int == 2 && region["startColumn"] as? Int == 42)
    }

    @Test("FILES: a file of the migrations directory is linted as part of its migration; the engine comes from the URL or --engine")
    func filesAndEngine() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_t.sql": "CREATE TABLE t (a int);\n", "002_i.sql": "CREATE INDEX t_a ON t (a);\n",
                       "002_i.down.sql": "DROP INDEX t_a;\n"], under: "migrations")
        try tmp.write(["loose.sql": "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n"])
        let sqlite = try StrataProcess.strata(["lint", "migrations/002_i.sql"], in: tmp.url)
        #expect(sqlite.exitCode == 0 && sqlite.stdout == "No lint findings.\n", "\(sqlite)")

        let postgres = try StrataProcess.strata(["-d", "postgres://app@localhost/app", "lint", "migrations/002_i.sql"], in: tmp.url)
        #expect(postgres.exitCode == 0, "\(postgres)")
        #expect(postgres.stdout.contains("migrations/002_i.sql:1:1: warning[PG001]"), "\(postgres.stdout)")
        #expect(!postgres.stdout.contains("001_t.sql"), "only the given file is reported: \(postgres.stdout)")

        let loose = try StrataProcess.strata(["lint", "--engine", "sqlite", "loose.sql"], in: tmp.url)
        #expect(loose.exitCode == 1 && loose.stdout.contains("loose.sql:1:15: error[SQLITE003]"), "\(loose)")
        let looseEngine = try StrataProcess.strata(["lint", "--engine", "postgres", "loose.sql"], in: tmp.url)
        #expect(looseEngine.exitCode == 0 && looseEngine.stdout.contains("warning[PG006]"), "\(looseEngine)")

        let bad = try StrataProcess.strata(["lint", "--engine", "mysql"], in: tmp.url)
        #expect(bad.exitCode == 64, "\(bad)")
        let rules = try StrataProcess.strata(["lint", "--rules"], in: tmp.url)
        #expect(rules.exitCode == 0 && rules.stdout.contains("PG008  warning  [postgres]"), "\(rules)")
    }

    @Test("up prints lint findings of pending migrations on stderr and runs; lint.block_on stops it")
    func upRunsLinter() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_t.sql": "CREATE TABLE t (a);\n", "001_t.down.sql": "DROP TABLE t;\n",
                       "002_drop.sql": "-- gone\nDROP TABLE t;\n", "002_drop.down.sql": "CREATE TABLE t (a);\n"], under: "migrations")
        let first = try StrataProcess.strata(["-d", "app.db", "up", "--target", "001"], in: tmp.url)
        #expect(first.exitCode == 0 && first.stderr.isEmpty, "no findings for 001: \(first)")

        try tmp.write(["strata.yml": "lint:\n  block_on: warning\n"])
        let blocked = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url)
        #expect(blocked.exitCode == 3, "\(blocked)")
        #expect(blocked.stderr.contains("migrations/002_drop.sql:2:12: warning[STRATA002]: DROP TABLE t deletes the table"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("lint.block_on: warning"), "\(blocked.stderr)")

        try tmp.write(["strata.yml": "lint:\n  block_on: error\n"])
        let ran = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url)
        #expect(ran.exitCode == 0, "\(ran)")
        #expect(ran.stderr.contains("warning[STRATA002]"), "\(ran.stderr)")
        #expect(ran.stdout.contains("Applied 1 migration"), "\(ran.stdout)")

        // A missing down script is `strata lint`'s business, not every `up`'s; --quiet hides findings.
        try FileManager.default.removeItem(at: tmp.path("strata.yml"))
        try tmp.write(["003_u.sql": "CREATE TABLE u (a);\n", "004_drop.sql": "DROP TABLE u;\n"], under: "migrations")
        let quiet = try StrataProcess.strata(["-d", "app.db", "--quiet", "up", "--target", "003"], in: tmp.url)
        #expect(quiet.exitCode == 0 && quiet.stderr.isEmpty, "\(quiet)")
        let noDown = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url)
        #expect(noDown.exitCode == 0 && noDown.stderr.contains("warning[STRATA002]") && !noDown.stderr.contains("STRATA001"), "\(noDown)")

        try tmp.write(["strata.yml": "lint:\n  block_on: sometimes\n"])
        let invalid = try StrataProcess.strata(["-d", "app.db", "status"], in: tmp.url)
        #expect(invalid.exitCode == 2 && invalid.stderr.contains("strata.yml:2:13"), "\(invalid)")
    }
}
