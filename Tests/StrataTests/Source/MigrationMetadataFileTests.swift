import Foundation
import Testing
@testable import Strata

@Suite("metadata.yaml")
struct MigrationMetadataFileTests {
    @Test func readsEveryKnownKeyAndKeepsUnknownOnesAsJSON() throws {
        let tree = try SourceFixtureTree([
            "V005__add_user_settings/up.sql": "CREATE TABLE user_settings (user_id TEXT PRIMARY KEY);\n",
            "V005__add_user_settings/metadata.yaml": """
                version: 5
                description: "Add user_settings table for preferences"
                author: "dev@example.com"
                created: 2025-01-04T14:30:00Z
                dependencies:
                  - V001__initial_schema
                tags:
                  - user_preferences
                  - settings
                estimated_duration_ms: 100
                reversible: true
                notes: |
                  This migration adds a central user_settings table.
                ticket: "OPS-42"
                reviewers: [alice, bob]
                risk: {level: 2, safe: yes, ratio: 0.5, none: null}

                """,
        ])
        let migration = try #require(try tree.load().migrations.first)
        let metadata = migration.metadata
        #expect(metadata.version == "5")
        #expect(metadata.description == "Add user_settings table for preferences")
        #expect(metadata.author == "dev@example.com")
        #expect(metadata.created == "2025-01-04T14:30:00Z")
        #expect(metadata.dependencies == ["V001__initial_schema"])
        #expect(metadata.tags == ["user_preferences", "settings"])
        #expect(metadata.estimatedDurationMs == 100)
        #expect(metadata.reversible == true)
        #expect(metadata.notes == "This migration adds a central user_settings table.\n")
        #expect(metadata.transaction == nil)
        #expect(metadata.extra["ticket"] == "\"OPS-42\"")
        #expect(metadata.extra["reviewers"] == "[\"alice\",\"bob\"]")
        #expect(metadata.extra["risk"] == "{\"level\":2,\"none\":null,\"ratio\":0.5,\"safe\":true}")
        #expect(migration.description == "Add user_settings table for preferences")
        #expect(migration.options.transactional)
        let json = try #require(metadata.json)
        #expect(json.contains("\"ticket\":\"OPS-42\""))
    }

    @Test func transactionFalseRunsOutsideATransaction() throws {
        let tree = try SourceFixtureTree([
            "V001__vacuum/up.sql": "VACUUM;\n",
            "V001__vacuum/down.sql": "SELECT 1;\n",
            "V001__vacuum/metadata.yaml": "transaction: false\n",
        ])
        let migration = try #require(try tree.load().migrations.first)
        #expect(migration.options.transactional == false)
        #expect(migration.options.nonTransactionalReason == "metadata.yaml transaction: false")
        #expect(migration.downOptions.transactional == false)
    }

    @Test func badYAMLIsReportedWithLineAndColumn() throws {
        let tree = try SourceFixtureTree([
            "V001__a/up.sql": "SELECT 1;\n",
            "V001__a/metadata.yaml": "version: 1\ndescription: \"unterminated\ntags: [a\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
        #expect(error.code.exitCode == 2)
        #expect(error.location?.file == tree.path("V001__a/metadata.yaml"))
        #expect((error.location?.line ?? 0) >= 2)
    }

    @Test func badIndentationPointsAtTheLine() throws {
        let tree = try SourceFixtureTree([
            "V001__a/up.sql": "SELECT 1;\n",
            "V001__a/metadata.yaml": "version: 1\ndescription: x\n  author: y\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
        #expect(error.location?.line == 3)
    }

    @Test func wrongTypesAreErrors() throws {
        let tree = try SourceFixtureTree([
            "V001__a/up.sql": "SELECT 1;\n",
            "V001__a/metadata.yaml": "version: 1\nestimated_duration_ms: soon\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
        #expect(error.message.contains("estimated_duration_ms"))
        #expect(error.location?.line == 2)
    }

    @Test func versionMustMatchTheDirectory() throws {
        let tree = try SourceFixtureTree([
            "V003__a/up.sql": "SELECT 1;\n",
            "V003__a/metadata.yaml": "description: x\nversion: 4\n",
        ])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
        #expect(error.location == SourceLocation(file: tree.path("V003__a/metadata.yaml"), line: 2, column: 10))
    }

    @Test func paddedOrPrefixedVersionMatches() throws {
        let tree = try SourceFixtureTree([
            "V003__a/up.sql": "SELECT 1;\n",
            "V003__a/metadata.yaml": "version: \"V003\"\n",
        ])
        #expect(try tree.load().migrations.count == 1)
    }

    @Test func emptyMetadataIsFine() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n", "V001__a/metadata.yaml": "# nothing yet\n"])
        let migration = try #require(try tree.load().migrations.first)
        #expect(migration.metadata.isEmpty)
    }

    @Test func aListAtTheTopIsAnError() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n", "V001__a/metadata.yaml": "- a\n- b\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
    }

    @Test func duplicateKeysAreAnError() throws {
        let tree = try SourceFixtureTree(["V001__a/up.sql": "SELECT 1;\n",
                                          "V001__a/metadata.yaml": "author: a\nauthor: b\n"])
        let error = try #require(tree.loadError())
        #expect(error.code == .invalidMetadata)
    }
}
