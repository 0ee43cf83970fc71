import Foundation
import Testing
@testable import Strata

/// PostgreSQL `lock_timeout` / `statement_timeout` per migration: from `metadata.yaml` and from
/// directives (the directive wins), carried in `ExecutionOptions`, and in `strata.yml` per run.
@Suite("Timeout options")
struct MigrationTimeoutOptionsTests {
    @Test func metadataAndDirectivesSetTheMigrationsTimeouts() throws {
        let tree = try SourceFixtureTree([
            "V001__a/up.sql": "CREATE TABLE a (id int);\n",
            "V001__a/metadata.yaml": "lock_timeout: 5s\nstatement_timeout: 2min\n",
            "V002__b/up.sql": "-- strata:lock-timeout 500ms\nALTER TABLE a ADD COLUMN b int;\n",
            "V002__b/metadata.yaml": "lock_timeout: 5s\n",
            "V003__c/up.sql": "CREATE TABLE c (id int);\n",
        ])
        let migrations = try tree.load().migrations
        #expect(migrations[0].options.lockTimeout == "5s")
        #expect(migrations[0].options.statementTimeout == "2min")
        #expect(migrations[0].metadata.json?.contains("\"lock_timeout\":\"5s\"") == true)
        #expect(migrations[1].options.lockTimeout == "500ms", "the directive wins over metadata.yaml")
        #expect(migrations[2].options.lockTimeout == nil && migrations[2].options.statementTimeout == nil)
    }

    @Test func badDurationsAreErrorsWithTheirLocation() throws {
        let tree = try SourceFixtureTree([
            "V001__a/up.sql": "CREATE TABLE a (id int);\n",
            "V001__a/metadata.yaml": "description: x\nlock_timeout: soon\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
        #expect(error.location?.line == 2, "\(error)")
        #expect(ScriptDirectives.isDuration("1d") && !ScriptDirectives.isDuration("5 s") && !ScriptDirectives.isDuration("s"))
    }

    @Test func configFileTakesRunTimeouts() throws {
        let config = try ProjectConfiguration.parse("postgres:\n  lock_timeout: 3s\n  statement_timeout: 1h\n",
                                                    path: "strata.yml", environment: [:])
        #expect(config.postgres.lockTimeout == "3s" && config.postgres.statementTimeout == "1h")
        #expect(throws: StrataError.self) {
            try ProjectConfiguration.parse("postgres: { lock_timeout: forever }\n", path: "strata.yml", environment: [:])
        }
        #expect(throws: StrataError.self) {
            try ProjectConfiguration.parse("postgres: { idle: 1s }\n", path: "strata.yml", environment: [:])
        }
    }
}
