import Testing
@testable import Strata

private func failure(_ text: String) -> StrataError? {
    do {
        _ = try SectionParser.parse(text, path: "db/m.sql")
        return nil
    } catch {
        return error
    }
}

@Suite("SectionParser")
struct SectionParserTests {
    // MARK: Flavor

    @Test("flavor is found from the first annotation line")
    func flavor() {
        #expect(SectionParser.flavor(of: "-- migrate:up\nSELECT 1;\n") == .dbmate)
        #expect(SectionParser.flavor(of: "--migrate:down\n") == .dbmate)
        #expect(SectionParser.flavor(of: "-- comment\n-- +goose up\nSELECT 1;\n") == .goose)
        #expect(SectionParser.flavor(of: "-- +goose Down\n") == .goose)
        #expect(SectionParser.flavor(of: "SELECT 1; -- migrate:up\n") == nil)
        #expect(SectionParser.flavor(of: "CREATE TABLE t (a int);\n") == nil)
        #expect(SectionParser.flavor(of: "-- +gooseUp\n") == nil)
    }

    // MARK: dbmate

    @Test("dbmate sections give up and down scripts with their first file lines")
    func dbmateSections() throws {
        let text = "-- a comment\n-- migrate:up\nCREATE TABLE t (a int);\n\n-- migrate:down\nDROP TABLE t;\n"
        let result = try SectionParser.parse(text, path: "db/m.sql")
        #expect(result.flavor == .dbmate)
        #expect(result.up == MigrationScript(path: "db/m.sql", sql: "CREATE TABLE t (a int);\n\n", firstLine: 3))
        #expect(result.down == MigrationScript(path: "db/m.sql", sql: "DROP TABLE t;\n", firstLine: 6))
        #expect(result.upTransactional && result.downTransactional)
        #expect(result.upStatements == nil && result.downStatements == nil)
        #expect(result.up.statements().map(\.location.line) == [3])
        #expect(result.down?.statements().map(\.location.line) == [6])
    }

    @Test("dbmate transaction:false applies to its own section")
    func dbmateTransaction() throws {
        let result = try SectionParser.parse(
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;", path: "m.sql")
        #expect(!result.upTransactional)
        #expect(result.downTransactional)
        #expect(result.down?.sql == "DROP INDEX i;")
    }

    @Test("a byte order mark before the first annotation is ignored")
    func byteOrderMark() throws {
        #expect(SectionParser.flavor(of: "\u{FEFF}-- +goose Up\nSELECT 1;\n") == .goose)
        let result = try SectionParser.parse("\u{FEFF}-- migrate:up\nSELECT 1;\n", path: "m.sql")
        #expect(result.up == MigrationScript(path: "m.sql", sql: "SELECT 1;\n", firstLine: 2))
    }

    @Test("a dbmate file without a down section has no down script")
    func dbmateNoDown() throws {
        let result = try SectionParser.parse("-- migrate:up\nSELECT 1;", path: "m.sql")
        #expect(result.down == nil)
        #expect(result.up.sql == "SELECT 1;")
    }

    @Test("dbmate errors: missing up, duplicates, wrong order, SQL outside sections, unknown options")
    func dbmateErrors() throws {
        let order = try #require(failure("-- migrate:down\nDROP TABLE t;\n-- migrate:up\nSELECT 1;\n"))
        #expect(order.location == SourceLocation(file: "db/m.sql", line: 1, column: 1))
        #expect(order.code == .invalidFile)
        let duplicate = try #require(failure("-- migrate:up\nSELECT 1;\n-- migrate:up\n"))
        #expect(duplicate.location?.line == 3)
        #expect(duplicate.message.contains("line 1"))
        let outside = try #require(failure("CREATE TABLE t (a int);\n-- migrate:up\n"))
        #expect(outside.location?.line == 1)
        let option = try #require(failure("-- migrate:up transaction:maybe\n"))
        #expect(option.message.contains("transaction:maybe"))
        #expect(failure("-- migrate:upp\nSELECT 1;\n")?.message == "unknown dbmate annotation '-- migrate:upp'")
        #expect(failure("-- migrate:up\n-- migrate:down\n-- migrate:down\n")?.location?.line == 3)
        #expect(failure("SELECT 1;\n")?.message == "no '-- migrate:up' or '-- +goose Up' annotation")
    }

    // MARK: goose

    @Test("goose sections, case-insensitive annotations and NO TRANSACTION anywhere")
    func gooseSections() throws {
        let text = """
            -- +goose up
            CREATE TABLE t (a int);
            -- +goose DOWN
            DROP TABLE t;
            -- +goose NO TRANSACTION

            """
        let result = try SectionParser.parse(text, path: "m.sql")
        #expect(result.flavor == .goose)
        #expect(result.up == MigrationScript(path: "m.sql", sql: "CREATE TABLE t (a int);\n", firstLine: 2))
        #expect(result.down == MigrationScript(path: "m.sql", sql: "DROP TABLE t;\n-- +goose NO TRANSACTION\n", firstLine: 4))
        #expect(!result.upTransactional && !result.downTransactional)
        #expect(result.upStatements == nil)
        #expect(!result.usesEnvironmentSubstitution)
    }

    @Test("a goose file may have no down section")
    func gooseNoDown() throws {
        let result = try SectionParser.parse("-- +goose Up\nSELECT 1;\n", path: "m.sql")
        #expect(result.down == nil)
        #expect(result.downStatements == nil)
        #expect(result.upTransactional)
    }

    @Test("a StatementBegin/End block is exactly one statement, located in the file")
    func gooseBlocks() throws {
        let text = """
            -- +goose Up
            CREATE TABLE t (a int);
            -- +goose StatementBegin
            -- leading comment, dropped
            CREATE FUNCTION f() RETURNS trigger AS $$
            BEGIN
              COMMIT;
            END;
            $$ LANGUAGE plpgsql;
            SELECT 1;
            -- +goose StatementEnd
            SELECT 2;

            -- +goose Down
            -- +goose StatementBegin
            DROP FUNCTION f();
            -- +goose StatementEnd
            """
        let result = try SectionParser.parse(text, path: "m.sql")
        let up = try #require(result.upStatements)
        #expect(up.count == 3)
        #expect(up.map(\.location) == [
            SourceLocation(file: "m.sql", line: 2, column: 1),
            SourceLocation(file: "m.sql", line: 5, column: 1),
            SourceLocation(file: "m.sql", line: 12, column: 1),
        ])
        #expect(up[1].text.hasPrefix("CREATE FUNCTION f()") && up[1].text.hasSuffix("$$ LANGUAGE plpgsql;\nSELECT 1;"))
        let upBytes = Array(result.up.sql.utf8)
        for statement in up {
            #expect(String(decoding: upBytes[statement.utf8Range], as: UTF8.self) == statement.text)
        }
        #expect(result.downStatements?.map(\.text) == ["DROP FUNCTION f();"])
        #expect(result.downStatements?.first?.location.line == 16)
    }

    @Test("goose errors carry the file line")
    func gooseErrors() throws {
        let unclosed = try #require(failure("-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n"))
        #expect(unclosed.location == SourceLocation(file: "db/m.sql", line: 2, column: 1))
        let unclosedBeforeDown = try #require(failure("-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\n"))
        #expect(unclosedBeforeDown.location?.line == 2)
        let twoUps = try #require(failure("-- +goose Up\nSELECT 1;\n-- +goose Up\n"))
        #expect(twoUps.location?.line == 3)
        let order = try #require(failure("-- +goose Down\nSELECT 1;\n-- +goose Up\n"))
        #expect(order.location?.line == 1)
        let upAfterDown = try #require(failure("-- +goose Up\n-- +goose Down\n-- +goose Up\n"))
        #expect(upAfterDown.location?.line == 3)
        let unknown = try #require(failure("-- +goose Up\n-- +goose StatementStart\n"))
        #expect(unknown.message == "unknown goose annotation '-- +goose StatementStart'")
        #expect(unknown.location?.line == 2)
        let endWithoutBegin = try #require(failure("-- +goose Up\n-- +goose StatementEnd\n"))
        #expect(endWithoutBegin.location?.line == 2)
        let noUp = try #require(failure("-- +goose NO TRANSACTION\n"))
        #expect(noUp.message == "no '-- +goose Up' annotation")
        let before = try #require(failure("SELECT 0;\n-- +goose Up\nSELECT 1;\n"))
        #expect(before.location?.line == 1)
        let semicolon = try #require(failure("-- +goose Up\nSELECT 1;\n  SELECT 2\n-- +goose Down\n"))
        #expect(semicolon.location == SourceLocation(file: "db/m.sql", line: 3, column: 3))
        let beforeBlock = try #require(failure("-- +goose Up\nSELECT 1\n-- +goose StatementBegin\nSELECT 2;\n-- +goose StatementEnd\n"))
        #expect(beforeBlock.location?.line == 2)
    }

    @Test("ENVSUB substitutes only lines under ENVSUB ON, and only when an environment is given")
    func envsub() throws {
        let text = """
            -- +goose Up
            -- +goose ENVSUB ON
            CREATE TABLE ${PREFIX}t (a text DEFAULT '$NAME ${MISSING:-none} ${EMPTY-x} \\$NAME');
            -- +goose ENVSUB OFF
            CREATE TABLE ${PREFIX}u (a int);
            """
        let raw = try SectionParser.parse(text, path: "m.sql")
        #expect(raw.usesEnvironmentSubstitution)
        #expect(raw.upStatements == nil)
        let result = try SectionParser.parse(text, path: "m.sql", environment: ["PREFIX": "x_", "NAME": "n", "EMPTY": ""])
        #expect(result.upStatements?.map(\.text) == [
            "CREATE TABLE x_t (a text DEFAULT 'n none  $NAME');",
            "CREATE TABLE ${PREFIX}u (a int);",
        ])
        #expect(result.up.sql.contains("${PREFIX}t"))
    }
}
