import Foundation
import Testing

/// Each layout of SPEC §2 applies up, down and `to` through the built binary on a real SQLite file.
@Suite("Layouts end to end")
struct LayoutEndToEndTests {
    struct Fixture: CustomStringConvertible, Sendable {
        var name: String
        var layout: String
        var versions: [String]
        var files: [String: String]
        var description: String { name }
    }

    static func table(_ n: String) -> String { "CREATE TABLE t_\(n) (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t_\(n) (v) VALUES ('x');\n" }
    static func drop(_ n: String) -> String { "DROP TABLE t_\(n);\n" }

    static let fixtures: [Fixture] = {
        let names = ["a", "b", "c"]
        var all: [Fixture] = []
        func make(_ name: String, _ layout: String, _ versions: [String], _ build: (String, String) -> [String: String]) {
            var files: [String: String] = [:]
            for (v, n) in zip(versions, names) { files.merge(build(v, n)) { a, _ in a } }
            all.append(Fixture(name: name, layout: layout, versions: versions, files: files))
        }
        make("dir", "dir", ["001", "002", "003"]) { v, n in
            ["V\(v)__create_\(n)/up.sql": table(n), "V\(v)__create_\(n)/down.sql": drop(n),
             "V\(v)__create_\(n)/metadata.yaml": "description: \"Create \(n)\"\nauthor: test\n"]
        }
        make("diesel", "dir", ["2018-01-14-171611", "2018-01-15-090000", "2018-02-01-000000"]) { v, n in
            ["\(v)_create_\(n)/up.sql": table(n), "\(v)_create_\(n)/down.sql": drop(n)]
        }
        make("flat", "flat", ["001", "002", "003"]) { v, n in
            ["\(v)_create_\(n).sql": "-- Migration: Create \(n)\n" + table(n), "\(v)_create_\(n).down.sql": drop(n)]
        }
        make("timestamp", "timestamp", ["20241227_143000", "20241228_090000", "20250101_000000"]) { v, n in
            ["\(v)_create_\(n).sql": "BEGIN;\n" + table(n) + "COMMIT;\n", "\(v)_create_\(n)_rollback.sql": "BEGIN;\n" + drop(n) + "COMMIT;\n"]
        }
        make("updown", "updown", ["1", "2", "10"]) { v, n in
            ["\(v)_create_\(n).up.sql": table(n), "\(v)_create_\(n).down.sql": drop(n)]
        }
        make("dbmate", "sections", ["20240101000001", "20240101000002", "20240101000003"]) { v, n in
            ["\(v)_create_\(n).sql": "-- migrate:up\n" + table(n) + "\n-- migrate:down\n" + drop(n)]
        }
        make("goose", "sections", ["00001", "00002", "00003"]) { v, n in
            ["\(v)_create_\(n).sql": """
            -- +goose Up
            -- +goose StatementBegin
            CREATE TABLE t_\(n) (id INTEGER PRIMARY KEY, v TEXT);
            -- +goose StatementEnd
            INSERT INTO t_\(n) (v) VALUES ('x');

            -- +goose Down
            DROP TABLE t_\(n);

            """]
        }
        make("flyway", "flyway", ["1", "1_1", "2"]) { v, n in
            ["V\(v)__create_\(n).sql": table(n), "U\(v)__create_\(n).sql": drop(n)]
        }
        return all
    }()

    func tables(_ db: URL) throws -> [String] {
        try StrataProcess.sqlite3(db, "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 't_%' ORDER BY name;")
            .split(separator: "\n").map(String.init)
    }

    @Test("applies up, down and to", arguments: fixtures)
    func upDownTo(_ fixture: Fixture) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(fixture.files, under: "migrations")
        let db = tmp.path("app.db")
        let base = ["-d", "sqlite:\(db.path)"]

        var r = try StrataProcess.strata(base + ["up"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try tables(db) == ["t_a", "t_b", "t_c"])

        r = try StrataProcess.strata(base + ["list", "--format", "json"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(r.stdout.contains("\"state\": \"applied\""))

        r = try StrataProcess.strata(base + ["down"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try tables(db) == ["t_a", "t_b"])

        r = try StrataProcess.strata(base + ["to", fixture.versions[0]], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try tables(db) == ["t_a"])

        r = try StrataProcess.strata(base + ["to", "--version", fixture.versions[2]], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try tables(db) == ["t_a", "t_b", "t_c"])

        r = try StrataProcess.strata(base + ["status", "--format", "json"], in: tmp.url)
        #expect(r.stdout.contains("\"current_version\": \"\(fixture.versions[2])\""), "\(r)")

        r = try StrataProcess.strata(base + ["down", "--all"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try tables(db) == [])

        r = try StrataProcess.strata(base + ["up", "--target", fixture.versions[1]], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        #expect(try tables(db) == ["t_a", "t_b"])

        // Every transition is in the append-only log: 3 up, 1 down, 1 down, 2 up, 3 down, 2 up.
        let events = try StrataProcess.sqlite3(db, "SELECT count(*) FROM strata_schema_log;")
        #expect(events.trimmingCharacters(in: .whitespacesAndNewlines) == "12")
    }
}
