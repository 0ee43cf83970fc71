import Foundation
import Testing
import Strata
import StrataSQLite

/// SQLite introspection into ``SchemaSnapshot``, comparison, dumps and scratch databases, on real files.
@Suite("SQLite schema snapshots")
struct SQLiteSchemaTests {
    static let schema = """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL COLLATE NOCASE UNIQUE,
            age INTEGER DEFAULT 0 CHECK (age >= 0),
            full_name TEXT GENERATED ALWAYS AS (email || '!') VIRTUAL
        );
        CREATE TABLE orders (
            id INTEGER NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            total REAL,
            PRIMARY KEY (id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX orders_total ON orders (total DESC) WHERE total > 0;
        CREATE INDEX users_lower_email ON users (lower(email));
        CREATE VIEW b_view AS SELECT * FROM a_view;
        CREATE VIEW a_view AS SELECT id, email FROM users;
        CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN UPDATE users SET age = age WHERE id = new.id; END;
        """

    static func database(_ dir: TempDir, _ sql: String = schema) async throws -> SQLiteDriver {
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        try await driver.executeRaw(sql)
        return driver
    }

    @Test("a snapshot has every table, column, constraint, option, index, view and trigger")
    func snapshot() async throws {
        let dir = TempDir()
        let driver = try await Self.database(dir)
        try await driver.prepareHistory()
        let snapshot = try await driver.schemaSnapshot()
        await driver.close()
        #expect(snapshot.rendering == """
            table orders
              column id INTEGER NOT NULL
              column user_id INTEGER NOT NULL
              column total REAL
              constraint FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
              constraint PRIMARY KEY (id, user_id)
              option WITHOUT ROWID
            table users
              column id INTEGER
              column email TEXT NOT NULL COLLATE NOCASE
              column age INTEGER DEFAULT 0
              column full_name TEXT GENERATED VIRTUAL
              constraint CHECK (AGE >= 0)
              constraint PRIMARY KEY (id)
              constraint UNIQUE (email COLLATE NOCASE)
              option AUTOINCREMENT
            index orders_total ON orders (total DESC) WHERE TOTAL > 0
            index users_lower_email ON users (LOWER(EMAIL))
            view a_view: CREATE VIEW A_VIEW AS SELECT ID, EMAIL FROM USERS
            view b_view: CREATE VIEW B_VIEW AS SELECT * FROM A_VIEW
            trigger users_touch ON users: CREATE TRIGGER USERS_TOUCH AFTER UPDATE ON USERS BEGIN UPDATE USERS SET AGE = AGE WHERE ID = NEW.ID; END

            """)
        #expect(!snapshot.rendering.contains("strata_schema"), "the history tables are not part of the schema")
    }

    @Test("comparison names each difference by object")
    func comparison() async throws {
        let dir = TempDir()
        let driver = try await Self.database(dir)
        let before = try await driver.schemaSnapshot()
        try await driver.executeRaw("""
            ALTER TABLE users ADD COLUMN nickname TEXT;
            DROP INDEX orders_total;
            CREATE INDEX orders_total ON orders (total);
            DROP VIEW b_view;
            CREATE TABLE extra (x);
            CREATE TRIGGER extra_trigger AFTER INSERT ON extra BEGIN SELECT 1; END;
            """)
        let after = try await driver.schemaSnapshot()
        await driver.close()
        let differences = SchemaComparison.differences(from: before, to: after).map(\.description)
        #expect(differences == [
            "column users.nickname: added (TEXT)",
            "table extra: added (1 column)",
            "index orders_total: changed (was ON orders (total DESC) WHERE TOTAL > 0, now ON orders (total))",
            "view b_view: removed",
            "trigger extra_trigger: added",
        ])
        #expect(SchemaComparison.differences(from: after, to: after).isEmpty)
    }

    @Test("a dump is deterministic, loads into an equal schema, and orders views by dependency")
    func dump() async throws {
        let dir = TempDir()
        let driver = try await Self.database(dir)
        let history = [HistoryRecord(version: "002", description: "two", kind: .sql, script: "m/002.sql", checksum: "bb",
                                     downSQL: "DROP TABLE x;", appliedBy: "a", hostname: "h", appliedAt: "2026-01-01T00:00:00Z",
                                     executionTimeMs: 5, status: .applied),
                       HistoryRecord(version: "1", description: "one \"quoted\"", kind: .sql, script: "m/1.sql", checksum: "aa",
                                     downSQL: nil, appliedBy: "b", hostname: "i", appliedAt: "2026-01-02T00:00:00Z",
                                     executionTimeMs: 7, status: .baselined),
                       HistoryRecord(version: "003", description: "gone", kind: .sql, script: "m/003.sql", checksum: "cc",
                                     downSQL: nil, appliedBy: "a", hostname: "h", appliedAt: "2026-01-01T00:00:00Z",
                                     executionTimeMs: 5, status: .rolledBack)]
        let first = SchemaDump.render(try await driver.schemaSnapshot(), history: history)
        let second = SchemaDump.render(try await driver.schemaSnapshot(), history: history.reversed())
        let original = try await driver.schemaSnapshot()
        await driver.close()
        #expect(first == second)
        let aView = try #require(first.range(of: "CREATE VIEW a_view")), bView = try #require(first.range(of: "CREATE VIEW b_view"))
        #expect(aView.lowerBound < bView.lowerBound)
        #expect(!first.contains("2026-01"), "no timestamps in a dump")

        let entries = try SchemaDump.entries(in: first, path: "schema.sql")
        #expect(entries.map(\.version) == ["1", "002"])
        #expect(entries[0].description == "one \"quoted\"" && entries[0].status == .baselined)
        #expect(entries[1].downSQL == "DROP TABLE x;")

        let loaded = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        try await loaded.executeRaw(first)
        let copy = try await loaded.schemaSnapshot()
        await loaded.close()
        #expect(SchemaComparison.differences(from: original, to: copy).isEmpty)
        #expect(copy.rendering == original.rendering)
    }

    @Test("a malformed history line is an error at its line")
    func malformedDump() {
        #expect(throws: StrataError.self) {
            _ = try SchemaDump.entries(in: "CREATE TABLE a (x);\n-- strata:applied {not json\n", path: "s.sql")
        }
        do {
            _ = try SchemaDump.entries(in: "\n-- strata:applied {\"version\": 1}\n", path: "s.sql")
            Issue.record("expected an error")
        } catch {
            #expect(error.location == SourceLocation(file: "s.sql", line: 2, column: 1))
        }
    }

    @Test("a scratch copy has the same schema and rows, and writing it leaves the original alone")
    func scratchCopy() async throws {
        let dir = TempDir()
        let driver = try await Self.database(dir, "CREATE TABLE t (a); INSERT INTO t VALUES (1), (2);")
        let scratch = try await driver.makeScratchDatabase(copyingContents: true)
        let copy = try #require(scratch.driver as? SQLiteDriver)
        #expect(try await copy.rows("SELECT count(*) FROM t") == [["2"]])
        try await copy.executeRaw("CREATE TABLE u (b);")
        #expect(try await driver.schemaSnapshot().tables.map(\.name) == ["t"])
        let location = scratch.location
        await scratch.discard()
        #expect(!FileManager.default.fileExists(atPath: location))

        let empty = try await driver.makeScratchDatabase(copyingContents: false)
        #expect(try await empty.driver.schemaSnapshot().isEmpty)
        await empty.discard()
        await driver.close()
    }
}
