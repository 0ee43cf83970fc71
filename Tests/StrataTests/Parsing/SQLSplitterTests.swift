import Testing
@testable import Strata

/// The statements of `sql` as `"line:column text"` strings, which makes failures easy to read.
private func pieces(_ sql: String, _ dialect: SQLDialect = .generic) -> [String] {
    SQLSplitter.split(sql, dialect: dialect).map { "\($0.location.line):\($0.location.column) \($0.text)" }
}

@Suite("SQLSplitter")
struct SQLSplitterTests {
    // MARK: Basics

    @Test("splits at semicolons and locates each statement by line and column")
    func basicSplit() {
        #expect(pieces("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);  SELECT 1;\n")
            == ["1:1 CREATE TABLE t (a int);", "2:1 INSERT INTO t VALUES (1);", "2:28 SELECT 1;"])
    }

    @Test("comments before a statement are trivia, comments inside it belong to it")
    func commentsAsTrivia() {
        let sql = "-- header; with 'quote\n/* block; */\nSELECT 1 -- inside;\n  , 2; -- after\n-- lead\nSELECT 3;"
        #expect(pieces(sql) == ["3:1 SELECT 1 -- inside;\n  , 2;", "6:1 SELECT 3;"])
    }

    @Test("a last statement without semicolon ends at its last significant character")
    func lastWithoutSemicolon() {
        #expect(pieces("SELECT 1;\n\nSELECT 2  -- trailing\n/* x */\n") == ["1:1 SELECT 1;", "3:1 SELECT 2"])
    }

    @Test("whitespace, comments and empty statements are not statements")
    func emptyPieces() {
        #expect(pieces("").isEmpty)
        #expect(pieces("  \n\t-- only a comment;\n/* and; another */\n").isEmpty)
        #expect(pieces(";;\n ; -- x\n") .isEmpty)
        #expect(pieces("; SELECT 1;;") == ["1:3 SELECT 1;"])
    }

    @Test("line and column count Unicode scalars and line feeds, also with CRLF")
    func unicodeColumns() {
        #expect(pieces("SELECT 'é→😀'; SELECT 2;") == ["1:1 SELECT 'é→😀';", "1:15 SELECT 2;"])
        #expect(pieces("SELECT 1;\r\n\r\n  SELECT 2;\r\n") == ["1:1 SELECT 1;", "3:3 SELECT 2;"])
    }

    @Test("a leading UTF-8 byte order mark is whitespace, not part of the first statement")
    func byteOrderMark() {
        let statements = SQLSplitter.split("\u{FEFF}CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;")
        #expect(statements.map(\.text) == ["CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;"])
        #expect(statements.first?.utf8Range.lowerBound == 3)
        #expect(SQLSplitter.firstKeywords("\u{FEFF}vacuum", count: 1) == ["VACUUM"])
    }

    @Test("utf8Range is the statement's byte range in the script")
    func utf8Ranges() {
        let sql = "-- é\nSELECT 'ü';\n"
        let statements = SQLSplitter.split(sql)
        #expect(statements.count == 1)
        let range = statements[0].utf8Range
        #expect(range == 6..<18)
        #expect(String(decoding: Array(sql.utf8)[range], as: UTF8.self) == statements[0].text)
    }

    // MARK: Quotes

    @Test("single-quoted strings with doubled quotes hide semicolons")
    func singleQuotes() {
        #expect(pieces("INSERT INTO t VALUES ('it''s; here', ';');\nSELECT 2;")
            == ["1:1 INSERT INTO t VALUES ('it''s; here', ';');", "2:1 SELECT 2;"])
    }

    @Test("double-quoted identifiers hide semicolons and quotes")
    func doubleQuotes() {
        #expect(pieces(#"CREATE TABLE "a;b" ("it's" int, "x""y" int); SELECT 1;"#)
            == [#"1:1 CREATE TABLE "a;b" ("it's" int, "x""y" int);"#, "1:46 SELECT 1;"])
    }

    @Test("E strings use backslash escapes, but only when E starts the token")
    func escapeStrings() {
        #expect(pieces(#"SELECT E'it\'s; fine', e'\\'; SELECT 2;"#)
            == [#"1:1 SELECT E'it\'s; fine', e'\\';"#, "1:31 SELECT 2;"])
        // A backslash is an ordinary character in a standard string, also after an identifier ending in e.
        #expect(pieces(#"SELECT name'a\'; SELECT 'b\';"#) == [#"1:1 SELECT name'a\';"#, #"1:18 SELECT 'b\';"#])
        // SQLite has no E strings.
        #expect(pieces(#"SELECT E'a\'; SELECT 2;"#, .sqlite) == [#"1:1 SELECT E'a\';"#, "1:15 SELECT 2;"])
    }

    @Test("dollar quotes hide semicolons; tags must match; $1 is a parameter")
    func dollarQuotes() {
        let sql = """
            CREATE FUNCTION f() RETURNS void AS $body$
            BEGIN
              PERFORM 1; -- $$ inside is fine; 'quote
              EXECUTE $$SELECT 1;$$;
            END;
            $body$ LANGUAGE plpgsql;
            DO $$ BEGIN RAISE NOTICE 'a;b'; END $$;
            PREPARE p AS SELECT $1, $2;
            SELECT 'x';
            """
        let result = SQLSplitter.split(sql)
        #expect(result.count == 4)
        #expect(result.map(\.location.line) == [1, 7, 8, 9])
        #expect(result[0].text.hasSuffix("$body$ LANGUAGE plpgsql;"))
        #expect(result[1].text == "DO $$ BEGIN RAISE NOTICE 'a;b'; END $$;")
        #expect(result[2].text == "PREPARE p AS SELECT $1, $2;")
    }

    @Test("an identifier containing $ does not open a dollar quote")
    func dollarInsideIdentifier() {
        #expect(pieces("SELECT a$b$ FROM t; SELECT 2;") == ["1:1 SELECT a$b$ FROM t;", "1:21 SELECT 2;"])
    }

    @Test("SQLite ignores dollar quotes")
    func sqliteNoDollarQuotes() {
        #expect(pieces("SELECT $$a; SELECT 2;", .sqlite) == ["1:1 SELECT $$a;", "1:13 SELECT 2;"])
    }

    @Test("bracket and backtick identifiers hide semicolons")
    func bracketsAndBackticks() {
        #expect(pieces("CREATE TABLE [a;b] (`c;d` int, `e``f` int); SELECT 1;", .sqlite)
            == ["1:1 CREATE TABLE [a;b] (`c;d` int, `e``f` int);", "1:45 SELECT 1;"])
        #expect(pieces("CREATE TABLE [a;b] (x int); SELECT 1;") == ["1:1 CREATE TABLE [a;b] (x int);", "1:29 SELECT 1;"])
    }

    @Test("in the generic dialect a [ with a quote before its ] is an array subscript")
    func genericBracketHeuristic() {
        #expect(pieces("SELECT m['k;]'] FROM t; SELECT 2;") == ["1:1 SELECT m['k;]'] FROM t;", "1:25 SELECT 2;"])
        #expect(pieces("SELECT a[1], b[2:3] FROM t; SELECT 2;") == ["1:1 SELECT a[1], b[2:3] FROM t;", "1:29 SELECT 2;"])
    }

    @Test("an unterminated string runs to the end of the script")
    func unterminatedString() {
        #expect(pieces("SELECT 1;\nSELECT 'oops; SELECT 2;\n") == ["1:1 SELECT 1;", "2:1 SELECT 'oops; SELECT 2;\n"])
    }

    // MARK: Comments

    @Test("line comments hide semicolons and quotes")
    func lineComments() {
        #expect(pieces("SELECT 1 -- don't; stop\n, 2;\n-- it's; done\nSELECT 3;")
            == ["1:1 SELECT 1 -- don't; stop\n, 2;", "4:1 SELECT 3;"])
    }

    @Test("block comments nest in PostgreSQL and the generic dialect")
    func nestedBlockComments() {
        let sql = "/* outer /* inner; 'x */ still comment; */ SELECT 1; /* a */ SELECT /* b; */ 2;"
        #expect(pieces(sql) == ["1:44 SELECT 1;", "1:62 SELECT /* b; */ 2;"])
        #expect(pieces(sql, .postgres) == ["1:44 SELECT 1;", "1:62 SELECT /* b; */ 2;"])
    }

    @Test("block comments do not nest in SQLite")
    func sqliteFlatBlockComments() {
        #expect(pieces("/* a /* b */ SELECT 1; */ SELECT 2;", .sqlite) == ["1:14 SELECT 1;", "1:24 */ SELECT 2;"])
    }

    // MARK: Bodies

    @Test("a SQLite trigger body stays one statement")
    func sqliteTrigger() {
        let sql = """
            CREATE TRIGGER audit AFTER INSERT ON a
            BEGIN
              INSERT INTO log VALUES (new.id, 'insert; a');
              UPDATE counters SET n = n + 1;
            END;
            SELECT 1;
            """
        let result = SQLSplitter.split(sql, dialect: .sqlite)
        #expect(result.count == 2)
        #expect(result[0].text.hasPrefix("CREATE TRIGGER audit") && result[0].text.hasSuffix("END;"))
        #expect(result[1].text == "SELECT 1;")
        #expect(result[1].location.line == 6)
    }

    @Test("CASE … END inside a trigger body does not close the trigger")
    func triggerWithCase() {
        let sql = """
            create temp trigger if not exists t1 before update on a
            when case when new.x > 0 then 1 else 0 end
            begin
              update b set y = case when new.x = 1 then 'one;' else 'other' end;
              select raise(abort, 'no; way') where new.x < 0;
            end;
            CREATE TEMPORARY TRIGGER t2 AFTER DELETE ON a BEGIN DELETE FROM b; END;
            select 2;
            """
        #expect(pieces(sql, .sqlite).map { String($0.prefix(12)) } == ["1:1 create t", "7:1 CREATE T", "8:1 select 2"])
        #expect(SQLSplitter.split(sql).count == 3)
    }

    @Test("a PostgreSQL trigger without a body ends at its semicolon")
    func postgresTrigger() {
        let sql = "CREATE OR REPLACE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f();\nSELECT 1;"
        #expect(SQLSplitter.split(sql, dialect: .postgres).count == 2)
        #expect(SQLSplitter.split(sql).count == 2)
    }

    @Test("a BEGIN ATOMIC function body stays one statement")
    func beginAtomic() {
        let sql = """
            CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;
              SELECT 1;
            END;
            CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END;
            SELECT 2;
            """
        #expect(pieces(sql, .postgres).map { String($0.prefix(10)) } == ["1:1 CREATE", "6:1 CREATE", "7:1 CREATE", "8:1 SELECT"])
    }

    @Test("plain BEGIN and COMMIT are ordinary statements")
    func transactionStatements() {
        #expect(pieces("BEGIN;\nBEGIN TRANSACTION;\nCREATE TABLE t (a int);\nCOMMIT;\nEND;")
            == ["1:1 BEGIN;", "2:1 BEGIN TRANSACTION;", "3:1 CREATE TABLE t (a int);", "4:1 COMMIT;", "5:1 END;"])
    }

    @Test("a CREATE RULE action list in parentheses stays one statement")
    func createRule() {
        let sql = "CREATE RULE r AS ON INSERT TO a DO ALSO (INSERT INTO b VALUES (1); DELETE FROM c);\nSELECT 1;"
        #expect(pieces(sql, .postgres)
            == ["1:1 CREATE RULE r AS ON INSERT TO a DO ALSO (INSERT INTO b VALUES (1); DELETE FROM c);", "2:1 SELECT 1;"])
    }

    // MARK: Segments and helpers

    @Test("segments cover the script exactly and match the statements")
    func segmentsRejoin() {
        let sql = "-- a\n;SELECT 1; /* x */\nSELECT 'é';\n-- tail\n"
        let segments = SQLSplitter.segments(sql)
        let bytes = Array(sql.utf8)
        #expect(segments == [0..<15, 15..<36, 36..<bytes.count])
        #expect(segments.map { String(decoding: bytes[$0], as: UTF8.self) }.joined() == sql)
        #expect(SQLSplitter.segments("").isEmpty)
        #expect(SQLSplitter.segments("SELECT 1") == [0..<8])
        #expect(SQLSplitter.segments("SELECT 1 -- x") == [0..<8, 8..<13])
    }

    @Test("firstKeywords reads leading words uppercased, skipping comments")
    func firstKeywords() {
        #expect(SQLSplitter.firstKeywords("/* x */ create -- y\n unique index concurrently i ON t (a);", count: 4)
            == ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"])
        #expect(SQLSplitter.firstKeywords("VACUUM;", count: 3) == ["VACUUM"])
        #expect(SQLSplitter.firstKeywords("SELECT(1)", count: 3) == ["SELECT"])
        #expect(SQLSplitter.firstKeywords("", count: 3).isEmpty)
        let statement = SQLSplitter.split("-- c\nalter table t add column a int;")[0]
        #expect(statement.firstKeywords(2) == ["ALTER", "TABLE"])
    }

    @Test("trimmingTrivia removes whitespace and comments at both ends only")
    func trimming() {
        #expect(SQLSplitter.trimmingTrivia("-- a\n  SELECT 1; -- b\n/* c */ ") == "SELECT 1;")
        #expect(SQLSplitter.trimmingTrivia("SELECT '-- not a comment'") == "SELECT '-- not a comment'")
        #expect(SQLSplitter.trimmingTrivia("-- only\n").isEmpty)
    }

    @Test("MigrationScript.statements rebases locations onto the file")
    func scriptStatements() {
        let script = MigrationScript(path: "m.sql", sql: "\n  SELECT 1;", firstLine: 10)
        let statements = script.statements()
        #expect(statements.map(\.location) == [SourceLocation(file: "m.sql", line: 11, column: 3)])
        #expect(MigrationScript(path: "m.sql", sql: "-- nothing\n;").isEffectivelyEmpty)
    }
}
