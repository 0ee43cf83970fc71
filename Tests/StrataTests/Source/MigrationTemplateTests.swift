import Foundation
import Testing
@testable import Strata

@Suite("MigrationTemplate")
struct MigrationTemplateTests {
    /// 2024-01-02T03:04:05Z
    let now = Date(timeIntervalSince1970: 1_704_164_645)

    @Test func emptyDirectoryGetsTheDirLayout() throws {
        let tree = try SourceFixtureTree()
        let template = try MigrationTemplate.make(name: "add_user_settings", in: tree.directory,
                                                  author: "dev@example.com", now: now)
        #expect(template.layout == .dir)
        #expect(template.version == "001")
        #expect(template.files.map(\.relativePath) == [
            "V001__add_user_settings/up.sql", "V001__add_user_settings/down.sql", "V001__add_user_settings/metadata.yaml",
        ])
        let up = template.files[0].contents
        #expect(up.hasPrefix("-- Migration: Add User Settings\n-- Version: 001\n-- Created: 2024-01-02T03:04:05Z\n"))
        #expect(template.files[2].contents.contains("author: \"dev@example.com\""))

        let written = try template.write(to: tree.directory)
        #expect(written == template.files.map { tree.path($0.relativePath) })
        let loaded = try tree.load()
        let migration = try #require(loaded.migrations.first)
        #expect(migration.id == "001")
        #expect(migration.description == "Add user settings")
        #expect(migration.metadata.author == "dev@example.com")
        #expect(migration.metadata.created == "2024-01-02T03:04:05Z")
        #expect(migration.down == .irreversible(path: tree.path("V001__add_user_settings/down.sql")))
    }

    @Test func missingDirectoryCountsAsEmptyAndIsCreated() throws {
        let tree = try SourceFixtureTree(createRoot: false)
        let template = try MigrationTemplate.make(name: "init", in: tree.directory, now: now)
        try template.write(to: tree.directory)
        #expect(try tree.load().migrations.map(\.id) == ["001"])
    }

    @Test func dirLayoutContinuesThePaddedNumbering() throws {
        let tree = try SourceFixtureTree(["V009__a/up.sql": "SELECT 1;\n", "V0001__b/up.sql": "SELECT 1;\n"])
        try FileManager.default.removeItem(atPath: tree.path("V0001__b"))
        #expect(try MigrationTemplate.make(name: "x", in: tree.directory, now: now).version == "010")
        try tree.write("V0011__c/up.sql", "SELECT 1;\n")
        try FileManager.default.removeItem(atPath: tree.path("V009__a"))
        #expect(try MigrationTemplate.make(name: "x", in: tree.directory, now: now).version == "0012")
    }

    @Test func dieselDirectoriesGetATimestamp() throws {
        let tree = try SourceFixtureTree(["2018-01-14-171611_create_tables/up.sql": "SELECT 1;\n"])
        let template = try MigrationTemplate.make(name: "add_x", in: tree.directory, now: now)
        #expect(template.files.map(\.relativePath) == ["2024-01-02-030405_add_x/up.sql", "2024-01-02-030405_add_x/down.sql"])
    }

    @Test func flatLayout() throws {
        let tree = try SourceFixtureTree(["001_a.sql": "SELECT 1;\n", "002_b.sql": "SELECT 2;\n"])
        let template = try MigrationTemplate.make(name: "add_email", in: tree.directory, now: now)
        #expect(template.layout == .flat)
        #expect(template.files.map(\.relativePath) == ["003_add_email.sql", "003_add_email.down.sql"])
        #expect(template.files[0].contents.contains("-- Description: Add email\n"))
        try template.write(to: tree.directory)
        let loaded = try tree.load()
        #expect(loaded.migrations.last?.description == "Add Email")
    }

    @Test func timestampLayoutUsesUTCAndStaysAfterTheNewest() throws {
        let tree = try SourceFixtureTree(["20240102_030405_a.sql": "SELECT 1;\n"])
        let template = try MigrationTemplate.make(name: "add_user_preferences", in: tree.directory, now: now)
        #expect(template.layout == .timestamp)
        #expect(template.version == "20240102_030406")
        #expect(template.files.map(\.relativePath) == [
            "20240102_030406_add_user_preferences.sql", "20240102_030406_add_user_preferences_rollback.sql",
        ])
        #expect(template.files[0].contents.hasPrefix("-- Migration: Add User Preferences\n-- Created: 2024-01-02T03:04:05Z\n"))
        try template.write(to: tree.directory)
        #expect(try tree.load().migrations.count == 2)
    }

    @Test func timestampNamesMayNotEndInRollback() throws {
        let tree = try SourceFixtureTree(["20240102_030405_a.sql": "SELECT 1;\n"])
        #expect(throws: StrataError.self) {
            try MigrationTemplate.make(name: "undo_rollback", in: tree.directory, now: now)
        }
    }

    @Test func updownLayoutFollowsTheExistingWidthOrTimestamps() throws {
        let numbered = try SourceFixtureTree(["33_a.up.sql": "SELECT 1;\n", "44_b.up.sql": "SELECT 1;\n"])
        let template = try MigrationTemplate.make(name: "c", in: numbered.directory, now: now)
        #expect(template.files.map(\.relativePath) == ["45_c.up.sql", "45_c.down.sql"])

        let stamped = try SourceFixtureTree(["20250501160746_a.up.sql": "SELECT 1;\n"])
        let next = try MigrationTemplate.make(name: "c", in: stamped.directory, now: now)
        #expect(next.version == "20250501160747")

        let empty = try SourceFixtureTree()
        #expect(try MigrationTemplate.make(name: "c", in: empty.directory, layout: .updown, now: now).version == "1")
    }

    @Test func sectionsFollowTheDirectoryFlavor() throws {
        let goose = try SourceFixtureTree(["00001_a.sql": "-- +goose Up\nSELECT 1;\n"])
        let template = try MigrationTemplate.make(name: "b", in: goose.directory, now: now)
        #expect(template.layout == .sections)
        #expect(template.files.map(\.relativePath) == ["00002_b.sql"])
        #expect(template.files[0].contents.contains("-- +goose Up\n"))
        #expect(template.files[0].contents.contains("-- +goose Down\n"))
        try template.write(to: goose.directory)
        let loaded = try goose.load()
        #expect(loaded.migrations.count == 2)
        #expect(loaded.migrations[1].down == .irreversible(path: goose.path("00002_b.sql")))

        let empty = try SourceFixtureTree()
        let dbmate = try MigrationTemplate.make(name: "b", in: empty.directory, layout: .sections, now: now)
        #expect(dbmate.files[0].relativePath == "001_b.sql")
        #expect(dbmate.files[0].contents.contains("-- migrate:up\n"))
        try dbmate.write(to: empty.directory)
        #expect(try empty.load().layout == .sections)
    }

    @Test func flywayIncrementsTheLastComponent() throws {
        let tree = try SourceFixtureTree(["V1__a.sql": "SELECT 1;\n", "V1_2__b.sql": "SELECT 1;\n", "R__v.sql": "SELECT 1;\n"])
        let template = try MigrationTemplate.make(name: "c", in: tree.directory, now: now)
        #expect(template.files.map(\.relativePath) == ["V1_3__c.sql", "U1_3__c.sql"])
        try template.write(to: tree.directory)
        #expect(try tree.load().migrations.map(\.id) == ["1", "1_2", "1_3", "R__v"])
    }

    @Test func nextVersionExamples() {
        let v = { (s: String) in MigrationVersion(s)! }
        #expect(MigrationTemplate.nextVersion(after: [v("001"), v("002")], layout: .flat) == "003")
        #expect(MigrationTemplate.nextVersion(after: [], layout: .dir) == "001")
        #expect(MigrationTemplate.nextVersion(after: [v("999")], layout: .dir) == "1000")
        #expect(MigrationTemplate.nextVersion(after: [v("1.9")], layout: .flyway) == "1.10")
        #expect(MigrationTemplate.nextVersion(after: [], layout: .timestamp, now: now) == "20240102_030405")
    }

    @Test(arguments: ["Add_users", "add-users", "../x", "a/b", "", "_x", "add users", "ünïcode"])
    func badNamesAreRefused(name: String) throws {
        let tree = try SourceFixtureTree()
        do {
            _ = try MigrationTemplate.make(name: name, in: tree.directory, now: now)
            Issue.record("name '\(name)' was accepted")
        } catch {
            #expect(error.code == .invalidSource)
            #expect(error.hint != nil)
        }
    }

    @Test func aDifferentLayoutThanTheDirectorysIsRefused() throws {
        let tree = try SourceFixtureTree(["001_a.sql": "SELECT 1;\n"])
        #expect(throws: StrataError.self) {
            try MigrationTemplate.make(name: "b", in: tree.directory, layout: .dir, now: now)
        }
        // flat and updown are one family.
        let template = try MigrationTemplate.make(name: "b", in: tree.directory, layout: .updown, now: now)
        #expect(template.files.map(\.relativePath) == ["002_b.up.sql", "002_b.down.sql"])
    }

    @Test func writeNeverOverwrites() throws {
        let tree = try SourceFixtureTree()
        let template = try MigrationTemplate.make(name: "a", in: tree.directory, layout: .flat, now: now)
        try tree.write("001_a.down.sql", "keep me\n")
        do {
            try template.write(to: tree.directory)
            Issue.record("existing file was overwritten")
        } catch {
            #expect(error.details == [tree.path("001_a.down.sql")])
        }
        #expect(!FileManager.default.fileExists(atPath: tree.path("001_a.sql")))
        #expect(try String(contentsOfFile: tree.path("001_a.down.sql"), encoding: .utf8) == "keep me\n")
    }
}
