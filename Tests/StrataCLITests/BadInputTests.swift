import Foundation
import Testing

/// Bad input end to end: each case gives a clear message (with file:line where there is one), the
/// SPEC exit code, and leaves the database byte for byte as it was — no history row, no backup,
/// no lock file. (Damaged and foreign database files and read-only databases are in
/// ``TroubleshootingTests``; the loader's own cases in `MigrationDirectoryErrorTests`.)
@Suite("Bad input", .serialized)
struct BadInputTests {
    /// One bad input: what is written next to migration 001 (already applied), what `up` must say.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var files: [String: [UInt8]]
        var config: String?
        var messages: [String]
        /// Whether migration 001 is `V001__a/up.sql` (the `dir` layout) rather than `001_a.sql`.
        var dirLayout = false
        var description: String { name }
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let cases: [Case] = [
        Case(name: "non-UTF-8 script", files: ["002_bad.sql": text("CREATE TABLE b (id INTEGER);\n-- caf") + [0xE9] + text("\n")],
             messages: ["migrations/002_bad.sql:2:7: error: migrations/002_bad.sql is not UTF-8 text (invalid byte at offset 35)",
                        "hint: save the file as UTF-8"]),
        Case(name: "binary file", files: ["002_image.sql": [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0xFF]],
             messages: ["migrations/002_image.sql:", "is not UTF-8 text"]),
        Case(name: "binary file that is valid UTF-8", files: ["002_nul.sql": text("CREATE TABLE b (id INTEGER);\nSELECT 1;") + [0, 0, 1, 2] + text("\n")],
             messages: ["migrations/002_nul.sql:2:10: error: migrations/002_nul.sql contains a NUL byte (at offset 38), so it is not a text file"]),
        Case(name: "malformed metadata.yaml", files: ["V002__b/up.sql": text("CREATE TABLE b (id INTEGER);\n"),
                                                      "V002__b/metadata.yaml": text("description: [unclosed\nauthor: x\n")],
             messages: ["migrations/V002__b/metadata.yaml:2:", "is not valid YAML", "hint:"], dirLayout: true),
        Case(name: "metadata.yaml with a wrong type", files: ["V002__b/up.sql": text("CREATE TABLE b (id INTEGER);\n"),
                                                              "V002__b/metadata.yaml": text("description: b\ntransaction: maybe\n")],
             messages: ["migrations/V002__b/metadata.yaml:2:14: error: 'transaction' must be true or false"], dirLayout: true),
        Case(name: "malformed strata.yml", files: [:], config: "lock_timeout: 5\nenvironments:\n  dev: [\n",
             messages: ["strata.yml:", "is not valid YAML"]),
        Case(name: "history table name with a quote", files: [:], config: "history_table: strata\"history\n",
             messages: ["error: history table name 'strata\"history' is not a plain identifier", "hint: use letters, digits and underscores"]),
        Case(name: "history table name starting with a digit", files: [:], config: "history_table: 1history\n",
             messages: ["error: history table name '1history' is not a plain identifier"]),
        Case(name: "history table name of 64 characters", files: [:], config: "history_table: \(String(repeating: "h", count: 64))\n",
             messages: ["is not a plain identifier"]),
        Case(name: "unknown directive", files: ["002_b.sql": text("-- strata:no-transactoin\nCREATE TABLE b (id INTEGER);\n")],
             messages: ["migrations/002_b.sql:1:4: error: unknown directive 'strata:no-transactoin'", "hint: known directives:"]),
        Case(name: "duplicate version", files: ["002_b.sql": text("CREATE TABLE b (id INTEGER);\n"),
                                                "002_c.sql": text("CREATE TABLE c (id INTEGER);\n")],
             messages: ["error: version 002 is used by more than one migration", "migrations/002_b.sql", "migrations/002_c.sql"]),
        Case(name: "malformed version", files: ["002_b.sql": text("CREATE TABLE b (id INTEGER);\n"),
                                                "2x_c.sql": text("CREATE TABLE c (id INTEGER);\n")],
             messages: ["breaks the naming rules", "2x_c.sql"]),
        Case(name: "a directory where a file is expected", files: ["002_b.sql/readme.txt": text("not a migration\n")],
             messages: ["002_b.sql", "directory"]),
    ]

    /// A project with 001 applied to `app.db` and its backups removed; returns the database bytes.
    static func appliedProject(_ tmp: TemporaryDirectory, dirLayout: Bool = false) throws -> (URL, Data) {
        try tmp.write([dirLayout ? "V001__a/up.sql" : "001_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"],
                      under: "migrations")
        let db = tmp.path("app.db")
        let r = try StrataProcess.strata(["-d", db.path, "up", "--no-backup"], in: tmp.url)
        try #require(r.exitCode == 0, "\(r)")
        return (db, try Data(contentsOf: db))
    }

    /// Runs `up` (text and JSON) and `validate`, and checks the exit code, the messages, and that
    /// nothing beside the database changed.
    static func expectRefused(_ tmp: TemporaryDirectory, db: URL, before: Data, exitCode: Int32, messages: [String],
                              runAs user: String? = nil, command: [String] = ["up"]) throws {
        let entriesBefore = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted()
        for arguments in [command, ["--format", "json"] + command] {
            let full = ["-d", db.path] + arguments
            let r = try user.map { try StrataProcess.strata(full, in: tmp.url, runAs: $0) }
                ?? StrataProcess.strata(full, in: tmp.url)
            #expect(r.exitCode == exitCode, "\(arguments): \(r)")
            if arguments.first == "--format" {
                let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                let error = try #require(object?["error"] as? [String: Any], "\(r.stdout)")
                #expect(error["message"] is String && error["hint"] != nil, "\(error)")
            } else {
                for message in messages { #expect(r.stderr.contains(message), "\(message)\n\(r.stderr)") }
            }
        }
        #expect(try Data(contentsOf: db) == before, "the database is unchanged")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == entriesBefore,
                "no backup, lock file or journal is left")
    }

    @Test(arguments: cases)
    func badInputIsRefusedAndChangesNothing(_ bad: Case) throws {
        let tmp = try TemporaryDirectory()
        let (db, before) = try Self.appliedProject(tmp, dirLayout: bad.dirLayout)
        for (path, bytes) in bad.files {
            let file = tmp.path("migrations/\(path)")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: file)
        }
        if let config = bad.config { try tmp.write(["strata.yml": config]) }
        try Self.expectRefused(tmp, db: db, before: before, exitCode: 2, messages: bad.messages)
        let validate = try StrataProcess.strata(["-d", db.path, "validate"], in: tmp.url)
        #expect(validate.exitCode == 2, "validate: \(validate)")
        #expect(try Data(contentsOf: db) == before)
    }

    /// The database is opened while the migration files are read (the two overlap); a bad file is
    /// still what is reported, before anything about the database, and a database that does not
    /// exist is not created.
    @Test func aBadFileIsReportedBeforeTheDatabaseAndCreatesNone() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_a.sql": "CREATE TABLE a (id INTEGER);\n", "2x_b.sql": "CREATE TABLE b (id INTEGER);\n"],
                      under: "migrations")
        for command in [["up"], ["status"], ["down"]] {
            let r = try StrataProcess.strata(["-d", "sqlite:app.db"] + command, in: tmp.url)
            #expect(r.exitCode == 2 && r.stderr.contains("2x_b.sql"), "\(command): \(r)")
            #expect(!FileManager.default.fileExists(atPath: tmp.path("app.db").path), "\(command) created no database")
        }
        let damaged = Data(repeating: 0x5A, count: 8_192)
        try damaged.write(to: tmp.path("app.db"))
        for command in [["up"], ["status"]] {
            let r = try StrataProcess.strata(["-d", "sqlite:app.db"] + command, in: tmp.url)
            #expect(r.exitCode == 2 && r.stderr.contains("2x_b.sql") && !r.stderr.contains("not a database"), "\(command): \(r)")
            #expect(try Data(contentsOf: tmp.path("app.db")) == damaged)
        }
    }

    @Test func symlinkOutOfTheMigrationsDirectoryIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let (db, before) = try Self.appliedProject(tmp)
        try tmp.write(["outside/evil.sql": "DROP TABLE a;\n"])
        try FileManager.default.createSymbolicLink(atPath: tmp.path("migrations/002_evil.sql").path, withDestinationPath: "../outside/evil.sql")
        try Self.expectRefused(tmp, db: db, before: before, exitCode: 2,
                               messages: ["migrations/002_evil.sql is a symbolic link that leads outside the migrations directory",
                                          "hint: copy the file into the migrations directory"])
    }

    @Test func a100MegabyteScriptWithABadByteAtTheEndIsLocated() throws {
        let tmp = try TemporaryDirectory()
        let (db, before) = try Self.appliedProject(tmp)
        let line = "INSERT INTO big VALUES ('" + String(repeating: "x", count: 1_000) + "');\n"
        let lines = 100 * 1_024 * 1_024 / line.utf8.count
        var bytes = Data(capacity: 100 * 1_024 * 1_024 + 100)
        bytes.append(Data("CREATE TABLE big (v TEXT);\n".utf8))
        let lineData = Data(line.utf8)
        for _ in 0..<lines { bytes.append(lineData) }
        bytes.append(contentsOf: [0x2D, 0x2D, 0x20, 0xC3, 0x28, 0x0A])  // "-- " and an invalid sequence
        #expect(bytes.count > 100_000_000)
        try bytes.write(to: tmp.path("migrations/002_big.sql"))
        try Self.expectRefused(tmp, db: db, before: before, exitCode: 2,
                               messages: ["migrations/002_big.sql:\(lines + 2):4: error: migrations/002_big.sql is not UTF-8 text (invalid byte at offset \(bytes.count - 3))"])
    }

    @Test func emptyScriptsAreNoOpMigrations() throws {
        // Deliberate: an empty or comment-only up script is a placeholder (golang-migrate keeps
        // them); it is recorded as applied and changes no table.
        let tmp = try TemporaryDirectory()
        let (db, _) = try Self.appliedProject(tmp)
        let schema = try StrataProcess.schema(db)
        try tmp.write(["002_empty.sql": "", "003_blank.sql": "\n\n   \n", "004_comment.sql": "-- to do\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.schema(db) == schema)
        #expect(try StrataProcess.sqlite3(db, "SELECT group_concat(version) FROM strata_schema_history WHERE status = 'applied';") == "001,002,003,004\n")
    }

    // MARK: - Permissions (as an unprivileged user: root ignores them)

    @Test func unreadableScriptIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let (db, before) = try Self.appliedProject(tmp)
        try tmp.write(["002_secret.sql": "CREATE TABLE s (id INTEGER);\n"], under: "migrations")
        try StrataProcess.chmod(tmp.path("migrations/002_secret.sql"), 0o000)
        try StrataProcess.chmod(tmp.url, 0o777)
        try StrataProcess.chmod(db, 0o666)
        try Self.expectRefused(tmp, db: db, before: before, exitCode: 2,
                               messages: ["migrations/002_secret.sql cannot be read", "hint: check the file's permissions"],
                               runAs: "nobody")
    }

    @Test func createInAReadOnlyMigrationsDirectoryIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let (db, before) = try Self.appliedProject(tmp)
        try StrataProcess.chmod(tmp.path("migrations"), 0o755)  // root's: not writable for nobody
        try StrataProcess.chmod(tmp.url, 0o777)
        try Self.expectRefused(tmp, db: db, before: before, exitCode: 2, messages: ["migrations", "hint:"],
                               runAs: "nobody", command: ["create", "add_users"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path("migrations").path) == ["001_a.sql"])
    }
}
