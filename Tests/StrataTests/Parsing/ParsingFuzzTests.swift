import Testing
@testable import Strata

/// A small deterministic random number generator, so failures can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fragments that exercise every branch of the lexer, in random order.
private let fragments = [
    "'", "''", "\"", "`", "[", "]", "$$", "$a$", "$1", "E'", "e'", "\\", "\\'", "--", "/*", "*/", "\n", "\r\n",
    ";", " ", "\t", "(", ")", "é", "😀", "x", "SELECT 1", "BEGIN", "END", "CASE", "CREATE",
    "TRIGGER", "TEMP", "OR REPLACE", "FUNCTION", "ATOMIC", "RULE", "-- strata:no-transaction\n",
    "-- +goose Up\n", "-- +goose Down\n", "-- +goose StatementBegin\n", "-- +goose StatementEnd\n",
    "-- +goose ENVSUB ON\n", "${V}", "-- migrate:up\n", "-- migrate:down\n",
]

@Suite("Parsing fuzz")
struct ParsingFuzzTests {
    @Test("random scripts never crash, rejoin from their segments and locate statements like MigrationScript")
    func randomScripts() {
        var random = SplitMix64(state: 20_241_227)
        for round in 0..<3_000 {
            let count = Int.random(in: 0...24, using: &random)
            // A byte order mark only counts as such at the very start.
            let bom = Int.random(in: 0..<10, using: &random) == 0 ? "\u{FEFF}" : ""
            let sql = bom + (0..<count).map { _ in fragments.randomElement(using: &random)! }.joined()
            let bytes = Array(sql.utf8)
            let script = MigrationScript(path: "", sql: sql)
            for dialect in [SQLDialect.generic, .sqlite, .postgres] {
                let segments = SQLSplitter.segments(sql, dialect: dialect)
                let statements = SQLSplitter.split(sql, dialect: dialect)
                let rejoined = segments.map { String(decoding: bytes[$0], as: UTF8.self) }.joined()
                guard rejoined == sql, statements.count == segments.count || statements.count + 1 == segments.count else {
                    Issue.record("round \(round), \(dialect): segments do not match for \(String(reflecting: sql))")
                    return
                }
                for statement in statements {
                    let location = script.location(ofUTF8Offset: statement.utf8Range.lowerBound)
                    #expect(statement.location == location, "round \(round): \(String(reflecting: sql))")
                    #expect(String(decoding: bytes[statement.utf8Range], as: UTF8.self) == statement.text)
                    #expect(!statement.text.isEmpty && SQLSplitter.trimmingTrivia(statement.text, dialect: dialect) == statement.text,
                            "round \(round), \(dialect): \(String(reflecting: statement.text)) in \(String(reflecting: sql))")
                    _ = statement.firstKeywords(3)
                }
            }
            _ = try? ScriptDirectives.parse(script)
            _ = try? SectionParser.parse(sql, path: "f.sql", environment: ["V": "v"])
        }
    }
}
