import Foundation
import Testing
@testable import Strata

/// Golden tests over `Fixtures/parsing/NN-name/`:
///
/// - `input.sql`: the script to split;
/// - `dialect.txt` (optional): `generic` (default), `sqlite` or `postgres`;
/// - `expected.txt`: every statement as a header line `=== line:column` followed by the
///   statement's exact text and a line break.
///
/// On a mismatch the test writes `actual.txt` next to the fixture in the source tree. Run with
/// `STRATA_UPDATE_GOLDEN=1` to rewrite `expected.txt` from the current output instead.
@Suite("Splitter golden fixtures")
struct SplitterGoldenTests {
    /// The fixture directory as copied into the test bundle.
    static let bundledFixtures: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?
        .appendingPathComponent("parsing")

    /// The fixture directory in the source tree, where `actual.txt` and updates are written.
    static let sourceFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/parsing")

    static let fixtureNames: [String] = {
        guard let directory = bundledFixtures,
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.first?.isNumber == true }.sorted()
    }()

    /// The rendering compared with `expected.txt`.
    static func render(_ statements: [SQLStatement]) -> String {
        statements.map { "=== \($0.location.line):\($0.location.column)\n\($0.text)\n" }.joined()
    }

    @Test("there are at least ten splitter fixtures in the test bundle")
    func fixturesExist() {
        #expect(Self.fixtureNames.count >= 10, "found \(Self.fixtureNames) in \(Self.bundledFixtures?.path ?? "no bundle directory")")
    }

    @Test("each fixture splits into exactly the statements of its expected.txt", arguments: fixtureNames)
    func fixture(_ name: String) throws {
        let bundled = try #require(Self.bundledFixtures).appendingPathComponent(name)
        let input = try String(contentsOf: bundled.appendingPathComponent("input.sql"), encoding: .utf8)
        let dialectText = (try? String(contentsOf: bundled.appendingPathComponent("dialect.txt"), encoding: .utf8)) ?? "generic"
        let dialect = try #require(SQLDialect(rawValue: dialectText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let statements = SQLSplitter.split(input, dialect: dialect)
        let actual = Self.render(statements)

        // Every statement is the exact bytes of its range, and segments rejoin to the input.
        let bytes = Array(input.utf8)
        for statement in statements {
            #expect(String(decoding: bytes[statement.utf8Range], as: UTF8.self) == statement.text)
        }
        #expect(SQLSplitter.segments(input, dialect: dialect).map { String(decoding: bytes[$0], as: UTF8.self) }.joined() == input)

        let source = Self.sourceFixtures.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["STRATA_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: source.appendingPathComponent("expected.txt"), atomically: true, encoding: .utf8)
            try? FileManager.default.removeItem(at: source.appendingPathComponent("actual.txt"))
            return
        }
        let expected = try? String(contentsOf: bundled.appendingPathComponent("expected.txt"), encoding: .utf8)
        if actual != expected {
            try actual.write(to: source.appendingPathComponent("actual.txt"), atomically: true, encoding: .utf8)
        } else {
            try? FileManager.default.removeItem(at: source.appendingPathComponent("actual.txt"))
        }
        #expect(actual == expected, "fixture \(name): wrote \(source.path)/actual.txt; compare it with expected.txt (STRATA_UPDATE_GOLDEN=1 accepts it)")
    }
}
