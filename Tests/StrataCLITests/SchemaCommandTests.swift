import Foundation
import Testing

/// `strata dump`, `load`, `diff` and `rehearse` (SPEC §4) on real SQLite files and the corpora.
@Suite("Schema commands")
struct SchemaCommandTests {
    static let migrations = [
        "001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n",
        "001_users.down.sql": "DROP TABLE users;\n",
        "002_orders.sql": """
            CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE);
            CREATE INDEX orders_user ON orders (user_id);
            CREATE VIEW order_count AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;

            """,
        "002_orders.down.sql": "DROP VIEW order_count;\nDROP TABLE orders;\n",
    ]

    static func project() throws -> TemporaryDirectory {
        let tmp = try TemporaryDirectory()
        try tmp.write(migrations, under: "migrations")
        let up = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "\(up)")
        return tmp
    }

    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    @Test("two dumps of the same database are byte-identical, and load builds a database that is up to date")
    func dumpAndLoad() throws {
        let tmp = try Self.project()
        let first = try StrataProcess.strata(["-d", "app.db", "dump", "--output", "schema.sql"], in: tmp.url)
        #expect(first.exitCode == 0, "\(first)")
        let second = try StrataProcess.strata(["-d", "app.db", "dump"], in: tmp.url)
        #expect(second.exitCode == 0)
        let file = try String(contentsOf: tmp.path("schema.sql"), encoding: .utf8)
        #expect(second.stdout == file)
        #expect(file.contains("CREATE TABLE orders") && file.contains("CREATE INDEX orders_user") && file.contains("CREATE VIEW order_count"))
        #expect(file.contains("-- strata:applied {\"version\":\"002\""), "\(file)")

        let load = try StrataProcess.strata(["-d", "fresh.db", "load", "schema.sql"], in: tmp.url)
        #expect(load.exitCode == 0, "\(load)")
        #expect(load.stdout.contains("2 applied versions; now at version 002"), "\(load.stdout)")
        let status = try Self.json(try StrataProcess.strata(["-d", "fresh.db", "--format", "json", "status"], in: tmp.url))
        #expect(status["current_version"] as? String == "002")
        #expect((status["pending"] as? [Any])?.isEmpty == true)
        #expect((status["problems"] as? [Any])?.isEmpty == true, "\(status)")
        let redump = try StrataProcess.strata(["-d", "fresh.db", "dump"], in: tmp.url)
        #expect(redump.stdout == file, "a loaded database dumps to the same file")
        let down = try StrataProcess.strata(["-d", "fresh.db", "down", "--all"], in: tmp.url)
        #expect(down.exitCode == 0, "a loaded database rolls back with its down scripts: \(down)")

        let again = try StrataProcess.strata(["-d", "app.db", "load", "schema.sql"], in: tmp.url)
        #expect(again.exitCode == 2 && again.stderr.contains("is not empty"), "\(again)")
        let missing = try StrataProcess.strata(["-d", "nothing.db", "dump"], in: tmp.url)
        #expect(missing.exitCode == 2 && !FileManager.default.fileExists(atPath: tmp.path("nothing.db").path), "\(missing)")
    }

    @Test("diff: no drift right after up; a column and an index added by hand show up against the dump and the replay")
    func diff() throws {
        let tmp = try Self.project()
        #expect(try StrataProcess.strata(["-d", "app.db", "dump", "-o", "schema.sql"], in: tmp.url).exitCode == 0)
        let clean = try StrataProcess.strata(["-d", "app.db", "diff"], in: tmp.url)
        #expect(clean.exitCode == 0 && clean.stdout.contains("No drift"), "\(clean)")
        #expect(try StrataProcess.strata(["-d", "app.db", "diff", "--against", "schema.sql"], in: tmp.url).exitCode == 0)

        _ = try StrataProcess.sqlite3(tmp.path("app.db"), "ALTER TABLE users ADD COLUMN nickname TEXT; CREATE INDEX users_nick ON users (nickname);")
        for arguments in [["diff"], ["diff", "--against", "schema.sql"]] {
            let r = try StrataProcess.strata(["-d", "app.db"] + arguments, in: tmp.url)
            #expect(r.exitCode == 1, "\(r)")
            #expect(r.stdout.contains("  column users.nickname: added (TEXT)"), "\(r.stdout)")
            #expect(r.stdout.contains("  index users_nick: added (ON users (nickname))"), "\(r.stdout)")
        }
        let json = try Self.json(try StrataProcess.strata(["-d", "app.db", "--format", "json", "diff"], in: tmp.url))
        #expect(json["drift"] as? Bool == true)
        let differences = try #require(json["differences"] as? [[String: Any]])
        #expect(differences.map { "\($0["object"]!) \($0["name"]!) \($0["change"]!)" } == ["column users.nickname added", "index users_nick added"])
    }

    @Test("rehearse passes a correct chain and never writes the real database")
    func rehearseGood() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        #expect(try StrataProcess.strata(["-d", "app.db", "up", "--target", "001"], in: tmp.url).exitCode == 0)
        let db = tmp.path("app.db")
        let bytes = try Data(contentsOf: db)
        let modified = try FileManager.default.attributesOfItem(atPath: db.path)[.modificationDate] as? Date
        let listing = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted()

        let r = try StrataProcess.strata(["-d", "app.db", "rehearse"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("rolled back 002") && r.stdout.contains("applied again 002"), "\(r.stdout)")
        #expect(!r.stdout.contains("rolled back 001"), "001 is applied, not pending: \(r.stdout)")
        #expect(r.stdout.contains("Rehearsal passed: applied 1, rolled back 1, applied again 1"), "\(r.stdout)")

        #expect(try Data(contentsOf: db) == bytes, "the real database's bytes are unchanged")
        #expect(try FileManager.default.attributesOfItem(atPath: db.path)[.modificationDate] as? Date == modified)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == listing, "no lock, backup or journal file left")
        let status = try Self.json(try StrataProcess.strata(["-d", "app.db", "--format", "json", "status"], in: tmp.url))
        #expect((status["pending"] as? [[String: Any]])?.map { $0["version"] as? String } == ["002"])

        let none = try StrataProcess.strata(["-d", "missing.db", "rehearse"], in: tmp.url)
        #expect(none.exitCode == 0 && none.stdout.contains("applied 2, rolled back 2, applied again 2"), "\(none)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("missing.db").path))
    }

    @Test("rehearse names a down script that leaves an object behind")
    func rehearseLeftover() throws {
        let tmp = try TemporaryDirectory()
        var files = Self.migrations
        files["002_orders.down.sql"] = "DROP TABLE orders;\n"
        try tmp.write(files, under: "migrations")
        let r = try StrataProcess.strata(["-d", "app.db", "--format", "json", "rehearse"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        let json = try Self.json(r)
        #expect(json["passed"] as? Bool == false)
        let finding = try #require((json["findings"] as? [[String: Any]])?.first)
        #expect(finding["code"] as? String == "STRATA004" && finding["version"] as? String == "002")
        let differences = try #require(finding["differences"] as? [[String: Any]])
        #expect(differences.map { $0["message"] as? String } == ["view order_count: added"])
    }

    @Test("rehearse catches the corpora's broken downs and passes their correct chains", arguments: [
        ("golang-migrate/database/sqlite/examples/migrations", 1, "table pets: removed"),
        ("golang-migrate/database/sqlite3/examples/migrations", 1, "table pets: removed"),
        ("atuin/crates/atuin-scripts/migrations", 1, "20250402170430_unique_names.down.sql:2:26"),
        ("atuin/crates/atuin-kv/migrations", 0, "Rehearsal passed: applied 1, rolled back 1, applied again 1"),
        ("goose/testdata/migrations", 0, "Rehearsal passed: applied 5, rolled back 5, applied again 5"),
        ("goose/examples/sql-migrations", 0, "Rehearsal passed: applied 3, rolled back 3, applied again 3"),
        ("goose/internal/testing/integration/testdata/migrations/turso", 0, "not rolled back, no down script: 00001, 00002, 00003, 00004"),
    ])
    func rehearseCorpora(_ directory: String, _ exitCode: Int32, _ expected: String) throws {
        let tmp = try TemporaryDirectory()
        let r = try StrataProcess.strata(["-d", "r.db", "-m", Corpus.root.appendingPathComponent(directory).path, "rehearse"], in: tmp.url)
        #expect(r.exitCode == exitCode, "\(r)")
        #expect(r.stdout.contains(expected), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("r.db").path))
    }
}
