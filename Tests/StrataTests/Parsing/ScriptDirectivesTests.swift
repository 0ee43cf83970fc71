import Testing
@testable import Strata

private func directives(_ sql: String) throws(StrataError) -> ScriptDirectives {
    try ScriptDirectives.parse(MigrationScript(path: "m/001_x.sql", sql: sql, firstLine: 1))
}

private func failure(_ sql: String, firstLine: Int = 1) -> StrataError? {
    do {
        _ = try ScriptDirectives.parse(MigrationScript(path: "m/001_x.sql", sql: sql, firstLine: firstLine))
        return nil
    } catch {
        return error
    }
}

@Suite("ScriptDirectives")
struct ScriptDirectivesTests {
    @Test("a script without directives runs in a transaction with foreign keys checked before commit")
    func defaults() throws {
        let result = try directives("-- just a comment\nCREATE TABLE t (a int);")
        #expect(result == ScriptDirectives())
        #expect(result.transactional)
        #expect(result.foreignKeys == .checkBeforeCommit)
        #expect(result.lockTimeout == nil && result.statementTimeout == nil)
    }

    @Test("no-transaction, foreign-keys and timeouts are read from the leading comments")
    func leadingDirectives() throws {
        let result = try directives("""
            -- Migration: add index
            --strata:no-transaction
            -- strata:foreign-keys immediate
            /* a block comment */
            -- strata:lock-timeout 5s
            -- strata:statement-timeout 30000
            CREATE INDEX CONCURRENTLY i ON t (a);
            """)
        #expect(!result.transactional)
        #expect(result.foreignKeys == .immediate)
        #expect(result.lockTimeout == "5s")
        #expect(result.statementTimeout == "30000")
    }

    @Test("foreign-keys check is the default value and CRLF lines are accepted")
    func foreignKeysCheck() throws {
        #expect(try directives("-- strata:foreign-keys check\r\nSELECT 1;").foreignKeys == .checkBeforeCommit)
    }

    @Test("lint-ignore is allowed anywhere and ignored")
    func lintIgnore() throws {
        let result = try directives("-- strata:lint-ignore PG001\nSELECT 1;\n-- strata:lint-ignore SQ002\nDROP TABLE t;")
        #expect(result == ScriptDirectives())
    }

    @Test("an unknown directive is an error located at the directive, with the known ones as hint")
    func unknownDirective() throws {
        let error = try #require(failure("\n-- first\n  -- strata:no-transactions\nSELECT 1;", firstLine: 4))
        #expect(error.code == .invalidFile)
        #expect(error.message == "unknown directive 'strata:no-transactions'")
        #expect(error.location == SourceLocation(file: "m/001_x.sql", line: 6, column: 6))
        #expect(error.hint?.hasPrefix("known directives: strata:no-transaction, strata:foreign-keys immediate|check, strata:lint-ignore CODE") == true)
    }

    @Test("a malformed argument is an error located at the argument")
    func malformedArgument() throws {
        let error = try #require(failure("-- strata:foreign-keys sideways\nSELECT 1;"))
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("'sideways'"))
        #expect(error.location == SourceLocation(file: "m/001_x.sql", line: 1, column: 24))
        #expect(failure("-- strata:foreign-keys\n") != nil)
        #expect(failure("-- strata:no-transaction please\n") != nil)
        #expect(failure("-- strata:lock-timeout soon\n") != nil)
        #expect(failure("-- strata:statement-timeout 5 s\n") != nil)
        #expect(failure("-- strata: no-transaction\n")?.message == "unknown directive 'strata:'")
    }

    @Test("a directive after the first statement is an error, not silently ignored")
    func lateDirective() throws {
        let error = try #require(failure("SELECT 1;\n-- strata:no-transaction\nSELECT 2;"))
        #expect(error.location?.line == 2)
        #expect(error.message.contains("before the first statement"))
    }

    @Test("directive-like text inside strings and block comments is not a directive")
    func notDirectives() throws {
        let result = try directives("/* -- strata:bogus */\nSELECT '-- strata:no-transaction';")
        #expect(result.transactional)
    }
}
