import Testing
@testable import Strata

@Suite("Versions, checksums, URLs, config")
struct CoreModelTests {
    @Test func versionsCompareNumericallyByComponent() throws {
        let v = { (s: String) in MigrationVersion(s)! }
        #expect(v("001") == v("1"))
        #expect(v("1.0") == v("1"))
        #expect(v("1.10") > v("1.9"))
        #expect(v("1.1.0") < v("1.2"))
        #expect(v("20241227_143000") < v("20241227_143001"))
        #expect(v("2018-01-14-171611") < v("2018-01-15-000000"))
        #expect(Set([v("001"), v("1"), v("1.0")]).count == 1)
        for bad in ["", "v1", "1..2", "1_", "_1", "1a", "99999999999999999999999"] {
            #expect(MigrationVersion(bad) == nil, "\(bad)")
        }
    }

    @Test func checksumIgnoresLineEndingsAndBOM() {
        let lf = Checksum.sha256Hex(ofScript: "CREATE TABLE a (id INT);\nSELECT 1;\n")
        #expect(Checksum.sha256Hex(ofScript: "CREATE TABLE a (id INT);\r\nSELECT 1;\r\n") == lf)
        #expect(Checksum.sha256Hex(ofScript: "CREATE TABLE a (id INT);\rSELECT 1;\r") == lf)
        #expect(Checksum.sha256Hex(ofScript: "\u{FEFF}CREATE TABLE a (id INT);\nSELECT 1;\n") == lf)
        #expect(Checksum.sha256Hex(ofScript: "CREATE TABLE a (id INT);\nSELECT 2;\n") != lf)
        #expect(Checksum.sha256Hex(ofScript: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func databaseURLs() throws {
        #expect(try DatabaseURL.parse("sqlite:data/app.db").path == "data/app.db")
        #expect(try DatabaseURL.parse("sqlite:///abs/app.db").path == "/abs/app.db")
        #expect(try DatabaseURL.parse("app.sqlite3").path == "app.sqlite3")
        #expect(try DatabaseURL.parse("postgres://u:secret@h:5432/db").engine == .postgres)
        #expect(try DatabaseURL.parse("postgresql://u:secret@h/db?sslmode=require").redacted == "postgresql://u:***@h/db?sslmode=require")
        #expect(DatabaseURL.redact("postgres://u@/db?host=/tmp&password=hunter2") == "postgres://u@/db?host=/tmp&password=***")
        #expect(throws: StrataError.self) { try DatabaseURL.parse("mysql://x/y") }
        #expect(throws: StrataError.self) { try DatabaseURL.parse("app.txt") }
    }

    @Test func configExpandsVariablesAndLocatesErrors() throws {
        let config = try ProjectConfiguration.parse("""
            migrations: db/migrations
            backups: { keep: 5 }
            environments:
              production:
                database: "${DB_URL}"
                protected: true
            """, path: "strata.yml", environment: ["DB_URL": "sqlite:prod.db"])
        #expect(config.migrations == "db/migrations")
        #expect(config.backups.keep == 5)
        #expect(config.environments["production"]?.database == "sqlite:prod.db")
        #expect(config.environments["production"]?.protected == true)
        #expect(ProjectConfiguration.expand("a$(rm -rf /)${X}b", environment: ["X": "1"]) == "a$(rm -rf /)1b")
        do {
            _ = try ProjectConfiguration.parse("migrations: x\nbogus: 1\n", path: "strata.yml", environment: [:])
            Issue.record("an unknown key must be an error")
        } catch {
            #expect(error.location?.line == 2)
        }
    }
}
