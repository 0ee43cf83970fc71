import Foundation
import PostgresTestServer
import Testing

/// `strata dump`, `load`, `diff` and `rehearse` (SPEC §4) on a real PostgreSQL server: schemas
/// read from the catalogs, scratch databases on the same server, the corpora's chains.
@Suite("Schema commands on PostgreSQL")
struct PostgresSchemaCommandTests {
    static let migrations = [
        "001_users.sql": """
            CREATE TYPE mood AS ENUM ('happy', 'sad');
            CREATE TABLE users (
                id serial PRIMARY KEY,
                email text NOT NULL UNIQUE,
                feeling mood DEFAULT 'happy',
                score integer CHECK (score >= 0),
                created timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX users_lower_email ON users (lower(email)) WHERE score > 0;
            CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.created := now();
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();

            """,
        "001_users.down.sql": "DROP TABLE users;\nDROP FUNCTION touch();\nDROP TYPE mood;\n",
        "002_orders.sql": """
            CREATE TABLE orders (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                tags text[] NOT NULL DEFAULT '{}'
            );
            CREATE INDEX orders_user ON orders (user_id DESC);
            CREATE INDEX orders_tags ON orders USING gin (tags);
            CREATE VIEW order_count AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;
            CREATE FUNCTION order_total(p_user integer) RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM orders WHERE user_id = p_user';

            """,
        "002_orders.down.sql": "DROP FUNCTION order_total(integer);\nDROP VIEW order_count;\nDROP TABLE orders;\n",
    ]

    static func strata(_ db: PostgresDatabase, _ arguments: [String], in tmp: TemporaryDirectory) throws -> ProcessResult {
        try PostgresCommandTests.strata(db, arguments, in: tmp)
    }

    /// What a command must not change in the real database: its schema (`pg_dump -s`, Strata's
    /// tables included), its history and log rows; and no scratch database may be left.
    static func state(_ db: PostgresDatabase) throws -> String {
        let schema = try db.server.schemaDump(db.name, excludingPrefix: "no_such_prefix_")
        let history = try db.psql("SELECT version, status, applied_at, checksum FROM strata_schema_history ORDER BY version")
        let log = try db.psql("SELECT count(*) FROM strata_schema_log")
        return schema + "\n--history\n" + history + "--log " + log
    }

    static func scratchDatabases(_ db: PostgresDatabase) throws -> String {
        try db.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'strata_scratch_%'")
    }

    @Test("two dumps are byte-identical; load builds a fresh database that is up to date and dumps the same")
    func dumpAndLoad() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let db = try PostgresDatabase()
        #expect(try Self.strata(db, ["up", "--no-backup"], in: tmp).exitCode == 0)

        let first = try Self.strata(db, ["dump", "--output", "schema.sql"], in: tmp)
        #expect(first.exitCode == 0, "\(first)")
        let second = try Self.strata(db, ["dump"], in: tmp)
        #expect(second.exitCode == 0, "\(second)")
        let file = try String(contentsOf: tmp.path("schema.sql"), encoding: .utf8)
        #expect(second.stdout == file, "two dumps differ")
        for expected in ["CREATE TYPE mood AS ENUM ('happy', 'sad');", "CREATE SEQUENCE users_id_seq AS integer",
                         "ALTER SEQUENCE users_id_seq OWNED BY users.id;",
                         "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;",
                         "id bigint GENERATED ALWAYS AS IDENTITY NOT NULL", "CONSTRAINT users_email_key UNIQUE (email)",
                         "CREATE INDEX orders_tags ON orders USING gin (tags);", "CREATE VIEW order_count AS",
                         "CREATE OR REPLACE FUNCTION touch()", "CREATE TRIGGER users_touch BEFORE UPDATE ON users",
                         "-- strata:applied {\"version\":\"002\""] {
            #expect(file.contains(expected), "missing \(expected) in\n\(file)")
        }
        #expect(!file.contains("strata_schema_history") && !file.contains("strata_schema_log"), "Strata's own tables are not dumped")
        #expect(!file.contains("public."), "names are not schema-qualified:\n\(file)")

        let fresh = try PostgresDatabase()
        let load = try Self.strata(fresh, ["load", "schema.sql"], in: tmp)
        #expect(load.exitCode == 0, "\(load)")
        #expect(load.stdout.contains("2 applied versions; now at version 002"), "\(load.stdout)")
        let status = try PostgresCommandTests.json(try Self.strata(fresh, ["--format", "json", "status"], in: tmp))
        #expect(status["current_version"] as? String == "002")
        #expect((status["pending"] as? [Any])?.isEmpty == true, "\(status)")
        #expect((status["problems"] as? [Any])?.isEmpty == true, "\(status)")
        #expect(try fresh.schema() == (try db.schema()), "the loaded database has the same pg_dump -s")
        let redump = try Self.strata(fresh, ["dump"], in: tmp)
        #expect(redump.stdout == file, "a loaded database dumps to the same file")
        let down = try Self.strata(fresh, ["down", "--all", "--no-backup"], in: tmp)
        #expect(down.exitCode == 0, "a loaded database rolls back with its down scripts: \(down)")

        let again = try Self.strata(db, ["load", "schema.sql"], in: tmp)
        #expect(again.exitCode == 2 && again.stderr.contains("is not empty"), "\(again)")
    }

    @Test("diff: no drift after up; a column and an index added by hand show up against the dump and the replay")
    func diff() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let db = try PostgresDatabase()
        #expect(try Self.strata(db, ["up", "--no-backup"], in: tmp).exitCode == 0)
        #expect(try Self.strata(db, ["dump", "-o", "schema.sql"], in: tmp).exitCode == 0)
        let clean = try Self.strata(db, ["diff"], in: tmp)
        #expect(clean.exitCode == 0 && clean.stdout.contains("No drift"), "\(clean)")
        let cleanAgainst = try Self.strata(db, ["diff", "--against", "schema.sql"], in: tmp)
        #expect(cleanAgainst.exitCode == 0 && cleanAgainst.stdout.contains("No drift"), "\(cleanAgainst)")

        try db.psql("ALTER TABLE users ADD COLUMN nickname varchar(40); CREATE INDEX users_nick ON users (nickname);")
        let drifted = try Self.state(db)
        for arguments in [["diff"], ["diff", "--against", "schema.sql"]] {
            let r = try Self.strata(db, arguments, in: tmp)
            #expect(r.exitCode == 1, "\(r)")
            #expect(r.stdout.contains("  column users.nickname: added (character varying(40))"), "\(r.stdout)")
            #expect(r.stdout.contains("  index users_nick: added (ON users (nickname))"), "\(r.stdout)")
        }
        let json = try PostgresCommandTests.json(try Self.strata(db, ["--format", "json", "diff"], in: tmp))
        #expect(json["drift"] as? Bool == true)
        let differences = try #require(json["differences"] as? [[String: Any]])
        #expect(differences.map { "\($0["object"]!) \($0["name"]!) \($0["change"]!)" } == ["column users.nickname added", "index users_nick added"])
        #expect(try Self.state(db) == drifted, "diff wrote nothing to the live database")

        try db.psql("ALTER TABLE users DROP COLUMN nickname; ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;")
        let dropped = try Self.strata(db, ["diff"], in: tmp)
        #expect(dropped.exitCode == 1, "\(dropped)")
        #expect(dropped.stdout.contains("constraint orders: CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE: removed"), "\(dropped.stdout)")
        #expect(try Self.scratchDatabases(db) == "0\n", "every scratch database was dropped")
    }

    @Test("rehearse passes a correct chain on a template copy and never writes the real database")
    func rehearseGood() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let db = try PostgresDatabase()
        #expect(try Self.strata(db, ["up", "--target", "001", "--no-backup"], in: tmp).exitCode == 0)
        let before = try Self.state(db)

        let r = try Self.strata(db, ["rehearse"], in: tmp)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("rolled back 002") && r.stdout.contains("applied again 002"), "\(r.stdout)")
        #expect(!r.stdout.contains("rolled back 001"), "001 is applied, not pending: \(r.stdout)")
        #expect(r.stdout.contains("Rehearsal passed: applied 1, rolled back 1, applied again 1"), "\(r.stdout)")
        #expect(!r.stdout.contains("Other sessions are connected"), "nobody else is connected: a template copy: \(r.stdout)")

        #expect(try Self.state(db) == before, "the real database is unchanged")
        #expect(try Self.scratchDatabases(db) == "0\n", "the scratch database was dropped")
        let status = try PostgresCommandTests.json(try Self.strata(db, ["--format", "json", "status"], in: tmp))
        #expect((status["pending"] as? [[String: Any]])?.map { $0["version"] as? String } == ["002"])
    }

    @Test("rehearse replays the applied migrations on an empty scratch database while another session is connected")
    func rehearseWhileConnected() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let db = try PostgresDatabase()
        #expect(try Self.strata(db, ["up", "--target", "001", "--no-backup"], in: tmp).exitCode == 0)
        let before = try Self.state(db)

        let commands = Pipe()
        let holder = db.psqlSession(commands: commands)
        try holder.run()
        defer {
            try? commands.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        commands.fileHandleForWriting.write(Data("SELECT 1;\n".utf8))
        var connected = false
        for _ in 0..<100 where !connected {
            connected = try db.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'") == "1\n"
            if !connected { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(connected, "the holding psql session connected")

        let r = try Self.strata(db, ["rehearse"], in: tmp)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("Other sessions are connected") && r.stdout.contains("replaying its applied migrations"), "\(r.stdout)")
        #expect(r.stdout.contains("Rehearsal passed: applied 1, rolled back 1, applied again 1"), "\(r.stdout)")
        #expect(try Self.state(db) == before, "the real database is unchanged")
        #expect(try Self.scratchDatabases(db) == "0\n", "the scratch database was dropped")
    }

    @Test("rehearse names a down script that leaves an object behind")
    func rehearseBrokenDown() throws {
        let tmp = try TemporaryDirectory()
        var files = Self.migrations
        files["002_orders.down.sql"] = "DROP FUNCTION order_total(integer);\nDROP VIEW order_count;\nDROP INDEX orders_tags;\nALTER TABLE orders DROP COLUMN tags;\n"
        try tmp.write(files, under: "migrations")
        let db = try PostgresDatabase()
        let r = try Self.strata(db, ["--format", "json", "rehearse"], in: tmp)
        #expect(r.exitCode == 1, "\(r)")
        let json = try PostgresCommandTests.json(r)
        #expect(json["passed"] as? Bool == false)
        let finding = try #require((json["findings"] as? [[String: Any]])?.first)
        #expect(finding["code"] as? String == "STRATA004" && finding["version"] as? String == "002")
        let differences = try #require(finding["differences"] as? [[String: Any]])
        let messages = differences.compactMap { $0["message"] as? String }
        #expect(messages.contains("table orders: added (2 columns)") && messages.contains("index orders_user: added (ON orders (user_id DESC))"), "\(messages)")
        #expect(try Self.tables(db) == "", "the real (empty) database stays empty")
        #expect(try Self.scratchDatabases(db) == "0\n", "the scratch database was dropped")
    }

    static func tables(_ db: PostgresDatabase) throws -> String {
        try db.psql("SELECT coalesce(string_agg(relname, ',' ORDER BY relname), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("rehearse passes the corpora's PostgreSQL chains", arguments: [
        ("goose/examples/sql-migrations", "Rehearsal passed: applied 3, rolled back 3, applied again 3"),
        ("goose/testdata/migrations", "Rehearsal passed: applied 5, rolled back 5, applied again 5"),
        ("goose/internal/testing/integration/testdata/migrations/postgres", "Rehearsal passed: applied 6, rolled back 2, applied again 2"),
        ("golang-migrate/database/postgres/examples/migrations", "not rolled back, no down script: 1085649617"),
        ("atuin/crates/atuin-server-postgres/migrations", "not rolled back, no down script: 20210425153745"),
    ])
    func rehearseCorpora(_ directory: String, _ expected: String) throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase()
        let r = try Self.strata(db, ["-m", Corpus.root.appendingPathComponent(directory).path, "rehearse"], in: tmp)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains(expected), "\(r.stdout)")
        #expect(try Self.tables(db) == "", "the real database stays empty")
        #expect(try Self.scratchDatabases(db) == "0\n")
    }

    @Test("dump, load and diff agree on the corpora's PostgreSQL chains", arguments: CorpusPostgresTests.chains)
    func corpusDumps(_ chain: Corpus.Chain) throws {
        let tmp = try TemporaryDirectory()
        let db = try PostgresDatabase(), fresh = try PostgresDatabase()
        try #require(chain.directories.count == 1, "\(chain.name) is one directory")
        let base = ["-m", chain.directory.path]
        let up = try Self.strata(db, base + ["up", "--no-backup"], in: tmp)
        #expect(up.exitCode == 0, "\(chain.name): \(up)")
        let dump = try Self.strata(db, base + ["dump", "-o", "schema.sql"], in: tmp)
        #expect(dump.exitCode == 0, "\(chain.name): \(dump)")
        for arguments in [["diff"], ["diff", "--against", "schema.sql"]] {
            let r = try Self.strata(db, base + arguments, in: tmp)
            #expect(r.exitCode == 0 && r.stdout.contains("No drift"), "\(chain.name) \(arguments): \(r)")
        }
        let load = try Self.strata(fresh, base + ["load", "schema.sql"], in: tmp)
        #expect(load.exitCode == 0, "\(chain.name): \(load)")
        #expect(try fresh.schema() == (try db.schema()), "\(chain.name): the loaded database has the same pg_dump -s")
        let status = try PostgresCommandTests.json(try Self.strata(fresh, base + ["--format", "json", "status"], in: tmp))
        #expect((status["pending"] as? [Any])?.isEmpty == true, "\(chain.name): \(status)")
    }
}
