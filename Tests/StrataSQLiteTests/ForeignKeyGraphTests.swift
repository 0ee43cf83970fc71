import Foundation
import GRDB
import Strata
import StrataSQLite
import Testing

/// The driver keeps the schema's foreign keys between migrations instead of scanning every table
/// per migration. These runs change the schema in every way the kept graph must follow and then
/// break a foreign key: each violation must still be caught.
@Suite("SQLite foreign-key graph kept between migrations")
struct ForeignKeyGraphTests {
    let dir = TempDir()

    static let setup = """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id), title TEXT);
        INSERT INTO authors (id, name) VALUES (1, 'Ann');
        INSERT INTO books (id, author_id, title) VALUES (1, 1, 'a');
        """

    /// Runs `setup` as 001, then each script as its own migration, then `between`, then `breaking`,
    /// which must fail with a foreign-key violation naming `child`. (The violation must be the only
    /// one: a first check that finds another one makes the driver look again with a fresh graph.)
    func expectCaught(after scripts: [String], breaking: String, child: String,
                      between: ((SQLiteDriver) async throws -> Void)? = nil) async throws {
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        _ = try await driver.execute(makeUnit(Self.setup, version: "001"))
        for (i, script) in scripts.enumerated() {
            _ = try await driver.execute(makeUnit(script, version: String(format: "%03d", i + 2)))
        }
        try await between?(driver)
        let error = await strataError {
            _ = try await driver.execute(makeUnit(breaking, version: "099"))
        }
        #expect(error?.code == .verificationFailed)
        #expect(error?.details.contains { $0.hasPrefix("\(child) rowid") } == true, "details: \(error?.details ?? [])")
        #expect(try await driver.history().map(\.version).contains("099") == false)
        // The next migration still runs, and still catches the same violation.
        let again = await strataError { _ = try await driver.execute(makeUnit(breaking, version: "100")) }
        #expect(again?.code == .verificationFailed)
        await driver.close()
    }

    @Test func childCreatedInAnEarlierMigration() async throws {
        try await expectCaught(after: ["CREATE TABLE unrelated (id INTEGER PRIMARY KEY);"],
                               breaking: "INSERT INTO books (id, author_id) VALUES (2, 42);", child: "books")
    }

    @Test func parentRowDeletedInALaterMigration() async throws {
        try await expectCaught(after: ["CREATE TABLE unrelated (id INTEGER PRIMARY KEY);"],
                               breaking: "DELETE FROM authors WHERE id = 1;", child: "books")
    }

    @Test func childRenamedInAnEarlierMigration() async throws {
        try await expectCaught(after: ["ALTER TABLE books RENAME TO volumes;"],
                               breaking: "DELETE FROM authors WHERE id = 1;", child: "volumes")
    }

    @Test func parentRenamedInAnEarlierMigration() async throws {
        try await expectCaught(after: ["ALTER TABLE authors RENAME TO writers;"],
                               breaking: "DELETE FROM writers WHERE id = 1;", child: "books")
    }

    @Test func foreignKeyAddedByAddColumn() async throws {
        try await expectCaught(after: ["ALTER TABLE authors ADD COLUMN mentor_id INTEGER REFERENCES authors(id);"],
                               breaking: "UPDATE authors SET mentor_id = 77 WHERE id = 1;", child: "authors")
    }

    @Test func childRebuiltUnderItsOwnName() async throws {
        let rebuild = """
            CREATE TABLE books_new (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id), title TEXT, isbn TEXT);
            INSERT INTO books_new (id, author_id, title) SELECT id, author_id, title FROM books;
            DROP TABLE books;
            ALTER TABLE books_new RENAME TO books;
            """
        try await expectCaught(after: [rebuild],
                               breaking: "INSERT INTO books (id, author_id) VALUES (2, 42);", child: "books")
    }

    @Test func childCreatedOutsideAMigration() async throws {
        try await expectCaught(after: ["CREATE TABLE unrelated (id INTEGER PRIMARY KEY);"],
                               breaking: "DELETE FROM authors WHERE id = 2;", child: "reviews") { driver in
            try await driver.executeRaw("""
                CREATE TABLE reviews (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id));
                INSERT INTO authors (id, name) VALUES (2, 'Bob');
                INSERT INTO reviews (id, author_id) VALUES (1, 2);
                """)
        }
    }

    @Test func childCreatedByAnotherConnection() async throws {
        try await expectCaught(after: ["CREATE TABLE unrelated (id INTEGER PRIMARY KEY);"],
                               breaking: "DELETE FROM authors WHERE id = 2;", child: "reviews") { driver in
            let other = try DatabaseQueue(path: driver.path)
            try await other.write { db in
                try db.execute(sql: "CREATE TABLE reviews (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id))")
                try db.execute(sql: "INSERT INTO authors (id, name) VALUES (2, 'Bob')")
                try db.execute(sql: "INSERT INTO reviews (id, author_id) VALUES (1, 2)")
            }
            try other.close()
        }
    }

    @Test func childCreatedByAFailedMigrationIsForgotten() async throws {
        let driver = try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        _ = try await driver.execute(makeUnit(Self.setup, version: "001"))
        let failing = """
            CREATE TABLE notes (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id));
            INSERT INTO notes (id, book_id) VALUES (1, 99);
            """
        #expect(await strataError { _ = try await driver.execute(makeUnit(failing, version: "002")) }?.code == .verificationFailed)
        // `notes` was rolled back: a table of that name without foreign keys must not be checked as a child.
        _ = try await driver.execute(makeUnit("CREATE TABLE notes (id INTEGER PRIMARY KEY, book_id INTEGER);\n"
                                              + "INSERT INTO notes (id, book_id) VALUES (1, 99);", version: "003"))
        #expect(try await driver.history().map(\.version) == ["001", "003"])
        await driver.close()
    }
}
