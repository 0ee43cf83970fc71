import Foundation
import Testing
@testable import Strata

/// Tests against the real migration sets in `../shared/corpora` (next to the repository root).
///
/// goose's own splitter fixtures (`goose/internal/sqlparser/testdata`) give, for each input, the
/// statements goose produces. Strata's statements are compared with them after this
/// normalisation, which removes only differences of presentation:
///
/// 1. Both sides are trimmed of whitespace and comments at their start and end
///    (``SQLSplitter/trimmingTrivia(_:dialect:)``). goose keeps a comment that follows the `;` on
///    the same line and the comments after the last statement of a `StatementBegin` block; Strata
///    ends a statement at its `;` (or last significant character) and treats those comments as
///    trivia. goose drops the comments before a statement; so does Strata.
/// 2. goose ends a statement only at the end of a line, so `SELECT 3; SELECT 3;` on one line is
///    one goose statement. Strata's statements are therefore grouped: a statement that begins on
///    the line where the previous one ended joins it (with the text between them).
///
/// The goose environment for `envsub` inputs is the one goose's tests set.
@Suite("goose and corpus files")
struct GooseCorpusTests {
    /// `../shared/corpora` relative to the repository root (the directory holding Package.swift
    /// above this file); `nil` when it cannot be found.
    static let corpora: URL? = {
        var directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let corpora = directory.deletingLastPathComponent().appendingPathComponent("shared/corpora")
                return FileManager.default.fileExists(atPath: corpora.path) ? corpora : nil
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    static let missingMessage: Comment = "the shared corpora directory was not found: expected ../shared/corpora next to the repository root that holds this test file (\(#filePath))"

    static let gooseEnvironment = [
        "GOOSE_ENV_REGION": "us_east_",
        "GOOSE_ENV_NAME": "foo",
        "GOOSE_ENV_SET_BUT_EMPTY_VALUE": "",
    ]

    static func testdata() throws -> URL {
        let corpora = try #require(Self.corpora, Self.missingMessage)
        let directory = corpora.appendingPathComponent("goose/internal/sqlparser/testdata")
        try #require(FileManager.default.fileExists(atPath: directory.path), "missing \(directory.path)")
        return directory
    }

    static func subdirectories(_ url: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().map { url.appendingPathComponent($0) }
            .filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
    }

    static func read(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    /// goose's expected statements for one direction, from `NN.<direction>.golden.sql`, in order.
    static func goldens(_ directory: URL, _ direction: String) throws -> [String]? {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".\(direction).golden.sql") }.sorted()
        if names.isEmpty { return nil }
        return try names.map { try read(directory.appendingPathComponent($0)) }
    }

    /// Strata's statements of a section, grouped and normalised as described above.
    static func normalised(_ script: MigrationScript, _ explicit: [SQLStatement]?) -> [String] {
        let statements = explicit ?? script.statements()
        let bytes = Array(script.sql.utf8)
        func endLine(_ statement: SQLStatement) -> Int {
            script.firstLine + bytes[..<statement.utf8Range.upperBound].count(where: { $0 == 0x0A })
        }
        var groups: [(text: String, endLine: Int, end: Int)] = []
        for statement in statements {
            if let last = groups.last, last.endLine == statement.location.line {
                let gap = String(decoding: bytes[last.end..<statement.utf8Range.lowerBound], as: UTF8.self)
                groups[groups.count - 1] = (last.text + gap + statement.text, endLine(statement), statement.utf8Range.upperBound)
            } else {
                groups.append((statement.text, endLine(statement), statement.utf8Range.upperBound))
            }
        }
        return groups.map { SQLSplitter.trimmingTrivia($0.text) }
    }

    /// goose's statements, normalised as described above.
    static func normalisedGoldens(_ statements: [String]) -> [String] {
        statements.map { SQLSplitter.trimmingTrivia($0) }.filter { $0 != "" && $0 != ";" }
    }

    static func compare(_ directory: URL, environment: [String: String]?) throws {
        let name = directory.lastPathComponent
        let input = try read(directory.appendingPathComponent("input.sql"))
        let result = try SectionParser.parse(input, path: directory.appendingPathComponent("input.sql").path, environment: environment)
        #expect(result.flavor == .goose)
        let expectedUp = try #require(try goldens(directory, "up"), "\(name): no up goldens")
        #expect(normalised(result.up, result.upStatements) == normalisedGoldens(expectedUp), "\(name): up statements")
        if let expectedDown = try goldens(directory, "down") {
            let down = try #require(result.down, "\(name): no down section")
            #expect(normalised(down, result.downStatements) == normalisedGoldens(expectedDown), "\(name): down statements")
        }
    }

    @Test("the shared corpora directory is found from this file")
    func corporaFound() throws {
        let corpora = try #require(Self.corpora, Self.missingMessage)
        for set in ["goose", "atuin", "golang-migrate"] {
            #expect(FileManager.default.fileExists(atPath: corpora.appendingPathComponent(set).path), "missing corpus \(set)")
        }
    }

    @Test("goose valid-up fixtures give goose's statements")
    func validUp() throws {
        let cases = try Self.subdirectories(try Self.testdata().appendingPathComponent("valid-up"))
        #expect(cases.count >= 9)
        for directory in cases {
            try Self.compare(directory, environment: nil)
        }
    }

    @Test("goose envsub fixtures give goose's statements with goose's test environment")
    func envsub() throws {
        let cases = try Self.subdirectories(try Self.testdata().appendingPathComponent("envsub"))
        #expect(cases.count >= 3)
        for directory in cases {
            try Self.compare(directory, environment: Self.gooseEnvironment)
        }
    }

    @Test("goose valid-txn fixtures parse with their transaction modes")
    func validTxn() throws {
        let directory = try Self.testdata().appendingPathComponent("valid-txn")
        let expectations: [(file: String, transactional: Bool, upCount: Int, downCount: Int)] = [
            ("00001_create_users_table.sql", true, 2, 1),
            ("00002_rename_root.sql", true, 1, 1),
            ("00003_no_transaction.sql", false, 1, 1),
        ]
        for expectation in expectations {
            let text = try Self.read(directory.appendingPathComponent(expectation.file))
            let result = try SectionParser.parse(text, path: expectation.file)
            #expect(result.upTransactional == expectation.transactional, "\(expectation.file)")
            #expect(result.downTransactional == expectation.transactional, "\(expectation.file)")
            #expect((result.upStatements ?? result.up.statements()).count == expectation.upCount, "\(expectation.file)")
            let down = try #require(result.down)
            #expect((result.downStatements ?? down.statements()).count == expectation.downCount, "\(expectation.file)")
        }
    }

    @Test("goose invalid fixtures are rejected with a located invalid-file error")
    func invalid() throws {
        let directory = try Self.testdata().appendingPathComponent("invalid/up")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count >= 4)
        for file in files {
            let text = try Self.read(directory.appendingPathComponent(file))
            do {
                _ = try SectionParser.parse(text, path: file)
                Issue.record("\(file) was accepted")
            } catch {
                #expect(error.code == .invalidFile, "\(file)")
                #expect(error.location?.file == file && (error.location?.line ?? 0) > 1, "\(file): \(error)")
            }
        }
    }

    @Test("goose migration chains parse with the transaction modes and down sections of their ORDER files")
    func gooseChains() throws {
        let goose = try #require(Self.corpora, Self.missingMessage).appendingPathComponent("goose")
        let orders = try FileManager.default.contentsOfDirectory(atPath: goose.path).filter { $0.hasPrefix("ORDER-") }.sorted()
        #expect(orders.count >= 7)
        var checked = 0
        for order in orders {
            for line in try Self.read(goose.appendingPathComponent(order)).split(separator: "\n") where !line.hasPrefix("#") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 3 else { continue }
                let path = String(fields[1].prefix { $0 != "#" })
                let text = try Self.read(goose.appendingPathComponent(path))
                let result = try SectionParser.parse(text, path: path)
                let noTransaction = fields.count > 3 && fields[3].contains("no-transaction")
                #expect(result.upTransactional == !noTransaction, "\(order): \(path)")
                if fields[2] == "-" {
                    #expect(result.down.map { $0.isEffectivelyEmpty } ?? true, "\(order): \(path) should have no down")
                } else {
                    #expect(result.down.map { !$0.isEffectivelyEmpty } ?? false, "\(order): \(path) should have a down")
                }
                #expect(!(result.upStatements ?? result.up.statements()).isEmpty || result.up.isEffectivelyEmpty, "\(path)")
                checked += 1
            }
        }
        #expect(checked >= 20)
    }

    @Test("the splitter never loses a byte of any corpus file, in every dialect")
    func everyCorpusFile() throws {
        let corpora = try #require(Self.corpora, Self.missingMessage)
        let enumerator = try #require(FileManager.default.enumerator(at: corpora, includingPropertiesForKeys: nil))
        var files = 0
        for case let url as URL in enumerator where url.pathExtension == "sql" {
            let text = try Self.read(url)
            let bytes = Array(text.utf8)
            for dialect in [SQLDialect.generic, .sqlite, .postgres] {
                let segments = SQLSplitter.segments(text, dialect: dialect)
                let statements = SQLSplitter.split(text, dialect: dialect)
                #expect(segments.map { String(decoding: bytes[$0], as: UTF8.self) }.joined() == text, "\(url.path) \(dialect)")
                #expect(zip(segments, segments.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(url.path)")
                #expect(statements.count == segments.count || statements.count == segments.count - 1, "\(url.path)")
                for (statement, segment) in zip(statements, segments) {
                    #expect(segment.contains(statement.utf8Range.lowerBound) && statement.utf8Range.upperBound == segment.upperBound)
                    #expect(String(decoding: bytes[statement.utf8Range], as: UTF8.self) == statement.text)
                }
            }
            if SectionParser.flavor(of: text) != nil, !url.path.contains("/invalid/") {
                #expect(throws: Never.self, "\(url.path)") { try SectionParser.parse(text, path: url.path) }
            }
            files += 1
        }
        #expect(files >= 100, "only \(files) SQL files found under \(corpora.path)")
    }
}
