import Foundation
import Testing

/// `strata verify [--full]` (SPEC §4, §5): integrity, foreign keys, applied migrations' verify scripts.
@Suite("Verify command")
struct VerifyCommandTests {
    static let migrations = [
        "001_create_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
        "001_create_users.verify.sql": "-- every user has an email with an @\nSELECT id, email FROM users WHERE email NOT LIKE '%@%';\n",
        "002_create_orders.sql": """
            CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), note TEXT);

            """,
        "003_seed.sql": "INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x');\nINSERT INTO orders VALUES (1, 1, NULL);\n",
        "003_seed.verify.sql": "SELECT COUNT(*) AS n FROM users HAVING n < 2;\n",
    ]

    /// A project with every migration applied to `app.db`.
    static func project() throws -> (TemporaryDirectory, URL) {
        let tmp = try TemporaryDirectory()
        try tmp.write(migrations, under: "migrations")
        let db = tmp.path("app.db")
        let r = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        return (tmp, db)
    }

    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    static func checks(_ object: [String: Any]) -> [(name: String, ok: Bool, details: [String])] {
        (object["checks"] as? [[String: Any]] ?? []).map {
            ($0["name"] as? String ?? "?", $0["ok"] as? Bool ?? false, $0["details"] as? [String] ?? [])
        }
    }

    @Test func healthyDatabasePasses() throws {
        let (tmp, db) = try Self.project()
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("✓ quick_check: ok"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ foreign_key_check: no violations"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ verify 001: create users (migrations/001_create_users.verify.sql)"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ verify 003"), "\(r.stdout)")
        #expect(!r.stdout.contains("verify 002"), "002 has no verify script: \(r.stdout)")
        #expect(r.stdout.contains("All 4 checks passed."), "\(r.stdout)")
        #expect(!r.stdout.contains("✗"))

        let json = try StrataProcess.strata(["-d", db.path, "--format", "json", "verify"], in: tmp.url)
        #expect(json.exitCode == 0, "\(json)")
        let object = try Self.json(json)
        #expect(object["ok"] as? Bool == true)
        #expect(object["database"] as? String == db.path || (object["database"] as? String)?.hasSuffix("app.db") == true)
        #expect(Self.checks(object).map(\.name) == ["quick_check", "foreign_key_check", "verify 001", "verify 003"])
        #expect(Self.checks(object).allSatisfy { $0.ok && $0.details.isEmpty })
        #expect(json.stderr.isEmpty, "\(json.stderr)")
    }

    @Test func fullRunsIntegrityCheck() throws {
        let (tmp, db) = try Self.project()
        let r = try StrataProcess.strata(["-d", db.path, "--format", "json", "verify", "--full"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(Self.checks(try Self.json(r)).first?.name == "integrity_check")
        let text = try StrataProcess.strata(["-d", db.path, "verify", "--full"], in: tmp.url)
        #expect(text.stdout.contains("✓ integrity_check: ok"), "\(text)")
    }

    @Test func verifyScriptRowsFailTheCheck() throws {
        let (tmp, db) = try Self.project()
        _ = try StrataProcess.sqlite3(db, "INSERT INTO users (id, email) VALUES (7, 'no-at-sign'), (8, 'also none');")
        let before = try Data(contentsOf: db)
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stdout.contains("✗ verify 001: create users (migrations/001_create_users.verify.sql): the verify query returned rows"),
                "\(r.stdout)")
        #expect(r.stdout.contains("migrations/001_create_users.verify.sql:2:1: id=7, email='no-at-sign'"), "\(r.stdout)")
        #expect(r.stdout.contains("id=8, email='also none'"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ verify 003"), "\(r.stdout)")
        #expect(r.stdout.contains("1 of 4 checks failed."), "\(r.stdout)")
        #expect(try Data(contentsOf: db) == before, "verify writes nothing")

        let json = try StrataProcess.strata(["-d", db.path, "--format", "json", "verify"], in: tmp.url)
        #expect(json.exitCode == 1)
        let object = try Self.json(json)
        #expect(object["ok"] as? Bool == false)
        let failed = Self.checks(object).filter { !$0.ok }
        #expect(failed.map(\.name) == ["verify 001"])
        #expect(failed.first?.details.count == 2)
    }

    @Test func manyRowsAreCappedAndSaidSo() throws {
        let (tmp, db) = try Self.project()
        var sql = ""
        for i in 100..<130 { sql += "INSERT INTO users (id, email) VALUES (\(i), 'bad\(i)');\n" }
        _ = try StrataProcess.sqlite3(db, sql)
        let r = try StrataProcess.strata(["-d", db.path, "--format", "json", "verify"], in: tmp.url)
        #expect(r.exitCode == 1)
        let details = Self.checks(try Self.json(r)).first { $0.name == "verify 001" }?.details ?? []
        #expect(details.count == 11, "\(details)")
        #expect(details.last == "… and more rows")
    }

    @Test func foreignKeyViolationsAreListed() throws {
        let (tmp, db) = try Self.project()
        _ = try StrataProcess.sqlite3(db, "PRAGMA foreign_keys = OFF;\nINSERT INTO orders VALUES (5, 99, 'orphan'), (6, 98, 'orphan');\n")
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stdout.contains("✗ foreign_key_check: 2 rows without a parent row"), "\(r.stdout)")
        #expect(r.stdout.contains("orders rowid 5 references users"), "\(r.stdout)")
        #expect(r.stdout.contains("orders rowid 6 references users"), "\(r.stdout)")
        #expect(r.stdout.contains("hint:"), "\(r.stdout)")
    }

    @Test func brokenAndWritingVerifyScriptsFailWithoutWriting() throws {
        let (tmp, db) = try Self.project()
        try tmp.write([
            "001_create_users.verify.sql": "SELECT id FROM users WHERE 0;\nSELECT nope FROM users;\n",
            "003_seed.verify.sql": "DELETE FROM users;\n",
        ], under: "migrations")
        let before = try Data(contentsOf: db)
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stdout.contains("✗ verify 001"), "\(r.stdout)")
        #expect(r.stdout.contains("migrations/001_create_users.verify.sql:2:8: no such column: nope"), "\(r.stdout)")
        #expect(r.stdout.contains("✗ verify 003"), "\(r.stdout)")
        #expect(r.stdout.contains("can only read"), "\(r.stdout)")
        #expect(try StrataProcess.sqlite3(db, "SELECT COUNT(*) FROM users;") == "2\n")
        #expect(try Data(contentsOf: db) == before)
    }

    @Test func damagedDatabaseFailsTheIntegrityCheck() throws {
        let (tmp, db) = try Self.project()
        // Garble the users table's root page (a leaf: the table is small).
        let root = try StrataProcess.sqlite3(db, "SELECT rootpage FROM sqlite_master WHERE name = 'users';")
        let page = try #require(Int(root.trimmingCharacters(in: .whitespacesAndNewlines)))
        var bytes = try Data(contentsOf: db)
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        for i in (page - 1) * pageSize + 8..<(page - 1) * pageSize + 64 { bytes[i] = 0xFF }
        try bytes.write(to: db)
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 1 || r.exitCode == 2, "\(r)")
        #expect((r.stdout + r.stderr).contains("strata restore"), "\(r)")
        if r.exitCode == 1 {
            #expect(r.stdout.contains("✗ quick_check"), "\(r.stdout)")
            #expect(!r.stdout.contains("verify 001"), "scripts do not run on a damaged database: \(r.stdout)")
        }
    }

    @Test func appliedMigrationWithoutFileIsNoted() throws {
        let (tmp, db) = try Self.project()
        try FileManager.default.removeItem(at: tmp.path("migrations/003_seed.sql"))
        try FileManager.default.removeItem(at: tmp.path("migrations/003_seed.verify.sql"))
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stderr.contains("not verified") && r.stderr.contains("003"), "\(r.stderr)")
    }

    @Test func noVerifyScriptsIsSaid() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"], under: "migrations")
        let db = tmp.path("app.db")
        #expect(try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url).exitCode == 0)
        let r = try StrataProcess.strata(["-d", db.path, "verify"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("- verify scripts: no applied migration has one"), "\(r.stdout)")
    }

    @Test func missingDatabaseIsNotCreated() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["-d", "missing.db", "verify"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("database missing.db does not exist"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("missing.db").path))
    }

    @Test func postgresIsNotSupportedYet() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["-d", "postgres://me:secret@localhost/app", "verify"], in: tmp.url)
        #expect(r.exitCode == 2, "\(r)")
        #expect(r.stderr.contains("PostgreSQL"), "\(r.stderr)")
        #expect(!r.stderr.contains("secret"), "the password is redacted: \(r.stderr)")
    }

    @Test func verifyIsListedInHelp() throws {
        let tmp = try TemporaryDirectory()
        let r = try StrataProcess.strata(["--help"], in: tmp.url)
        #expect(r.stdout.contains("verify"), "\(r.stdout)")
    }
}

/// The foreign-key check after each migration covers the tables the migration touched (and the
/// tables referring to them), found by an SQLite authorizer: every way of breaking a reference is
/// still caught, and violations that were there before still do not fail a migration.
@Suite("Foreign-key check per migration")
struct TouchedTablesForeignKeyTests {
    static let schema = [
        "001_schema.sql": """
            CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id) ON DELETE CASCADE, title TEXT);
            CREATE TABLE inbox (id INTEGER PRIMARY KEY, author_id INTEGER);
            CREATE TABLE unrelated (id INTEGER PRIMARY KEY, x TEXT);
            CREATE TRIGGER inbox_to_books AFTER INSERT ON inbox BEGIN
                INSERT INTO books (author_id, title) VALUES (NEW.author_id, 'from inbox');
            END;
            INSERT INTO authors VALUES (1, 'Ann'), (2, 'Bob');
            INSERT INTO books VALUES (1, 1, 'a'), (2, 2, 'b');

            """,
    ]

    /// Applies 001 and then a second migration with `sql`; returns the result of the second `up`.
    static func apply(_ sql: String, setup: String? = nil) throws -> (ProcessResult, URL, TemporaryDirectory) {
        let tmp = try TemporaryDirectory()
        try tmp.write(schema, under: "migrations")
        let db = tmp.path("app.db")
        let first = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(first.exitCode == 0, "\(first)")
        if let setup { _ = try StrataProcess.sqlite3(db, setup) }
        try tmp.write(["002_change.sql": sql], under: "migrations")
        return (try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url), db, tmp)
    }

    @Test(arguments: [
        "INSERT INTO books (author_id, title) VALUES (99, 'orphan');",
        "UPDATE books SET author_id = 42 WHERE id = 1;",
        "DELETE FROM authors WHERE id = 2;",
        "INSERT INTO inbox (author_id) VALUES (77);",  // the trigger writes the orphan
        "DROP TABLE authors;",
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id));\nINSERT INTO reviews VALUES (1, 500);",
        "ALTER TABLE books ADD COLUMN editor_id INTEGER REFERENCES authors(id) DEFAULT 9;",
        """
        CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO authors_new SELECT id, name FROM authors WHERE id = 1;
        DROP TABLE authors;
        ALTER TABLE authors_new RENAME TO authors;
        """,
    ])
    func introducedViolationFailsTheMigration(_ sql: String) throws {
        let (r, db, tmp) = try Self.apply(sql + "\n")
        #expect(r.exitCode == 1, "\(sql)\n\(r)")
        #expect(r.stderr.contains("foreign key violations after migration"), "\(sql)\n\(r.stderr)")
        #expect(try StrataProcess.sqlite3(db, "SELECT COUNT(*) FROM books;") == "2\n", "rolled back: \(sql)")
        #expect(try StrataProcess.sqlite3(db, "SELECT status FROM strata_schema_history WHERE version = '002';") == "failed\n")
        withExtendedLifetime(tmp) {}
    }

    @Test func cleanChangesPass() throws {
        let (r, db, tmp) = try Self.apply("""
            INSERT INTO unrelated (x) VALUES ('x');
            INSERT INTO books (author_id, title) VALUES (1, 'fine');
            INSERT INTO inbox (author_id) VALUES (2);
            CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
            INSERT INTO authors_new (id, name) SELECT id, name FROM authors;
            DROP TABLE authors;
            ALTER TABLE authors_new RENAME TO authors;

            """)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try StrataProcess.sqlite3(db, "SELECT COUNT(*) FROM books;") == "4\n", "no cascade, trigger ran")
        withExtendedLifetime(tmp) {}
    }

    @Test func preexistingViolationsDoNotFailMigrations() throws {
        let legacy = "PRAGMA foreign_keys = OFF;\nINSERT INTO books (id, author_id, title) VALUES (20, 77, 'legacy orphan');\n"
        // Touching an unrelated table, the child table, or the parent table leaves the old orphan alone.
        for sql in ["INSERT INTO unrelated (x) VALUES ('y');", "UPDATE books SET title = 'z' WHERE id = 1;",
                    "UPDATE authors SET name = 'Ann B' WHERE id = 1;"] {
            let (r, _, _) = try Self.apply(sql + "\n", setup: legacy)
            #expect(r.exitCode == 0, "\(sql)\n\(r)")
        }
        // A new orphan next to the old one still fails.
        let (r, _, _) = try Self.apply("INSERT INTO books (id, author_id, title) VALUES (21, 78, 'new orphan');\n", setup: legacy)
        #expect(r.exitCode == 1, "\(r)")
        #expect(r.stderr.contains("books rowid 21 references authors"), "\(r.stderr)")
    }

    @Test func manyMigrationsStayFast() throws {
        // 300 migrations over a database with 200 tables with foreign keys: each checks only what it touched.
        let tmp = try TemporaryDirectory()
        var files: [String: String] = [:]
        var schema = "CREATE TABLE root (id INTEGER PRIMARY KEY);\nINSERT INTO root VALUES (1);\n"
        for t in 0..<200 {
            schema += "CREATE TABLE child\(t) (id INTEGER PRIMARY KEY, root_id INTEGER REFERENCES root(id));\n"
            schema += "INSERT INTO child\(t) (root_id) SELECT 1 FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) SELECT i FROM n);\n"
        }
        files["0001_schema.sql"] = schema
        for m in 2...300 {
            files[String(format: "%04d_step.sql", m)] = "INSERT INTO child\(m % 200) (root_id) VALUES (1);\n"
        }
        try tmp.write(files, under: "migrations")
        let start = Date()
        let r = try StrataProcess.strata(["-d", tmp.path("app.db").path, "up"], in: tmp.url)
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.exitCode == 0, "\(r)")
        #expect(elapsed < 60, "300 migrations took \(elapsed) s")
    }
}
