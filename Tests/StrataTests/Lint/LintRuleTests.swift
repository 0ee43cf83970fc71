import Testing
@testable import Strata

/// A migration `001_test` whose up script is `up` (and down script `down`, when given).
func lintMigration(_ up: String, down: String? = "SELECT 1;", version: String = "001",
                   transactional: Bool = true) -> Migration {
    let upScript = MigrationScript(path: "migrations/\(version)_test.sql", sql: up)
    return Migration(version: MigrationVersion(version), name: "test", description: "test", layout: .flat,
                     sourcePath: upScript.path, up: upScript,
                     down: down.map { .script(MigrationScript(path: "migrations/\(version)_test.down.sql", sql: $0)) } ?? .none,
                     options: ExecutionOptions(transactional: transactional))
}

/// Every rule fires on a minimal example and stays quiet on the safe variant.
@Suite("Lint rules")
struct LintRuleTests {
    struct Case: CustomStringConvertible, Sendable {
        var code: String
        var engine: DatabaseEngine
        var firing: String
        var safe: String
        var sqliteVersion: String? = nil
        var description: String { "\(code): \(firing.prefix(60))" }
    }

    static let cases: [Case] = [
        Case(code: "STRATA002", engine: .sqlite, firing: "DROP TABLE users;",
             safe: "CREATE TABLE scratch (a);\nDROP TABLE scratch;"),
        Case(code: "STRATA002", engine: .postgres, firing: "DROP TABLE IF EXISTS public.users CASCADE;",
             safe: "CREATE TABLE users_new (id int);\nINSERT INTO users_new SELECT id FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;"),
        // The linter reads only statements whose first word a rule looks at; an insert counts
        // as a copy (a rebuild, not a loss) only when a SELECT follows, in any case.
        Case(code: "STRATA002", engine: .sqlite,
             firing: "CREATE TABLE users_new (id);\nINSERT INTO users_new VALUES (1);\nDROP TABLE users;",
             safe: "CREATE TABLE users_new (id);\n/* copy */ insert into users_new\n  select id from users;\nDROP TABLE users;"),
        Case(code: "STRATA003", engine: .sqlite, firing: "ALTER TABLE users DROP COLUMN nickname;",
             safe: "ALTER TABLE users ADD COLUMN nickname TEXT;"),
        Case(code: "STRATA003", engine: .postgres, firing: "ALTER TABLE users DROP nickname;",
             safe: "ALTER TABLE users DROP CONSTRAINT users_nickname_key;"),
        Case(code: "STRATA005", engine: .sqlite, firing: "-- strata:lint-ignore NOPE123\nSELECT 1;",
             safe: "-- strata:lint-ignore STRATA002\nDROP TABLE users;"),
        Case(code: "SQLITE001", engine: .sqlite, firing: "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;",
             safe: "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0;"),
        Case(code: "SQLITE001", engine: .sqlite, firing: "ALTER TABLE users ADD age INTEGER NOT NULL DEFAULT NULL;",
             safe: "CREATE TABLE users (id INTEGER);\nALTER TABLE users ADD COLUMN age INTEGER NOT NULL;"),
        Case(code: "SQLITE002", engine: .sqlite, firing: "ALTER TABLE users ADD COLUMN created TEXT DEFAULT CURRENT_TIMESTAMP;",
             safe: "ALTER TABLE users ADD COLUMN created TEXT DEFAULT '1970-01-01';"),
        Case(code: "SQLITE002", engine: .sqlite, firing: "ALTER TABLE users ADD COLUMN created TEXT DEFAULT (datetime('now'));",
             safe: "ALTER TABLE users ADD COLUMN score REAL DEFAULT -1.5;"),
        Case(code: "SQLITE003", engine: .sqlite, firing: "ALTER TABLE users ALTER COLUMN email TYPE TEXT;",
             safe: "ALTER TABLE users RENAME COLUMN email TO mail;"),
        Case(code: "SQLITE003", engine: .sqlite, firing: "alter table scripts drop index name_uniq_idx;",
             safe: "DROP INDEX name_uniq_idx;"),
        Case(code: "SQLITE003", engine: .sqlite, firing: "ALTER TABLE users ADD CONSTRAINT u UNIQUE (email);",
             safe: "CREATE UNIQUE INDEX u ON users (email);"),
        Case(code: "SQLITE003", engine: .sqlite, firing: "ALTER TABLE users ADD COLUMN code TEXT UNIQUE;",
             safe: "ALTER TABLE users ADD COLUMN code TEXT;"),
        Case(code: "SQLITE004", engine: .sqlite, firing: "ALTER TABLE users DROP COLUMN nickname;",
             safe: "ALTER TABLE users RENAME TO members;", sqliteVersion: "3.31.1"),
        Case(code: "PG001", engine: .postgres, firing: "CREATE INDEX users_email ON users (email);",
             safe: "CREATE INDEX CONCURRENTLY users_email ON users (email);"),
        Case(code: "PG001", engine: .postgres, firing: "CREATE UNIQUE INDEX IF NOT EXISTS i ON ONLY public.users USING btree (email);",
             safe: "CREATE TABLE users (email text);\nCREATE UNIQUE INDEX i ON users (email);"),
        Case(code: "PG002", engine: .postgres, firing: "BEGIN;\nCREATE INDEX CONCURRENTLY i ON users (email);\nCOMMIT;",
             safe: "CREATE INDEX CONCURRENTLY i ON users (email);"),
        Case(code: "PG002", engine: .postgres, firing: "UPDATE users SET email = lower(email);\nDROP INDEX CONCURRENTLY i;",
             safe: "DROP INDEX CONCURRENTLY i;"),
        Case(code: "PG003", engine: .postgres, firing: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
             safe: "ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();"),
        Case(code: "PG003", engine: .postgres, firing: "ALTER TABLE users ADD COLUMN seq bigserial;",
             safe: "ALTER TABLE users ADD COLUMN seq bigint;"),
        Case(code: "PG004", engine: .postgres, firing: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
             safe: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;"),
        Case(code: "PG005", engine: .postgres, firing: "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);",
             safe: "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;"),
        Case(code: "PG005", engine: .postgres, firing: "ALTER TABLE users ADD CHECK (age > 0);",
             safe: "ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX users_email;"),
        Case(code: "PG006", engine: .postgres, firing: "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
             safe: "ALTER TABLE users ALTER COLUMN id SET DEFAULT 0;"),
        Case(code: "PG006", engine: .postgres, firing: "ALTER TABLE users ALTER id SET DATA TYPE bigint USING id::bigint;",
             safe: "CREATE TABLE users (id int);\nALTER TABLE users ALTER COLUMN id TYPE bigint;"),
        Case(code: "PG007", engine: .postgres, firing: "ALTER TABLE users RENAME COLUMN email TO mail;",
             safe: "ALTER TABLE users ADD COLUMN mail text;"),
        Case(code: "PG007", engine: .postgres, firing: "ALTER TABLE users RENAME TO members;",
             safe: "CREATE TABLE staging (id int);\nALTER TABLE staging RENAME TO members;"),
        Case(code: "PG008", engine: .postgres, firing: "ALTER TABLE users ADD COLUMN mail text;",
             safe: "-- strata:lock-timeout 5s\nALTER TABLE users ADD COLUMN mail text;"),
        Case(code: "PG008", engine: .postgres, firing: "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();",
             safe: "SET lock_timeout = '5s';\nCREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();"),
    ]

    static func codes(_ sql: String, _ c: Case) -> [String] {
        Linter(engine: c.engine, sqliteVersion: c.sqliteVersion).lint([lintMigration(sql)]).map(\.code)
    }

    @Test("fires on the example and stays quiet on the safe variant", arguments: cases)
    func rule(_ c: Case) {
        #expect(Self.codes(c.firing, c).contains(c.code), "\(c.code) should fire on: \(c.firing)")
        #expect(!Self.codes(c.safe, c).contains(c.code), "\(c.code) should stay quiet on: \(c.safe)")
    }

    @Test("every static rule has a firing case, and codes are unique")
    func catalogueCovered() {
        let covered = Set(Self.cases.map(\.code))
        for rule in LintRule.all where rule.isStatic && rule.code != "STRATA001" && rule.code != "SQLITE005" {
            #expect(covered.contains(rule.code), "no test case for \(rule.code)")
        }
        #expect(Set(LintRule.all.map(\.code)).count == LintRule.all.count)
        for rule in LintRule.all { #expect(!rule.explanation.isEmpty && !rule.fix.isEmpty) }
    }

    @Test("STRATA001: a migration without a down script, or with an empty one")
    func missingDown() {
        let linter = Linter(engine: .sqlite)
        #expect(linter.lint([lintMigration("CREATE TABLE a (x);", down: nil)]).map(\.code) == ["STRATA001"])
        var empty = lintMigration("CREATE TABLE a (x);")
        empty.down = .irreversible(path: "migrations/001_test.down.sql")
        let found = linter.lint([empty])
        #expect(found.map(\.code) == ["STRATA001"])
        #expect(found.first?.message.contains("is empty") == true)
        #expect(linter.lint([lintMigration("CREATE TABLE a (x);", down: "DROP TABLE a;")]).isEmpty)
        let ignored = lintMigration("-- strata:lint-ignore STRATA001\nCREATE TABLE a (x);", down: nil)
        #expect(linter.lint([ignored]).isEmpty)
    }

    @Test("SQLITE005: rebuilding a parent table; an error with foreign-keys immediate and ON DELETE CASCADE children")
    func parentRebuild() {
        let context = lintMigration("""
            CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
            """, version: "001")
        let rebuild = """
            CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
            INSERT INTO parent_new SELECT id, coalesce(name, '') FROM parent;
            DROP TABLE parent;
            ALTER TABLE parent_new RENAME TO parent;
            """
        let linter = Linter(engine: .sqlite)
        let warning = linter.lint([lintMigration(rebuild, version: "002")], context: [context])
        #expect(warning.map(\.code) == ["SQLITE005"])
        #expect(warning.first?.severity == .warning)
        #expect(warning.first?.location.line == 3)

        let immediate = linter.lint([lintMigration("-- strata:foreign-keys immediate\n" + rebuild, version: "002")], context: [context])
        #expect(immediate.map(\.code) == ["SQLITE005"])
        #expect(immediate.first?.severity == .error)
        #expect(immediate.first?.message.contains("child") == true)

        let leaf = linter.lint([lintMigration("""
            CREATE TABLE child_new (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
            INSERT INTO child_new SELECT * FROM child;
            DROP TABLE child;
            ALTER TABLE child_new RENAME TO child;
            """, version: "002")], context: [context])
        #expect(leaf.isEmpty, "rebuilding a table nobody references is fine: \(leaf)")
    }

    @Test("findings point at the clause, in the script's file, line and column")
    func locations() {
        let sql = "-- add a column\nCREATE TABLE t (a);\n\nALTER TABLE users\n    DROP COLUMN nickname;\n"
        let found = Linter(engine: .sqlite).lint([lintMigration(sql)])
        #expect(found.count == 1)
        #expect(found.first?.location == SourceLocation(file: "migrations/001_test.sql", line: 5, column: 5))
        #expect(found.first?.description.hasPrefix("migrations/001_test.sql:5:5: warning[STRATA003]: DROP COLUMN users.nickname") == true)
    }

    @Test("lint-ignore applies to the statement right below it, and takes several codes")
    func suppression() {
        let linter = Linter(engine: .postgres)
        let sql = """
            -- strata:lint-ignore PG008, PG006
            -- another comment
            ALTER TABLE users ALTER COLUMN id TYPE bigint;
            ALTER TABLE users ALTER COLUMN email TYPE text;
            """
        let found = linter.lint([lintMigration(sql)])
        #expect(found.map(\.code) == ["PG006"])
        #expect(found.first?.location.line == 4)

        let separated = "-- strata:lint-ignore STRATA002\n\nDROP TABLE users;"
        #expect(linter.lint([lintMigration(separated)]).map(\.code).contains("STRATA002"), "a blank line ends the comment block")
    }

    @Test("down scripts get only the engine-compatibility rules")
    func downScripts() {
        let linter = Linter(engine: .sqlite)
        let migration = lintMigration("CREATE UNIQUE INDEX name_uniq_idx ON scripts (name);",
                                      down: "-- Add down migration script here\nalter table scripts drop index name_uniq_idx;\nDROP TABLE old;")
        let found = linter.lint([migration])
        #expect(found.map(\.code) == ["SQLITE003"])
        #expect(found.first?.location == SourceLocation(file: "migrations/001_test.down.sql", line: 2, column: 26))
        #expect(found.first?.severity == .error)
    }

    @Test("with scope .run, tables created by an earlier pending migration count as new")
    func runScope() {
        let migrations = [lintMigration("CREATE TABLE users (id int, email text);", version: "001"),
                          lintMigration("CREATE INDEX users_email ON users (email);", version: "002")]
        #expect(Linter(engine: .postgres, scope: .migration).lint(migrations).map(\.code).contains("PG001"))
        #expect(Linter(engine: .postgres, scope: .run).lint(migrations).isEmpty)
    }

    @Test("SQLite allows DROP COLUMN from 3.35 on")
    func dropColumnVersion() {
        let sql = "ALTER TABLE users DROP COLUMN nickname;"
        #expect(Linter(engine: .sqlite, sqliteVersion: "3.34.1").lint([lintMigration(sql)]).map(\.code).contains("SQLITE004"))
        #expect(!Linter(engine: .sqlite, sqliteVersion: "3.35.0").lint([lintMigration(sql)]).map(\.code).contains("SQLITE004"))
        #expect(!Linter(engine: .sqlite).lint([lintMigration(sql)]).map(\.code).contains("SQLITE004"))
    }
}
