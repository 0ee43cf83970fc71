import Foundation
import Testing
@testable import Strata

@Suite("MigrationDirectory layouts")
struct MigrationDirectoryLayoutTests {
    @Test func readsDirLayoutWithMetadataDownAndVerify() throws {
        let tree = try SourceFixtureTree([
            "V001__initial_schema/up.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
            "V001__initial_schema/down.sql": "DROP TABLE users;\n",
            "V002__add_user_settings/up.sql": "-- Migration: Add User Settings\nCREATE TABLE s (id INTEGER);\n",
            "V002__add_user_settings/verify.sql": "SELECT 1 WHERE 0;\n",
            "V002__add_user_settings/metadata.yaml": "version: 2\ndescription: \"Add user_settings table\"\nauthor: dev@example.com\n",
            "V010__later/up.sql": "SELECT 1;\n",
            "README.md": "# Migrations\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .dir)
        #expect(loaded.migrations.map(\.id) == ["001", "002", "010"])
        #expect(loaded.migrations.map(\.name) == ["initial_schema", "add_user_settings", "later"])
        let first = loaded.migrations[0]
        #expect(first.description == "initial schema")
        #expect(first.sourcePath == tree.path("V001__initial_schema"))
        #expect(first.up.path == tree.path("V001__initial_schema/up.sql"))
        #expect(first.downScript?.sql == "DROP TABLE users;\n")
        #expect(first.layout == .dir)
        #expect(first.kind == .sql)
        let second = loaded.migrations[1]
        #expect(second.description == "Add user_settings table")
        #expect(second.metadata.author == "dev@example.com")
        #expect(second.verify?.path == tree.path("V002__add_user_settings/verify.sql"))
        #expect(second.down == .none)
        #expect(loaded.migrations[2].description == "later")
        #expect(loaded.warnings == ["ignored \(tree.path("README.md")): not a migration"])
        #expect(loaded.ignored == [tree.path("README.md")])
    }

    @Test func readsDieselDirectoriesWithDashedVersions() throws {
        let tree = try SourceFixtureTree([
            "2018-01-14-171611_create_tables/up.sql": "CREATE TABLE a (id INTEGER);\n",
            "2018-01-14-171611_create_tables/down.sql": "DROP TABLE a;\n",
            "2018-02-01-000000_add-index/up.sql": "CREATE INDEX i ON a (id);\n",
            "2018-02-01-000000_add-index/down.sql": "-- nothing to undo\n",
            "00000000000000_diesel_initial_setup/up.sql": "SELECT 1;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .dir)
        #expect(loaded.migrations.map(\.id) == ["00000000000000", "2018-01-14-171611", "2018-02-01-000000"])
        #expect(loaded.migrations[1].version?.components == [2018, 1, 14, 171611])
        #expect(loaded.migrations[2].name == "add-index")
        #expect(loaded.migrations[2].description == "add index")
        #expect(loaded.migrations[2].down == .irreversible(path: tree.path("2018-02-01-000000_add-index/down.sql")))
    }

    @Test func readsFlatLayoutWithHeaderDescriptionsAndVerify() throws {
        let tree = try SourceFixtureTree([
            "001_initial_schema.sql": "CREATE TABLE t (id INTEGER);\n",
            "001_initial_schema.down.sql": "DROP TABLE t;\n",
            "002_add_email.sql": """
                -- Migration: Add Email Notifications
                -- Version: 002
                -- Description: Add email notification preferences
                -- ============================================================================

                ALTER TABLE t ADD COLUMN email TEXT;
                """,
            "002_add_email.verify.sql": "SELECT 1 FROM t WHERE 0;\n",
            "003_only_description.sql": "-- Description: Adds the third thing\nSELECT 3;\n",
            "001_initial_schema.sql.sha256": "abc  001_initial_schema.sql\n",
            "schema.sql": "CREATE TABLE t (id INTEGER);\n",
            ".gitkeep": "",
            "strata.sum": "h1:abc\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .flat)
        #expect(loaded.migrations.map(\.id) == ["001", "002", "003"])
        #expect(loaded.migrations[0].downScript?.path == tree.path("001_initial_schema.down.sql"))
        #expect(loaded.migrations[1].description == "Add Email Notifications")
        #expect(loaded.migrations[1].verify?.path == tree.path("002_add_email.verify.sql"))
        #expect(loaded.migrations[2].description == "Adds the third thing")
        #expect(loaded.migrations[2].sourcePath == tree.path("003_only_description.sql"))
        #expect(Set(loaded.ignored) == Set([".gitkeep", "001_initial_schema.sql.sha256", "schema.sql", "strata.sum"].map(tree.path)))
        #expect(loaded.warnings.count == 4)
    }

    @Test func headerCommentsWithAnyLineEnding() throws {
        let tree = try SourceFixtureTree()
        try tree.writeBytes("001_crlf.sql", Array("\u{FEFF}-- Created: today\r\n\r\n-- Migration: Windows Title\r\nSELECT 1;\r\n".utf8))
        try tree.writeBytes("002_cr.sql", Array("-- Created: today\r-- Migration: Old Mac Title\rSELECT 2;\r".utf8))
        try tree.writeBytes("003_after_code.sql", Array("SELECT 3;\n-- Migration: Too Late\n".utf8))
        let loaded = try tree.load()
        #expect(loaded.migrations.map(\.description) == ["Windows Title", "Old Mac Title", "after code"])
    }

    @Test func prefersDescriptionOverIdentifierLikeMigrationTitle() throws {
        let tree = try SourceFixtureTree([
            "20241227_143000_add_user_preferences.sql": """
                -- Migration: add_user_preferences
                -- Created: 2024-12-27
                -- Description: Add user preferences table

                BEGIN;
                CREATE TABLE IF NOT EXISTS user_preferences (id SERIAL PRIMARY KEY);
                COMMIT;
                """,
            "20241227_143000_add_user_preferences_rollback.sql": "-- Rollback: add_user_preferences\nDROP TABLE IF EXISTS user_preferences;\n",
            "20250101_000000_second.sql": "-- Migration: [Human-readable title]\nSELECT 1;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .timestamp)
        #expect(loaded.migrations.map(\.id) == ["20241227_143000", "20250101_000000"])
        #expect(loaded.migrations[0].version?.components == [20241227, 143000])
        #expect(loaded.migrations[0].name == "add_user_preferences")
        #expect(loaded.migrations[0].description == "Add user preferences table")
        #expect(loaded.migrations[0].downScript?.path == tree.path("20241227_143000_add_user_preferences_rollback.sql"))
        #expect(loaded.migrations[1].description == "second")
        #expect(loaded.migrations[1].down == .none)
    }

    @Test func readsUpdownLayout() throws {
        let tree = try SourceFixtureTree([
            "1_create.up.sql": "CREATE TABLE a (id INTEGER);\n",
            "1_create.down.sql": "DROP TABLE a;\n",
            "2_comment_only.up.sql": "-- just a comment\n",
            "10_later.up.sql": "SELECT 10;\n",
            "10_later.down.sql": "SELECT 1;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .updown)
        #expect(loaded.migrations.map(\.id) == ["1", "2", "10"])
        #expect(loaded.migrations[1].up.isEffectivelyEmpty)
        #expect(loaded.migrations[1].down == .none)
    }

    @Test func flatAndUpdownMayStandSideBySide() throws {
        let tree = try SourceFixtureTree([
            "20210422143411_create_history.sql": "CREATE TABLE h (id INTEGER);\n",
            "20250501160746_create_kv_db.up.sql": "CREATE TABLE kv (k TEXT);\n",
            "20250501160746_create_kv_db.down.sql": "DROP TABLE kv;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .flat)
        #expect(loaded.migrations.count == 2)
        #expect(loaded.migrations[1].downScript != nil)
    }

    @Test func readsFlywayLayoutWithUndoAndRepeatables() throws {
        let tree = try SourceFixtureTree([
            "V1__init.sql": "CREATE TABLE a (id INTEGER);\n",
            "V1_2__add_email.sql": "ALTER TABLE a ADD COLUMN email TEXT;\n",
            "U1_2__add_email.sql": "ALTER TABLE a DROP COLUMN email;\n",
            "V1.10__later.sql": "SELECT 110;\n",
            "V1.9__earlier.sql": "SELECT 19;\n",
            "R__refresh_views.sql": "CREATE VIEW v AS SELECT 1;\n",
            "R__another.sql": "SELECT 2;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .flyway)
        #expect(loaded.migrations.map(\.id) == ["1", "1_2", "1.9", "1.10", "R__another", "R__refresh_views"])
        #expect(loaded.migrations[1].version?.components == [1, 2])
        #expect(loaded.migrations[1].downScript?.path == tree.path("U1_2__add_email.sql"))
        let repeatable = loaded.migrations[5]
        #expect(repeatable.kind == .repeatable)
        #expect(repeatable.version == nil)
        #expect(repeatable.name == "refresh_views")
        #expect(repeatable.description == "refresh views")
    }

    @Test func readsDbmateSections() throws {
        let text = """
            -- migrate:up
            CREATE TABLE a (id INTEGER);

            -- migrate:down
            DROP TABLE a;

            """
        let tree = try SourceFixtureTree([
            "0001_add_a.sql": text,
            "0002_no_down.sql": "-- migrate:up\nSELECT 1;\n",
            "0003_empty_down.sql": "-- migrate:up\nSELECT 1;\n-- migrate:down\n-- cannot be undone\n",
            "0004_no_tx.sql": "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON a (id);\n-- migrate:down\nDROP INDEX i;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .sections)
        #expect(loaded.sectionFlavor == .dbmate)
        #expect(loaded.migrations.map(\.id) == ["0001", "0002", "0003", "0004"])
        let first = loaded.migrations[0]
        #expect(first.up.path == tree.path("0001_add_a.sql"))
        #expect(first.up.firstLine == 2)
        #expect(first.up.sql.contains("CREATE TABLE a"))
        #expect(!first.up.sql.contains("DROP TABLE"))
        #expect(first.downScript?.sql.contains("DROP TABLE a;") == true)
        #expect(first.checksum == Checksum.sha256Hex(ofScript: first.up.sql))
        #expect(first.checksum != Checksum.sha256Hex(ofScript: text))
        #expect(loaded.migrations[1].down == .none)
        #expect(loaded.migrations[2].down == .irreversible(path: tree.path("0003_empty_down.sql")))
        let noTx = loaded.migrations[3]
        #expect(noTx.options.transactional == false)
        #expect(noTx.options.nonTransactionalReason == "-- migrate:up transaction:false")
        #expect(noTx.downOptions.transactional == true)
        #expect(first.options.transactional)
    }

    @Test func readsGooseSections() throws {
        let tree = try SourceFixtureTree([
            "00001_users.sql": "-- +goose Up\nCREATE TABLE users (id INT);\n\n-- +goose Down\nDROP TABLE users;\n",
            "00002_no_tx.sql": "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE UNIQUE INDEX CONCURRENTLY ON users(id);\n\n-- +goose Down\nDROP INDEX IF EXISTS x;\n",
            "00003_empty.sql": "-- +goose Up\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.layout == .sections)
        #expect(loaded.sectionFlavor == .goose)
        #expect(loaded.migrations[1].options.transactional == false)
        #expect(loaded.migrations[1].options.nonTransactionalReason == "-- +goose NO TRANSACTION")
        #expect(loaded.migrations[1].downOptions.transactional == false)
        #expect(loaded.migrations[2].down == .none)
        #expect(loaded.migrations[2].up.isEffectivelyEmpty)
    }

    @Test func emptyAndCommentOnlyDownScriptsAreIrreversible() throws {
        let tree = try SourceFixtureTree([
            "001_a.sql": "SELECT 1;\n",
            "001_a.down.sql": "",
            "002_b.sql": "SELECT 2;\n",
            "002_b.down.sql": "-- restore from backup\n/* nothing */\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.migrations[0].down == .irreversible(path: tree.path("001_a.down.sql")))
        #expect(loaded.migrations[1].down == .irreversible(path: tree.path("002_b.down.sql")))
        #expect(loaded.migrations[0].downScript == nil)
    }

    @Test func emptyUpScriptIsKept() throws {
        let tree = try SourceFixtureTree(["001_nothing.sql": "", "002_comment.sql": "-- later\n"])
        let loaded = try tree.load()
        #expect(loaded.migrations.count == 2)
        #expect(loaded.migrations[0].checksum == Checksum.sha256Hex(ofScript: ""))
    }

    @Test func checksumIgnoresLineEndingsAndBOM() throws {
        let tree = try SourceFixtureTree()
        try tree.writeBytes("001_a.sql", Array("\u{FEFF}CREATE TABLE a (id INTEGER);\r\nSELECT 1;\r\n".utf8))
        try tree.write("002_b.sql", "CREATE TABLE a (id INTEGER);\nSELECT 1;\n")
        let loaded = try tree.load()
        #expect(loaded.migrations[0].checksum == loaded.migrations[1].checksum)
        #expect(!loaded.migrations[0].up.sql.hasPrefix("\u{FEFF}"))
        #expect(loaded.migrations[1].checksum == Checksum.sha256Hex(ofScript: "CREATE TABLE a (id INTEGER);\nSELECT 1;\n"))
    }

    @Test func directivesSetExecutionOptions() throws {
        let tree = try SourceFixtureTree([
            "001_index.sql": "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            "001_index.down.sql": "DROP INDEX i;\n",
            "002_fk.sql": "-- strata:foreign-keys immediate\nCREATE TABLE c (p INTEGER REFERENCES t (a));\n",
            "003_plain.sql": "SELECT 1;\n",
        ])
        let loaded = try tree.load()
        #expect(loaded.migrations[0].options.transactional == false)
        #expect(loaded.migrations[0].options.nonTransactionalReason == "-- strata:no-transaction")
        #expect(loaded.migrations[0].downOptions.transactional == true)
        #expect(loaded.migrations[1].options.foreignKeys == .immediate)
        #expect(loaded.migrations[2].options == ExecutionOptions())
    }

    @Test func symlinkInsideTheDirectoryIsFollowed() throws {
        let tree = try SourceFixtureTree(["shared/common.sql": "SELECT 1;\n"])
        try tree.symlink("001_common.sql", to: tree.path("shared/common.sql"))
        let loaded = try tree.load()
        #expect(loaded.migrations.map(\.id) == ["001"])
        #expect(loaded.migrations[0].up.sql == "SELECT 1;\n")
        #expect(loaded.ignored == [tree.path("shared/")])
    }

    @Test func pathWithTrailingSlashIsNotDoubled() throws {
        let tree = try SourceFixtureTree(["001_a.sql": "SELECT 1;\n"])
        let loaded = try MigrationDirectory(path: tree.root + "/").load()
        #expect(loaded.migrations[0].up.path == tree.root + "/001_a.sql")
    }

    @Test func emptyDirectoryHasNoLayout() throws {
        let tree = try SourceFixtureTree()
        let loaded = try tree.load()
        #expect(loaded.layout == nil)
        #expect(loaded.migrations.isEmpty)
    }
}
