import Foundation
import GRDB
import Strata
import StrataSQLite
import Testing

@Suite("SQLite driver")
struct SQLiteDriverTests {
    let dir = TempDir()

    func open(_ path: String? = nil) throws -> SQLiteDriver {
        try SQLiteDriver.open(path: path ?? dir.newDatabasePath(), createIfMissing: true)
    }

    static let parentAndChildren = """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE books (
            id INTEGER PRIMARY KEY,
            author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
            title TEXT
        );
        INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy');
        INSERT INTO books (id, author_id, title) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, 3, 'd'), (5, 3, 'e');
        """

    static let rebuildAuthors = """
        -- Migration: add email to authors (table rebuild)
        CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
        INSERT INTO authors_new (id, name) SELECT id, name FROM authors;
        DROP TABLE authors;
        ALTER TABLE authors_new RENAME TO authors;
        """

    // MARK: - Foreign keys

    /// The driver claims ``SQLiteDriver/executesSQLUnitsRegardlessOfCancellation`` (so the
    /// migrator calls it without a shielding task): a SQL unit run by a cancelled task completes.
    @Test func sqlUnitRunsToItsEndInACancelledTask() async throws {
        let driver = try open()
        #expect(driver.executesSQLUnitsRegardlessOfCancellation)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            #expect(Task.isCancelled)
            return try await driver.execute(makeUnit("CREATE TABLE cancelled_run (id INTEGER);\nINSERT INTO cancelled_run VALUES (1);"))
        }
        _ = try await task.value
        #expect(try await driver.history().map(\.version) == ["001"])
        #expect(try await driver.tableColumns("cancelled_run") == ["id"])
        await driver.close()
    }

    @Test func tableRebuildOfCascadeParentKeepsEveryChildRow() async throws {
        let driver = try open()
        #expect(try await driver.foreignKeysEnabled())
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        _ = try await driver.execute(makeUnit(Self.rebuildAuthors, version: "002"))
        try await driver.executeRaw("CREATE TABLE probe AS SELECT COUNT(*) AS n FROM books")
        let path = driver.path
        let (books, authorsSQL) = try inspect(path) { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM books"),
             try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'authors'"))
        }
        #expect(books == 5)
        #expect(authorsSQL?.contains("email") == true)
        #expect(try await driver.foreignKeysEnabled(), "foreign_keys must be restored after the migration")
        #expect(try await driver.foreignKeyViolations().isEmpty)
        #expect(try await driver.history().map(\.version).sorted() == ["001", "002"])
        await driver.close()
    }

    @Test func immediateForeignKeysStayEnforced() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        let script = """
            CREATE TABLE extra (id INTEGER PRIMARY KEY);
            INSERT INTO books (id, author_id, title) VALUES (10, 99, 'orphan');
            """
        let error = await strataError {
            _ = try await driver.execute(makeUnit(script, version: "002", foreignKeys: .immediate))
        }
        #expect(error?.code == .migrationFailed)
        #expect(error?.location?.line == 2)
        #expect(error?.databaseCode == "SQLITE_CONSTRAINT_FOREIGNKEY")
        #expect(error?.hint?.contains("parent") == true)
        #expect(try inspect(driver.path) { try $0.tableExists("extra") } == false)

        // With foreign keys enforced, the rebuild's DROP TABLE cascades: the reason for the default.
        _ = try await driver.execute(makeUnit(Self.rebuildAuthors, version: "003", foreignKeys: .immediate))
        #expect(try inspect(driver.path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM books") } == 0)
        #expect(try await driver.foreignKeysEnabled())
        await driver.close()
    }

    @Test func foreignKeyViolationIsCaughtBeforeCommitAndRolledBack() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        let script = """
            CREATE TABLE extra (id INTEGER PRIMARY KEY);
            DELETE FROM authors WHERE id = 3;
            INSERT INTO books (id, author_id, title) VALUES (10, 99, 'orphan');
            """
        let error = await strataError { _ = try await driver.execute(makeUnit(script, version: "002")) }
        #expect(error?.code == .verificationFailed)
        #expect(error?.message.hasPrefix("foreign key violations after migration") == true)
        #expect(error?.details.contains("books rowid 10 references authors") == true)
        #expect(error?.details.contains("books rowid 4 references authors") == true)
        #expect(error?.location?.file == "migrations/002_test.sql")
        let state = try inspect(driver.path) { db in
            (try db.tableExists("extra"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM authors"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM books"))
        }
        #expect(state.0 == false)
        #expect(state.1 == 3)
        #expect(state.2 == 5)
        #expect(try await driver.history().map(\.version) == ["001"])
        #expect(try await driver.foreignKeysEnabled())
        await driver.close()
    }

    @Test func preexistingViolationsDoNotFailLaterMigrations() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        try await driver.executeRaw("""
            PRAGMA foreign_keys = OFF;
            INSERT INTO books (id, author_id, title) VALUES (20, 77, 'legacy orphan');
            PRAGMA foreign_keys = ON;
            """)
        #expect(try await driver.foreignKeyViolations().map(\.description) == ["books rowid 20 references authors"])
        _ = try await driver.execute(makeUnit(Self.rebuildAuthors, version: "002"))
        #expect(try await driver.history().count == 2)
        await driver.close()
    }

    // MARK: - Persistent settings

    @Test(arguments: ["wal", "delete"])
    func journalModeAndPageSizeAreUnchanged(_ mode: String) async throws {
        let path = dir.newDatabasePath()
        let setup = try DatabaseQueue(path: path)
        try await setup.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 8192")
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = \(mode)")
            try db.execute(sql: "CREATE TABLE existing (id INTEGER PRIMARY KEY)")
        }
        try setup.close()
        let driver = try open(path)
        try await driver.prepareHistory()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        _ = try await driver.execute(makeUnit(Self.rebuildAuthors, version: "002"))
        _ = try await driver.execute(makeUnit("VACUUM;", version: "003", transactional: false))
        await driver.close()
        let settings = try inspect(path) { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA page_size"))
        }
        #expect(settings.0 == mode)
        #expect(settings.1 == 8192)
    }

    // MARK: - Scripts with their own transactions

    @Test func scriptWithOwnBeginCommitRunsInStrataTransaction() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        let script = """
            PRAGMA foreign_keys=off;
            BEGIN TRANSACTION;
            CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, born INTEGER);
            INSERT INTO authors_new (id, name) SELECT id, name FROM authors;
            DROP TABLE authors;
            ALTER TABLE authors_new RENAME TO authors;
            PRAGMA foreign_key_check;
            COMMIT;
            PRAGMA foreign_keys=on;
            BEGIN IMMEDIATE;
            CREATE INDEX idx_books_author ON books(author_id);
            END TRANSACTION;
            """
        _ = try await driver.execute(makeUnit(script, version: "002"))
        let state = try inspect(driver.path) { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM books"), try db.indexes(on: "books").map(\.name))
        }
        #expect(state.0 == 5)
        #expect(state.1.contains("idx_books_author"))
        #expect(try await driver.history().count == 2)
        #expect(try await driver.foreignKeysEnabled())
        await driver.close()
    }

    @Test func failureInsideScriptsOwnTransactionRollsBackEverything() async throws {
        let driver = try open()
        let script = """
            BEGIN;
            CREATE TABLE a (id INTEGER PRIMARY KEY);
            COMMIT;
            BEGIN;
            CREATE TABLE b (id INTEGER PRIMARY KEY);
            INSERT INTO nowhere VALUES (1);
            COMMIT;
            """
        let error = await strataError { _ = try await driver.execute(makeUnit(script)) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.location?.line == 6)
        #expect(try inspect(driver.path) { try $0.tableExists("a") } == false)
        #expect(try await driver.history().isEmpty)
        await driver.close()
    }

    @Test(arguments: [
        ("CREATE TABLE a (id INTEGER);\nCOMMIT;\nCREATE TABLE b (id INTEGER);", 2),
        ("BEGIN;\nCREATE TABLE a (id INTEGER);\nBEGIN;\nCOMMIT;", 3),
        ("BEGIN;\nCREATE TABLE a (id INTEGER);\nROLLBACK;", 3),
        ("CREATE TABLE a (id INTEGER);\n  BEGIN TRANSACTION;\nCREATE TABLE b (id INTEGER);", 0),
    ])
    func strayTransactionStatementsAreErrors(_ script: String, _ line: Int) async throws {
        let driver = try open()
        let error = await strataError { _ = try await driver.execute(makeUnit(script)) }
        #expect(error?.code == .migrationFailed)
        if line > 0 {
            #expect(error?.location?.line == line)
            #expect(error?.hint?.contains("strata:no-transaction") == true)
        } else {
            #expect(error?.message.contains("no matching COMMIT") == true)
            #expect(error?.location?.line == 2)
            #expect(error?.location?.column == 3)
        }
        #expect(try inspect(driver.path) { try $0.tableExists("a") } == false)
        await driver.close()
    }

    @Test func savepointsAndTriggerBodiesAreNotTransactionStatements() async throws {
        let driver = try open()
        let script = """
            CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
            CREATE TABLE audit (id INTEGER);
            CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN
                INSERT INTO audit (id) VALUES (new.id);
            END;
            SAVEPOINT s1;
            INSERT INTO t (id, n) VALUES (1, 1);
            ROLLBACK TO s1;
            RELEASE s1;
            INSERT INTO t (id, n) VALUES (2, 2);
            """
        _ = try await driver.execute(makeUnit(script))
        let counts = try inspect(driver.path) { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit"))
        }
        #expect(counts.0 == 1)
        #expect(counts.1 == 1)
        await driver.close()
    }

    @Test func nonTransactionalScriptMayUseItsOwnTransactions() async throws {
        let driver = try open()
        let script = "BEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\nVACUUM;\n"
        _ = try await driver.execute(makeUnit(script, transactional: false))
        #expect(try inspect(driver.path) { try $0.tableExists("a") })

        let unclosed = "BEGIN;\nCREATE TABLE b (id INTEGER);\n"
        let error = await strataError { _ = try await driver.execute(makeUnit(unclosed, version: "002", transactional: false)) }
        #expect(error?.message.contains("left a transaction open") == true)
        #expect(try inspect(driver.path) { try $0.tableExists("b") } == false)
        #expect(try await driver.history().map(\.version) == ["001"])
        await driver.close()
    }

    // MARK: - VACUUM

    @Test func vacuumRunsInNonTransactionalUnit() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren, version: "001"))
        _ = try await driver.execute(makeUnit("-- strata:no-transaction\nVACUUM;", version: "002", transactional: false))
        #expect(try await driver.history().count == 2)

        let error = await strataError { _ = try await driver.execute(makeUnit("\nVACUUM;", version: "003")) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.location?.line == 2)
        #expect(error?.hint?.contains("strata:no-transaction") == true)
        await driver.close()
    }

    // MARK: - Opening

    @Test func corruptFileGivesDatabaseErrorWithRestoreHint() throws {
        let path = dir.path("corrupt.db")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        do {
            _ = try SQLiteDriver.open(path: path, createIfMissing: false)
            Issue.record("opening random bytes succeeded")
        } catch {
            #expect(error.code == .database)
            #expect(error.databaseCode == "SQLITE_NOTADB")
            #expect(error.message.contains(path))
            #expect(error.hint?.contains("strata restore") == true)
        }
    }

    @Test func missingFileIsNotCreatedForReadOnlyCommands() async throws {
        let path = dir.path("missing.db")
        do {
            _ = try SQLiteDriver.open(path: path, createIfMissing: false)
            Issue.record("opening a missing file succeeded")
        } catch {
            #expect(error.code == .database)
            #expect(error.message == "database \(path) does not exist")
        }
        #expect(!FileManager.default.fileExists(atPath: path))

        let driver = try SQLiteDriver.open(path: path, createIfMissing: true)
        #expect(driver.displayName == "sqlite:\(path)")
        #expect(try await driver.history().isEmpty)
        await driver.close()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func historyReadsCreateNothing() async throws {
        let driver = try open()
        #expect(try await driver.history().isEmpty)
        #expect(try await driver.log().isEmpty)
        #expect(try await driver.schemaObjects().isEmpty)
        let count = try inspect(driver.path) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master") }
        #expect(count == 0)
        await driver.close()
    }

    @Test func readOnlyDatabaseGivesPermissionHint() async throws {
        let path = dir.newDatabasePath()
        let writable = try open(path)
        try await writable.executeRaw("CREATE TABLE existing (id INTEGER PRIMARY KEY);")
        await writable.close()

        let driver = try SQLiteDriver.open(path: path, createIfMissing: false, readOnly: true)
        #expect(try await driver.history().isEmpty)
        let error = await strataError { try await driver.prepareHistory() }
        #expect(error?.code == .database)
        #expect(error?.databaseCode?.hasPrefix("SQLITE_READONLY") == true)
        #expect(error?.hint?.contains("chmod 644") == true)
        let writeError = await strataError { _ = try await driver.execute(makeUnit("CREATE TABLE t (id INTEGER);")) }
        #expect(writeError?.databaseCode?.hasPrefix("SQLITE_READONLY") == true)
        await driver.close()
    }

    @Test func busyDatabaseGivesAnotherProcessHint() async throws {
        let path = dir.newDatabasePath()
        let driver = try SQLiteDriver.open(path: path, createIfMissing: true, busyTimeout: 0.2)
        try await driver.prepareHistory()
        // Another connection holds the write lock for a second, on its own thread.
        let locked = DispatchSemaphore(value: 0)
        let holder = Thread {
            guard let other = try? DatabaseQueue(path: path) else { locked.signal(); return }
            try? other.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                Thread.sleep(forTimeInterval: 1)
                try db.execute(sql: "ROLLBACK")
            }
            try? other.close()
        }
        holder.start()
        locked.wait()
        let error = await strataError { _ = try await driver.execute(makeUnit("CREATE TABLE t (id INTEGER);")) }
        try await Task.sleep(for: .seconds(1))
        #expect(error?.code == .database)
        #expect(error?.databaseCode == "SQLITE_BUSY")
        #expect(error?.hint?.contains("another process") == true)
        _ = try await driver.execute(makeUnit("CREATE TABLE t (id INTEGER);"))
        await driver.close()
    }

    // MARK: - Error translation

    @Test func nonConstantDefaultHasSeedHint() async throws {
        let driver = try open()
        let script = """
            CREATE TABLE users (id INTEGER PRIMARY KEY);
            INSERT INTO users (id) VALUES (1);
            ALTER TABLE users ADD COLUMN created_at TEXT DEFAULT CURRENT_TIMESTAMP;
            """
        let error = await strataError { _ = try await driver.execute(makeUnit(script)) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("non-constant default") == true)
        #expect(error?.location?.line == 3)
        #expect(error?.hint?.contains("UPDATE") == true)
        #expect(try inspect(driver.path) { try $0.tableExists("users") } == false)
        await driver.close()
    }

    @Test func constraintErrorsAreLocatedAtTheStatementNotItsComments() async throws {
        let driver = try open()
        let script = """
            CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
            INSERT INTO u (email) VALUES ('a@x');
            -- a comment before the failing statement
            /* and a block
               comment */   INSERT INTO u (email) VALUES ('a@x');
            """
        let error = await strataError { _ = try await driver.execute(makeUnit(script, path: "m/001.sql")) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.databaseCode == "SQLITE_CONSTRAINT_UNIQUE")
        #expect(error?.location == SourceLocation(file: "m/001.sql", line: 5, column: 17))
        #expect(error?.hint?.contains("duplicates") == true)
        #expect(error?.description.hasPrefix("m/001.sql:5:17: error: UNIQUE constraint failed: u.email") == true)
        await driver.close()
    }

    @Test func syntaxErrorColumnCountsCharactersNotBytes() async throws {
        let driver = try open()
        let script = "INSERT INTO t VALUES ('é'); -- ünïcödé\nSELECT 'ö', 'ä' FRM t;"
        let error = await strataError { _ = try await driver.execute(makeUnit("CREATE TABLE t (x TEXT);\n" + script)) }
        // The first INSERT succeeds; the SELECT's syntax error is at `t` after FRM (SQLite reports the token after the alias).
        #expect(error?.code == .migrationFailed)
        #expect(error?.location?.line == 3)
        #expect(error?.message.contains("syntax error") == true)
        #expect(error?.location?.column == 21)
        #expect(error?.databaseCode == "SQLITE_ERROR")
        await driver.close()
    }

    @Test func verifyScriptErrorsAreLocatedInTheVerifyFile() async throws {
        let driver = try open()
        let verify = MigrationScript(path: "v/verify.sql", sql: "SELECT 1 FROM t WHERE 1 = 0;\nSELECT nope FROM t;")
        let error = await strataError {
            _ = try await driver.execute(makeUnit("CREATE TABLE t (id INTEGER);", verify: verify))
        }
        #expect(error?.code == .verificationFailed)
        #expect(error?.location?.file == "v/verify.sql")
        #expect(error?.location?.line == 2)
        #expect(try inspect(driver.path) { try $0.tableExists("t") } == false)
        await driver.close()
    }

    // MARK: - Helpers for other commands

    @Test func checksAndSchemaObjects() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren + """

            CREATE INDEX idx_books_author ON books(author_id);
            CREATE VIEW v_books AS SELECT title FROM books;
            CREATE TRIGGER trg AFTER DELETE ON authors BEGIN SELECT 1; END;
            CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, u TEXT UNIQUE);
            INSERT INTO seq (u) VALUES ('x');
            """))
        _ = try await driver.rows("PRAGMA cache_size = -4321")
        #expect(try await driver.quickCheck() == ["ok"])
        #expect(try await driver.integrityCheck() == ["ok"])
        // The checks read with a small page cache and give the connection its own back.
        #expect(try await driver.rows("PRAGMA cache_size") == [["-4321"]])
        #expect(try await driver.foreignKeyViolations().isEmpty)
        let objects = try await driver.schemaObjects()
        #expect(objects.map(\.description) == [
            "table authors", "table books", "table seq", "index idx_books_author", "view v_books", "trigger trg",
        ])
        #expect(objects.allSatisfy { $0.sql != nil })
        #expect(driver.sqliteVersion.hasPrefix("3."))
        await driver.close()
    }

    @Test func backupCopiesTheDatabase() async throws {
        let driver = try open()
        _ = try await driver.execute(makeUnit(Self.parentAndChildren))
        let target = dir.path("backup.db")
        try await driver.backup(to: target)
        await driver.close()
        let copy = try SQLiteDriver.open(path: target, createIfMissing: false)
        #expect(try await copy.history().map(\.version) == ["001"])
        #expect(try await copy.integrityCheck() == ["ok"])
        await copy.close()
    }

    @Test func closedDriverThrowsDatabaseError() async throws {
        let driver = try open()
        await driver.close()
        let error = await strataError { _ = try await driver.history() }
        #expect(error?.code == .database)
    }

    @Test func manyMigrationsInOneRun() async throws {
        let driver = try open()
        try await driver.prepareHistory()
        for i in 1...200 {
            let v = String(format: "%04d", i)
            _ = try await driver.execute(makeUnit("CREATE TABLE t\(v) (id INTEGER PRIMARY KEY, name TEXT);\n"
                                                  + "INSERT INTO t\(v) (name) VALUES ('x');", version: v))
        }
        #expect(try await driver.history().count == 200)
        #expect(try await driver.log().count == 200)
        await driver.close()
    }
}
