import Foundation
import Testing
@testable import Strata

/// Loads the real migration sets in `/work/shared/corpora` and compares each chain with its
/// `ORDER-<chain>.txt`. A missing corpora directory fails these tests; they are never skipped.
@Suite("MigrationDirectory corpora")
struct MigrationCorpusSourceTests {
    /// Every ORDER file: its set folder and the layout its directories must be detected as.
    static let chains: [(file: String, expected: Set<MigrationLayout>)] = [
        ("atuin/ORDER-atuin-ai.txt", [.flat]),
        ("atuin/ORDER-atuin-client-meta.txt", [.flat]),
        ("atuin/ORDER-atuin-client-records.txt", [.flat]),
        ("atuin/ORDER-atuin-client.txt", [.flat]),
        ("atuin/ORDER-atuin-kv.txt", [.updown]),
        ("atuin/ORDER-atuin-scripts.txt", [.updown]),
        ("atuin/ORDER-atuin-server-postgres.txt", [.flat]),
        ("atuin/ORDER-atuin-server-sqlite.txt", [.flat]),
        ("golang-migrate/ORDER-golang-migrate-postgres.txt", [.updown]),
        ("golang-migrate/ORDER-golang-migrate-sqlite.txt", [.updown]),
        ("golang-migrate/ORDER-golang-migrate-sqlite3.txt", [.updown]),
        ("goose/ORDER-goose-examples-postgres.txt", [.sections]),
        ("goose/ORDER-goose-examples-sqlite.txt", [.sections]),
        ("goose/ORDER-goose-integration-postgres.txt", [.sections]),
        ("goose/ORDER-goose-integration-turso-sqlite.txt", [.sections]),
        ("goose/ORDER-goose-no-versioning-sqlite.txt", [.sections]),
        ("goose/ORDER-goose-testdata-postgres.txt", [.sections]),
        ("goose/ORDER-goose-testdata-sqlite.txt", [.sections]),
    ]

    @Test func everyOrderFileIsCovered() throws {
        let root = try SourceCorpora.root()
        var found: [String] = []
        for set in ["atuin", "golang-migrate", "goose"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: root + "/" + set)
            found += names.filter { $0.hasPrefix("ORDER-") }.map { "\(set)/\($0)" }
        }
        #expect(found.sorted() == Self.chains.map(\.file).sorted())
    }

    @Test(arguments: chains.map(\.file))
    func chainLoadsInOrder(orderFile: String) throws {
        let root = try SourceCorpora.root()
        let expected = try #require(Self.chains.first { $0.file == orderFile }?.expected)
        let set = root + "/" + (orderFile as NSString).deletingLastPathComponent
        let groups = try SourceCorpora.chain(root + "/" + orderFile)
        try #require(!groups.isEmpty)
        for group in groups {
            let directory = MigrationDirectory(path: set + "/" + group.directory)
            let loaded: LoadedMigrations
            do {
                loaded = try directory.load()
            } catch {
                Issue.record("\(directory.path): \(error)")
                continue
            }
            #expect(expected.contains(try #require(loaded.layout)), "\(directory.path)")
            #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
            #expect(loaded.migrations.count == group.steps.count, "\(directory.path)")
            for (migration, step) in zip(loaded.migrations, group.steps) {
                #expect("\(migration.version?.text ?? "")_\(migration.name)" == step.step)
                #expect(migration.up.path == set + "/" + step.up)
                if let down = step.down {
                    #expect(migration.downScript?.path == set + "/" + down, "\(step)")
                } else {
                    #expect(migration.down == .none, "\(step)")
                }
                if step.flags == "no-transaction" {
                    #expect(!migration.options.transactional, "\(step)")
                    #expect(!migration.downOptions.transactional, "\(step)")
                } else if migration.layout == .sections {
                    #expect(migration.options.transactional, "\(step)")
                }
                #expect(migration.checksum == Checksum.sha256Hex(ofScript: migration.up.sql))
            }
        }
    }

    @Test func gooseUpSectionsStartAfterTheirAnnotation() throws {
        let root = try SourceCorpora.root()
        let loaded = try MigrationDirectory(path: root + "/goose/examples/sql-migrations").load()
        let noTransaction = try #require(loaded.migrations.last)
        #expect(noTransaction.up.firstLine == 3)
        #expect(noTransaction.up.sql.contains("CREATE TABLE post"))
        #expect(noTransaction.options.nonTransactionalReason == "-- +goose NO TRANSACTION")
        #expect(noTransaction.downScript?.sql.contains("DROP TABLE post;") == true)
    }

    @Test func golangMigrateCommentOnlyMigrationsAreKept() throws {
        let root = try SourceCorpora.root()
        let loaded = try MigrationDirectory(path: root + "/golang-migrate/database/postgres/examples/migrations").load()
        let comment = try #require(loaded.migrations.first { $0.name == "just_a_comment" })
        #expect(comment.up.isEffectivelyEmpty)
        #expect(comment.description == "just a comment")
    }

    /// golang-migrate's discovery fixture has `5_foobar.down.sql` without an up script. golang-migrate
    /// tolerates that; Strata reports it as an error, because a down without its up is almost always
    /// a renamed or deleted up script that would otherwise vanish from the chain unnoticed.
    @Test func golangMigrateDownWithoutUpIsAnError() throws {
        let root = try SourceCorpora.root()
        let error = try #require(MigrationDirectory(path: root + "/golang-migrate/source/iofs/testdata/migrations").loadError())
        #expect(error.code == .invalidSource)
        #expect(error.details == ["5_foobar.down.sql: no up script with version 5"])
    }

    @Test func gooseParserFixtureDirectoryLoadsAsSections() throws {
        let root = try SourceCorpora.root()
        let loaded = try MigrationDirectory(path: root + "/goose/internal/sqlparser/testdata/valid-txn").load()
        #expect(loaded.layout == .sections)
        #expect(loaded.sectionFlavor == .goose)
        #expect(loaded.migrations.map(\.id) == ["00001", "00002", "00003"])
        #expect(loaded.migrations[2].options.transactional == false)
    }
}
