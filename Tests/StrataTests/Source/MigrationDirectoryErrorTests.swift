import Foundation
import Testing
@testable import Strata

@Suite("MigrationDirectory errors")
struct MigrationDirectoryErrorTests {
    @Test func missingDirectoryIsInvalidSourceWithInitHint() throws {
        let tree = try SourceFixtureTree(createRoot: false)
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.message.contains("does not exist"))
        #expect(error.hint?.contains("strata init") == true)
        #expect(error.code.exitCode == 2)
    }

    @Test func aFileInsteadOfADirectoryIsInvalidSource() throws {
        let tree = try SourceFixtureTree(["x": ""])
        let error = try #require(MigrationDirectory(path: tree.path("x")).loadError())
        #expect(error.code == .invalidSource)
        #expect(error.message.contains("is not a directory"))
    }

    @Test func mixedLayoutsAreListedByLayout() throws {
        let tree = try SourceFixtureTree([
            "001_a.sql": "SELECT 1;\n",
            "002_b.sql": "SELECT 2;\n",
            "V003__c/up.sql": "SELECT 3;\n",
            "20241227_143000_d.sql": "SELECT 4;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.message.contains("mixes layouts"))
        #expect(error.details == ["dir: V003__c/", "flat: 001_a.sql, 002_b.sql", "timestamp: 20241227_143000_d.sql"])
    }

    @Test func sectionsBesideFlatFilesAreMixed() throws {
        let tree = try SourceFixtureTree([
            "001_a.sql": "-- migrate:up\nSELECT 1;\n",
            "002_b.sql": "SELECT 2;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.details == ["flat: 002_b.sql", "sections: 001_a.sql"])
    }

    @Test func namingViolationsAreAllListed() throws {
        let tree = try SourceFixtureTree([
            "V001__initial/up.sql": "SELECT 1;\n",
            "V002__second/up.sql": "SELECT 2;\n",
            "V3__test/up.sql": "SELECT 3;\n",
            "v004__lower/up.sql": "SELECT 4;\n",
            "V005_single/up.sql": "SELECT 5;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.message.contains("3 names"))
        #expect(error.details.count == 3)
        #expect(error.details.contains { $0.hasPrefix("V3__test/: version 3 is not zero-padded to 3 digits") })
        #expect(error.details.contains { $0.hasPrefix("v004__lower/: the prefix must be an uppercase V") })
        #expect(error.details.contains { $0.hasPrefix("V005_single/: the version and the name must be separated by a double underscore") })
    }

    @Test func fileNamingViolations() throws {
        let tree = try SourceFixtureTree([
            "001_a.sql": "SELECT 1;\n",
            "002-b.sql": "SELECT 2;\n",
            "003_c.rollback.sql": "SELECT 3;\n",
            "4_d.sql": "SELECT 4;\n",
            "005_.sql": "SELECT 5;\n",
            "006_e.SQL": "SELECT 6;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        let names = error.details.map { String($0.prefix { $0 != ":" }) }
        #expect(names == ["002-b.sql", "003_c.rollback.sql", "005_.sql", "006_e.SQL", "4_d.sql"])
    }

    @Test func flywayNamingViolations() throws {
        let tree = try SourceFixtureTree([
            "V1__ok.sql": "SELECT 1;\n",
            "V2_single.sql": "SELECT 2;\n",
            "v3__lower.sql": "SELECT 3;\n",
            "R_single.sql": "SELECT 4;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.details.count == 3)
    }

    @Test func duplicateVersionsCompareNumerically() throws {
        let tree = try SourceFixtureTree([
            "001_a.up.sql": "SELECT 1;\n",
            "1_b.up.sql": "SELECT 1;\n",
            "002_c.up.sql": "SELECT 2;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .duplicateVersion)
        #expect(error.code.exitCode == 2)
        #expect(Set(error.details) == Set([tree.path("001_a.up.sql"), tree.path("1_b.up.sql")]))
    }

    @Test func unpaddedDirectoryEqualToAPaddedOneIsADuplicate() throws {
        let tree = try SourceFixtureTree(["V001__initial/up.sql": "SELECT 1;\n", "V1__test/up.sql": "SELECT 1;\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .duplicateVersion)
        #expect(error.message == "version 001 is used by more than one migration")
        #expect(error.details == [tree.path("V001__initial"), tree.path("V1__test")])
    }

    @Test func plainAndUpFileWithOneVersionAreDuplicates() throws {
        let tree = try SourceFixtureTree(["001_a.sql": "SELECT 1;\n", "001_a.up.sql": "SELECT 1;\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .duplicateVersion)
        #expect(error.details.count == 2)
    }

    @Test func duplicateDirectoryVersions() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n", "V001__b/up.sql": "SELECT 1;\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .duplicateVersion)
        #expect(error.details == [tree.path("V001__a"), tree.path("V001__b")])
    }

    @Test func downWithoutUpIsAnError() throws {
        let tree = try SourceFixtureTree([
            "1_a.up.sql": "SELECT 1;\n",
            "1_a.down.sql": "SELECT 1;\n",
            "5_b.down.sql": "SELECT 5;\n",
            "1_other.down.sql": "SELECT 1;\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.details == [
            "1_other.down.sql: the up script of version 1 is 1_a.up.sql",
            "5_b.down.sql: no up script with version 5",
        ])
    }

    @Test func rollbackWithoutMigrationIsAnError() throws {
        let tree = try SourceFixtureTree(["20240101_000000_a_rollback.sql": "SELECT 1;\n",
                                          "20240101_000001_b.sql": "SELECT 1;\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.message.contains("rollback script"))
    }

    @Test func directoryWithoutUpIsAnError() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n", "V002__b/down.sql": "SELECT 1;\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidSource)
        #expect(error.message.contains("V002__b/ has no up.sql"))
    }

    @Test func nonUTF8ScriptPointsAtTheBadByte() throws {
        let tree = try SourceFixtureTree()
        try tree.writeBytes("001_a.sql", Array("SELECT 1;\nSELECT 'ab".utf8) + [0xFF] + Array("';\n".utf8))
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("is not UTF-8 text"))
        #expect(error.location == SourceLocation(file: tree.path("001_a.sql"), line: 2, column: 11))
    }

    @Test func nonUTF8DownScriptIsAnErrorToo() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n"])
        try tree.writeBytes("V001__a/down.sql", [0xC3, 0x28])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.location == SourceLocation(file: tree.path("V001__a/down.sql"), line: 1, column: 1))
    }

    @Test func directoryNamedLikeAFileIsInvalidFile() throws {
        let tree = try SourceFixtureTree(["001_a.sql/inner.txt": "x"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("001_a.sql"))
    }

    @Test func upSqlThatIsADirectoryIsInvalidFile() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql/x": "x"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("is a directory"))
    }

    @Test func symlinkLeadingOutsideIsRefused() throws {
        let tree = try SourceFixtureTree()
        let outside = tree.base + "/secret.sql"
        try Data("SELECT 1;\n".utf8).write(to: URL(fileURLWithPath: outside))
        try tree.symlink("001_a.sql", to: outside)
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("outside the migrations directory"))
    }

    @Test func relativeSymlinkEscapingIsRefused() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n"])
        try Data("SELECT 2;\n".utf8).write(to: URL(fileURLWithPath: tree.base + "/other.sql"))
        try tree.makeDirectory("V002__b")
        try tree.symlink("V002__b/up.sql", to: "../../other.sql")
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
    }

    @Test func migrationDirectoryLinkedFromOutsideIsRefused() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n"])
        try FileManager.default.createDirectory(atPath: tree.base + "/elsewhere", withIntermediateDirectories: true)
        try Data("SELECT 2;\n".utf8).write(to: URL(fileURLWithPath: tree.base + "/elsewhere/up.sql"))
        try tree.symlink("V002__b", to: tree.base + "/elsewhere")
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("outside the migrations directory"))
    }

    @Test func migrationDirectoryLinkedFromInsideIsFollowed() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n", "shared/V002/up.sql": "SELECT 2;\n"])
        try tree.symlink("V002__b", to: tree.path("shared/V002"))
        let loaded = try tree.load()
        #expect(loaded.migrations.map(\.up.sql) == ["SELECT 1;\n", "SELECT 2;\n"])
    }

    @Test func brokenSymlinkIsInvalidFile() throws {
        let tree = try SourceFixtureTree()
        try tree.symlink("001_a.sql", to: tree.path("nowhere.sql"))
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.message.contains("broken symbolic link"))
    }

    /// A directory large enough to be read ahead on several threads (``SourceFileSystem/prefetch(_:)``)
    /// with one bad file among many good ones: the same error, at the same place, as when files
    /// are read one by one — and the good files load with their text intact.
    @Test(arguments: ["non-UTF-8", "outside link", "broken link", "NUL byte"])
    func badFileAmongManyIsReportedAsAlone(_ kind: String) throws {
        var files: [String: String] = [:]
        for i in 1...150 where i != 77 {
            files[String(format: "%03d_m.sql", i)] = "CREATE TABLE t\(i) (id INT);\n"
            files[String(format: "%03d_m.down.sql", i)] = "DROP TABLE t\(i);\n"
        }
        let tree = try SourceFixtureTree(files)
        let bad = tree.path("077_m.sql")
        switch kind {
        case "non-UTF-8":
            try tree.writeBytes("077_m.sql", Array("SELECT 1;\nSELECT 'ab".utf8) + [0xFF] + Array("';\n".utf8))
        case "outside link":
            let outside = tree.base + "/secret.sql"
            try Data("SELECT 1;\n".utf8).write(to: URL(fileURLWithPath: outside))
            try tree.symlink("077_m.sql", to: outside)
        case "broken link":
            try tree.symlink("077_m.sql", to: tree.path("nowhere.sql"))
        default:
            try tree.writeBytes("077_m.sql", Array("SELECT 1;".utf8) + [0] + Array("\n".utf8))
        }
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        switch kind {
        case "non-UTF-8":
            #expect(error.message.contains("is not UTF-8 text"))
            #expect(error.location == SourceLocation(file: bad, line: 2, column: 11))
        case "outside link": #expect(error.message.contains("outside the migrations directory"))
        case "broken link": #expect(error.message.contains("broken symbolic link"))
        default: #expect(error.message.contains("contains a NUL byte"))
        }

        try FileManager.default.removeItem(atPath: bad)
        try tree.write("077_m.sql", "CREATE TABLE t77 (id INT);\n")
        try tree.write("077_m.down.sql", "DROP TABLE t77;\n")
        let loaded = try tree.load()
        #expect(loaded.migrations.count == 150)
        #expect(loaded.migrations.allSatisfy { m in
            guard case .script(let down) = m.down else { return false }
            return m.up.sql == "CREATE TABLE t\(m.version!.text.drop(while: { $0 == "0" })) (id INT);\n"
                && down.sql == "DROP TABLE t\(m.version!.text.drop(while: { $0 == "0" }));\n"
        })
    }

    @Test func unknownDirectiveIsReported() throws {
        let tree = try SourceFixtureTree(["001_a.sql": "-- strata:frobnicate\nSELECT 1;\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidFile)
        #expect(error.location?.file == tree.path("001_a.sql"))
    }
}

extension MigrationDirectory {
    /// The error loading throws, or `nil` when it loads.
    func loadError() -> StrataError? {
        do {
            _ = try load()
            return nil
        } catch {
            return error
        }
    }
}
