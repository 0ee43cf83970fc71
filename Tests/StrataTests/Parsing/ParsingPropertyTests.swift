import Testing
@testable import Strata

/// Properties of the version parser and file-name classifier, and of the statement splitter on
/// inputs the fragment fuzzer (`ParsingFuzzTests`) does not produce: raw bytes, any Unicode
/// scalar, long unterminated quotes and comments. Deterministic (seeded) so failures replay.
@Suite("Parsing properties")
struct ParsingPropertyTests {
    /// A seeded generator (a 64-bit linear congruential step, then a xorshift of the high bits).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    /// A reference for version order: components as digit strings without leading zeros,
    /// trailing zero components dropped, compared by length then text.
    static func reference(_ text: String) -> [String] {
        var parts = text.split(whereSeparator: { "._-".contains($0) }).map { part -> String in
            let trimmed = part.drop(while: { $0 == "0" })
            return trimmed.isEmpty ? "0" : String(trimmed)
        }
        while parts.count > 1 && parts.last == "0" { parts.removeLast() }
        return parts
    }

    static func referenceLess(_ a: [String], _ b: [String]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x.count != y.count ? x.count < y.count : x < y }
        return a.count < b.count
    }

    @Test("versions parse exactly the documented grammar and order like the reference")
    func versions() {
        var random = Generator(state: 8_080)
        let alphabet = Array("0000123456789._-a x") + ["٣", "é", "\u{0}"]
        var valid: [MigrationVersion] = []
        for round in 0..<20_000 {
            let length = Int.random(in: 0...14, using: &random)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            let parsed = MigrationVersion(text)
            let grammar = text.range(of: #"^[0-9]+([._-][0-9]+)*$"#, options: .regularExpression) != nil
            let fits = text.split(whereSeparator: { "._-".contains($0) }).allSatisfy { UInt64($0) != nil }
            #expect((parsed != nil) == (grammar && fits), "round \(round): \(String(reflecting: text))")
            if let parsed {
                #expect(parsed.text == text)
                #expect(parsed.components == text.split(whereSeparator: { "._-".contains($0) }).map { UInt64($0)! })
                #expect(MigrationVersion(parsed.description) == parsed)
                #expect(MigrationVersion("000" + text) == parsed, "leading zeros do not count")
                #expect(MigrationVersion(text + ".0.0") == parsed, "trailing zero components do not count")
                valid.append(parsed)
            }
        }
        // Huge components are not versions, and never trap.
        #expect(MigrationVersion("18446744073709551615") != nil)
        #expect(MigrationVersion("18446744073709551616") == nil)
        #expect(MigrationVersion(String(repeating: "9", count: 1_000)) == nil)
        #expect(valid.count > 1_000)
        for _ in 0..<20_000 {
            let a = valid.randomElement(using: &random)!, b = valid.randomElement(using: &random)!
            let ra = Self.reference(a.text), rb = Self.reference(b.text)
            #expect((a < b) == Self.referenceLess(ra, rb), "\(a) < \(b)")
            #expect((a == b) == (ra == rb), "\(a) == \(b)")
            #expect([a < b, a == b, b < a].filter { $0 }.count == 1, "exactly one order for \(a), \(b)")
            if a == b { #expect(a.hashValue == b.hashValue) }
        }
        let sorted = valid.shuffled(using: &random).sorted()
        for (x, y) in zip(sorted, sorted.dropFirst()) { #expect(!(y < x), "sorted order: \(x), \(y)") }
    }

    @Test("file names of random characters are classified without trapping, versions included")
    func fileNames() {
        var random = Generator(state: 4_242)
        let alphabet = Array("0123456789_-.VURvur__sqlupdownverifyrollback ") + ["é", "/", "\u{FEFF}"]
        let endings = ["", ".sql", ".up.sql", ".down.sql", "_rollback.sql", ".verify.sql"]
        var versioned = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &random)
            let name = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
                + endings.randomElement(using: &random)!
            for kind in [MigrationFileName.classifyFile(name), MigrationFileName.classifyDirectory(name)] {
                switch kind {
                case .plainUp(let version, _), .suffixed(let version, _, _), .timestamped(let version, _, _),
                     .flyway(let version, _, _), .directory(let version, _, _):
                    versioned += 1
                    #expect(MigrationVersion(version) != nil, "\(String(reflecting: name)) gave version \(String(reflecting: version))")
                case .repeatable, .violation, .ignored:
                    break
                }
            }
        }
        #expect(versioned > 100, "the generator must reach the versioned cases")
    }

    /// Random text of a kind: raw bytes (decoded with replacement), any scalar, or SQL-ish
    /// pieces with long unterminated quotes and comments.
    static func randomText(_ kind: Int, _ random: inout Generator) -> String {
        switch kind {
        case 0:
            let bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return String(decoding: bytes, as: UTF8.self)
        case 1:
            let scalars = (0..<Int.random(in: 0...200, using: &random)).compactMap { _ -> Unicode.Scalar? in
                let pick = Int.random(in: 0..<4, using: &random)
                let value: UInt32 = pick == 0 ? UInt32.random(in: 0...0x7F, using: &random)
                    : pick == 1 ? UInt32.random(in: 0x80...0xFFFF, using: &random)
                    : pick == 2 ? UInt32.random(in: 0x1_0000...0x10_FFFF, using: &random)
                    : [0x0A, 0x0D, 0x3B, 0x27, 0x22, 0x2D, 0x2F, 0x2A, 0x24, 0x2028, 0x200D, 0x301].randomElement(using: &random)!
                return Unicode.Scalar(value)
            }
            return String(String.UnicodeScalarView(scalars))
        default:
            let pieces = ["SELECT 1;", "'", "\"", "--", "/*", "$tag$", "$$", "\r", "\n", ";", "BEGIN", "END;", "E'\\'", "[", "`"]
            let count = Int.random(in: 0...40, using: &random)
            let filler = String(repeating: "x ", count: Int.random(in: 0...2_000, using: &random))
            return (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined() + filler
        }
    }

    @Test("splitting never traps and its segments keep every byte, on any input")
    func splitterKeepsEveryByte() {
        var random = Generator(state: 2_718)
        for round in 0..<3_000 {
            let sql = Self.randomText(round % 3, &random)
            let bytes = Array(sql.utf8)
            for dialect in [SQLDialect.generic, .sqlite, .postgres] {
                let segments = SQLSplitter.segments(sql, dialect: dialect)
                var joined: [UInt8] = []
                var expectedStart = 0
                for segment in segments {
                    #expect(segment.lowerBound == expectedStart, "round \(round): segments are contiguous")
                    expectedStart = segment.upperBound
                    joined += bytes[segment]
                }
                #expect(joined == bytes, "round \(round), \(dialect): \(String(reflecting: sql))")
                for statement in SQLSplitter.split(sql, dialect: dialect) {
                    #expect(Array(statement.text.utf8) == Array(bytes[statement.utf8Range]), "round \(round)")
                }
            }
            _ = try? SectionParser.parse(sql, path: "f.sql", environment: [:])
            _ = try? ScriptDirectives.parse(MigrationScript(path: "f.sql", sql: sql))
        }
    }
}
