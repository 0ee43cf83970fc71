import Foundation
import Testing

/// Every SQLite chain of `../shared/corpora` applies with `strata up` and ends with the same schema as
/// plain `sqlite3` applying the same files (each wrapped in BEGIN/COMMIT unless marked
/// no-transaction); chains whose downs are correct round-trip up → down → up.
@Suite("Corpora on SQLite")
struct CorpusSQLiteTests {
    static let chains: [Corpus.Chain] = (try? Corpus.chains(engine: "sqlite")) ?? []

    @Test("the corpora hold SQLite chains")
    func corporaPresent() throws {
        let chains = try Corpus.chains(engine: "sqlite")
        #expect(chains.count >= 10, "expected the SQLite chains of atuin, golang-migrate and goose; found \(chains.map(\.name))")
    }

    /// Downs known to be wrong in the corpora: atuin's MySQL-syntax down.
    static let brokenDowns: Set<String> = ["atuin-scripts"]

    @Test("applies like plain sqlite3 and round-trips", arguments: chains)
    func chain(_ chain: Corpus.Chain) throws {
        let tmp = try TemporaryDirectory()
        let strataDB = tmp.path("strata.db"), plainDB = tmp.path("plain.db")
        // One history table per directory: a chain spanning several directories (goose's seed data)
        // keeps the versions of each apart, as separate Strata projects would.
        let runs = chain.directories.enumerated().map { i, dir in
            ["-d", "sqlite:\(strataDB.path)", "-m", dir.path] + (i == 0 ? [] : ["--history-table", "strata_history_\(i)"])
        }
        func strata(_ command: [String], reversed: Bool = false) throws {
            for base in reversed ? runs.reversed() : runs {
                let r = try StrataProcess.strata(base + command, in: tmp.url)
                #expect(r.exitCode == 0, "\(chain.name) \(command): \(r)")
            }
        }

        try strata(["up"])

        for step in chain.steps {
            let sql = try chain.sql(step.up)
            _ = try StrataProcess.sqlite3(plainDB, step.noTransaction ? sql : "BEGIN;\n\(sql)\n;COMMIT;")
        }
        let expected = try StrataProcess.schema(plainDB)
        let actual = try StrataProcess.schema(strataDB)
        #expect(actual == expected, "\(chain.name): schema differs from plain sqlite3")

        let tables = ["strata_schema_history"] + (1..<runs.count).map { "strata_history_\($0)" }
        let counted = try tables.map { table in
            Int(try StrataProcess.sqlite3(strataDB, "SELECT count(*) FROM \(table) WHERE status = 'applied';")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }.reduce(0, +)
        #expect(counted == chain.steps.count, "\(chain.name): every step is recorded as applied")

        guard chain.steps.allSatisfy({ $0.down != nil }), !Self.brokenDowns.contains(chain.name) else { return }
        try strata(["down", "--all"], reversed: true)
        #expect(try StrataProcess.schema(strataDB) == "", "\(chain.name): down --all left objects behind")
        try strata(["up"])
        #expect(try StrataProcess.schema(strataDB) == expected, "\(chain.name): up → down → up changed the schema")
    }

    @Test("atuin's MySQL-syntax down fails with a located error and leaves the database as it was")
    func brokenAtuinDown() throws {
        let chain = try #require(Self.chains.first { $0.name == "atuin-scripts" })
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.db")
        let base = ["-d", "sqlite:\(db.path)", "-m", chain.directory.path]
        #expect(try StrataProcess.strata(base + ["up"], in: tmp.url).exitCode == 0)
        let before = try StrataProcess.schema(db)
        let history = try StrataProcess.sqlite3(db, "SELECT version, status FROM strata_schema_history ORDER BY version;")

        let down = try StrataProcess.strata(base + ["down"], in: tmp.url)
        #expect(down.exitCode == 1, "\(down)")
        #expect(down.stderr.contains("20250402170430_unique_names.down.sql:2:"), "\(down.stderr)")
        #expect(try StrataProcess.schema(db) == before)
        #expect(try StrataProcess.sqlite3(db, "SELECT version, status FROM strata_schema_history ORDER BY version;") == history)
        let failures = try StrataProcess.sqlite3(db, "SELECT count(*) FROM strata_schema_log WHERE event = 'failed';")
        #expect(failures.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}
