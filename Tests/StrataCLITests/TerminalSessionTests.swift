import Foundation
import Testing

/// `strata` in a real terminal (tmux): live progress redrawn in place, colour only where it
/// belongs, tables that fit the terminal, compiler-style errors.
@Suite("Terminal session (tmux)")
struct TerminalSessionTests {
    static let escape = "\u{1B}["

    /// Six migrations; 003 inserts enough rows to take a visible while.
    static func sixMigrations(slowRows: Int = 1_500_000) throws -> TemporaryDirectory {
        let tmp = try TemporaryDirectory()
        var files: [String: String] = [:]
        for i in 1...6 { files["00\(i)_create_t\(i).sql"] = "CREATE TABLE t\(i) (x INTEGER);\n" }
        files["003_create_t3.sql"] = """
            CREATE TABLE t3 (x INTEGER);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(slowRows))
            INSERT INTO t3 SELECT x FROM c;

            """
        try tmp.write(files, under: "migrations")
        return tmp
    }

    static var strata: String { StrataProcess.binary }

    @Test func liveProgressIsRedrawnInPlaceThenASummaryTable() throws {
        let tmp = try Self.sixMigrations()
        let term = try TmuxSession(width: 120, height: 40, in: tmp.url)
        let marker = try term.start("\(Self.strata) -d app.db up --no-backup")
        // While 003 runs: spinner, counter, the migration, a bar (six steps is a long run), times.
        let during = try term.waitForScreen { $0.contains("[3/6] Applying 003 create t3") }
        let live = try #require(during.split(separator: "\n").last { $0.contains("[3/6] Applying 003") })
        #expect(live.contains("━") && live.contains("─"), "a bar: \(live)")
        #expect(live.contains(try Regex(#"\d+\.\ds"#)), "the elapsed time: \(live)")
        #expect(during.contains("✓ applied 002 create t2"), "finished migrations stay listed: \(during)")

        let (code, screen) = try term.finish(marker)
        #expect(code == 0, "\(screen)")
        // The live line is gone: redrawn in place, then cleared.
        #expect(!screen.contains("Applying"), "\(screen)")
        for i in 1...6 { #expect(screen.contains("✓ applied 00\(i) create t\(i)"), "\(screen)") }
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("VERSION  DESCRIPTION") }, "\(screen)")
        #expect(lines[header].contains("TIME") && lines[header].hasSuffix("RESULT"), "\(lines[header])")
        for i in 1...6 { #expect(lines[header + i].hasPrefix("00\(i)") && lines[header + i].hasSuffix("applied"), "\(lines[header + i])") }
        #expect(screen.contains("Applied 6 migrations"), "\(screen)")
        #expect(lines.filter { !$0.hasPrefix("$ ") }.allSatisfy { $0.count <= 120 }, "\(screen)")
    }

    @Test func colourOnATerminalOnly() throws {
        let tmp = try Self.sixMigrations(slowRows: 10)
        let term = try TmuxSession(width: 120, height: 40, in: tmp.url)
        let applied = try term.run("\(Self.strata) -d app.db up --no-backup --target 002")
        #expect(applied.exitCode == 0, "\(applied.screen)")
        try term.clear()

        let coloured = try term.run("\(Self.strata) -d app.db status", escapes: true)
        #expect(coloured.exitCode == 0)
        #expect(coloured.screen.contains(Self.escape), "a terminal gets colour: \(coloured.screen)")
        try term.clear()

        for command in ["NO_COLOR=1 \(Self.strata) -d app.db status", "\(Self.strata) -d app.db status --no-color",
                        "\(Self.strata) -d app.db status | cat", "TERM=dumb \(Self.strata) -d app.db status"] {
            let plain = try term.run(command, escapes: true)
            #expect(plain.exitCode == 0, "\(command): \(plain.screen)")
            #expect(plain.screen.contains("applied") && plain.screen.contains("pending"), "\(command): \(plain.screen)")
            #expect(!plain.screen.contains(Self.escape), "no colour for `\(command)`: \(plain.screen)")
            try term.clear()
        }
    }

    @Test func ciAndPipesGetPlainLinesNeverRedrawn() throws {
        let tmp = try Self.sixMigrations(slowRows: 10)
        let term = try TmuxSession(width: 120, height: 40, in: tmp.url)
        let ci = try term.run("CI=true \(Self.strata) -d app.db up --no-backup --target 002", escapes: true)
        #expect(ci.exitCode == 0, "\(ci.screen)")
        #expect(ci.screen.contains("[1/2] applied 001 create t1") && ci.screen.contains("[2/2] applied 002 create t2"), "\(ci.screen)")
        #expect(!ci.screen.contains("✓") && !ci.screen.contains("Applying"), "\(ci.screen)")
        try term.clear()
        // stderr and stdout to a pipe: plain lines, no escape codes anywhere.
        let piped = try term.run("\(Self.strata) -d app.db up --no-backup 2>&1 | cat -v")
        #expect(piped.exitCode == 0, "\(piped.screen)")
        #expect(piped.screen.contains("[1/4] applied 003 create t3"), "\(piped.screen)")
        #expect(!piped.screen.contains("^["), "escape codes in piped output: \(piped.screen)")
    }

    @Test func tablesFitTheTerminalWidth() throws {
        let tmp = try TemporaryDirectory()
        let long = "add the customer orders table with its many columns and an index on the customer"
        try tmp.write(["001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
                       "002_orders.sql": "-- Description: \(long)\nCREATE TABLE orders (id INTEGER PRIMARY KEY);\n"],
                      under: "migrations")
        let narrow = try TmuxSession(width: 72, height: 40, in: tmp.url)
        #expect(try narrow.run("\(Self.strata) -d app.db up --no-backup --target 001").exitCode == 0)
        try narrow.clear()
        for command in ["status", "list"] {
            let (code, screen) = try narrow.run("\(Self.strata) -d app.db \(command)")
            #expect(code == 0, "\(screen)")
            let lines = screen.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("$ ") }
            #expect(lines.allSatisfy { $0.count <= 72 }, "\(command) fits 72 columns:\n\(screen)")
            let row = try #require(lines.first { $0.hasPrefix("002") }, "\(screen)")
            #expect(row.contains("add the customer") && row.contains("…") && !row.contains("on the customer"), "\(row)")
            #expect(row.contains("pending"), "the state column survives: \(row)")
            try narrow.clear()
        }
        let wide = try TmuxSession(width: 200, height: 40, in: tmp.url)
        let (_, screen) = try wide.run("\(Self.strata) -d app.db status")
        #expect(screen.contains(long), "a wide terminal shows the whole description: \(screen)")
    }

    @Test func errorsReadLikeACompilerInColour() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_ok.sql": "CREATE TABLE a (id INTEGER);\n",
                       "002_bad.sql": "CREATE TABLE b (id INTEGER);\nINSERT INTO missing_table VALUES (1);\n",
                       "003_later.sql": "CREATE TABLE c (id INTEGER);\n"], under: "migrations")
        let term = try TmuxSession(width: 120, height: 40, in: tmp.url)
        let (code, screen) = try term.run("\(Self.strata) -d app.db up --no-backup", escapes: true)
        #expect(code == 1, "\(screen)")
        let plain = try term.capture(escapes: false)
        #expect(plain.contains("migrations/002_bad.sql:2:1: error: no such table: missing_table"), "\(plain)")
        #expect(plain.contains("    INSERT INTO missing_table VALUES (1);\n    ^"), "the caret under the column: \(plain)")
        #expect(plain.contains("hint:"), "\(plain)")
        #expect(plain.contains("✗ failed to apply 002"), "\(plain)")
        let rows = plain.split(separator: "\n").map(String.init)
        #expect(rows.contains { $0.hasPrefix("002") && $0.hasSuffix("failed") }, "\(plain)")
        #expect(rows.contains { $0.hasPrefix("003") && $0.hasSuffix("not run") }, "\(plain)")
        // Colour: bold red `error:`, green caret, cyan `hint:`.
        #expect(screen.contains("error:") && screen.contains("31m"), "\(screen)")
        #expect(screen.contains("32m^") || screen.contains("32m\u{1B}[1m^") || screen.range(of: #"32m[^\n]*\^"#, options: .regularExpression) != nil, "\(screen)")
        #expect(screen.range(of: #"36m[^\n]*hint:"#, options: .regularExpression) != nil, "\(screen)")
    }
}
