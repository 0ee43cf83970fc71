import Foundation
import Testing
@testable import Strata

/// The real migration sets lint without crashing, with the findings read and agreed with (listed
/// in the README's lint section): the only error is atuin's MySQL-syntax down script.
@Suite("Lint on the corpora")
struct LintCorpusTests {
    /// Every migrations directory of the corpora with the engine it targets.
    static let directories: [(path: String, engine: DatabaseEngine)] = [
        ("atuin/crates/atuin-ai/migrations", .sqlite),
        ("atuin/crates/atuin-client/meta-migrations", .sqlite),
        ("atuin/crates/atuin-client/migrations", .sqlite),
        ("atuin/crates/atuin-client/record-migrations", .sqlite),
        ("atuin/crates/atuin-kv/migrations", .sqlite),
        ("atuin/crates/atuin-scripts/migrations", .sqlite),
        ("atuin/crates/atuin-server-postgres/migrations", .postgres),
        ("atuin/crates/atuin-server-sqlite/migrations", .sqlite),
        ("golang-migrate/database/postgres/examples/migrations", .postgres),
        ("golang-migrate/database/sqlite/examples/migrations", .sqlite),
        ("golang-migrate/database/sqlite3/examples/migrations", .sqlite),
        ("goose/examples/sql-migrations", .sqlite),
        ("goose/examples/sql-migrations", .postgres),
        ("goose/internal/testing/integration/testdata/migrations/postgres", .postgres),
        ("goose/internal/testing/integration/testdata/migrations/turso", .sqlite),
        ("goose/testdata/migrations", .sqlite),
        ("goose/testdata/migrations", .postgres),
        ("goose/testdata/no-versioning/migrations", .sqlite),
        ("goose/testdata/no-versioning/seed", .sqlite),
    ]

    /// The findings of one directory as `file-name:line code`, file names relative to it.
    static func findings(_ path: String, _ engine: DatabaseEngine) throws -> [String] {
        let root = try SourceCorpora.root() + "/" + path
        let migrations = try MigrationDirectory(path: root).load().migrations
        return Linter(engine: engine, sqliteVersion: "3.40.1").lint(migrations).map { d in
            "\(URL(fileURLWithPath: d.location.file).lastPathComponent):\(d.location.line) \(d.code)"
        }
    }

    @Test("every corpus directory lints; only atuin-scripts has an error")
    func everyDirectory() throws {
        for (path, engine) in Self.directories {
            let root = try SourceCorpora.root() + "/" + path
            let diagnostics = Linter(engine: engine, sqliteVersion: "3.40.1").lint(try MigrationDirectory(path: root).load().migrations)
            let errors = diagnostics.filter { $0.severity == .error }
            if path.hasSuffix("atuin-scripts/migrations") {
                #expect(errors.map(\.code) == ["SQLITE003"])
            } else {
                #expect(errors.isEmpty, "\(path) (\(engine)): \(errors)")
            }
        }
    }

    @Test("atuin-scripts: the MySQL-syntax down script is an error at its ALTER TABLE … DROP INDEX")
    func atuinScripts() throws {
        #expect(try Self.findings("atuin/crates/atuin-scripts/migrations", .sqlite)
            == ["20250402170430_unique_names.down.sql:2 SQLITE003"])
    }

    @Test("atuin server (PostgreSQL): type changes, a blocking index, drops and missing lock timeouts")
    func atuinServerPostgres() throws {
        let found = Set(try Self.findings("atuin/crates/atuin-server-postgres/migrations", .postgres))
        for expected in ["20220421174016_larger-commands.sql:3 PG006", "20220610074049_history-length.sql:2 PG006",
                         "20230315224203_create-deleted.sql:5 PG001", "20231203124112_create-store-idx.sql:2 PG001",
                         "20240702094825_idx_cache_index.sql:1 PG001", "20230315220537_drop-events.sql:2 STRATA002",
                         "20260127000000_remove-email-verification.sql:1 STRATA002",
                         "20260127000000_remove-email-verification.sql:2 STRATA003",
                         "20220426172813_user-created-at.sql:1 PG008", "20210425153745_create_history.sql:1 STRATA001"] {
            #expect(found.contains(expected), "missing \(expected)")
        }
        // now() is stable, not volatile: adding created_at with DEFAULT now() does not rewrite users.
        #expect(!found.contains { $0.hasSuffix("PG003") })
    }

    @Test("golang-migrate: CREATE UNIQUE INDEX CONCURRENTLY alone in its migration is fine; comment-only migrations have no down")
    func golangMigratePostgres() throws {
        let found = try Self.findings("golang-migrate/database/postgres/examples/migrations", .postgres)
        #expect(!found.contains { $0.contains("PG001") || $0.contains("PG002") })
        #expect(found.filter { $0.hasSuffix("STRATA001") }.count == 4)
    }
}
