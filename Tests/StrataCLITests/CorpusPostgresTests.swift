import Foundation
import PostgresTestServer
import Testing

/// Every PostgreSQL chain of `../shared/corpora` applies with `strata up` and ends with the same
/// `pg_dump -s` as `psql` applying the same files to another fresh database (`psql -1` per file,
/// plain `psql` for no-transaction ones); chains whose downs are correct round-trip
/// up → down → up.
@Suite("Corpora on PostgreSQL")
struct CorpusPostgresTests {
    static let chains: [Corpus.Chain] = (try? Corpus.chains(engine: "postgres")) ?? []

    @Test("the corpora hold PostgreSQL chains")
    func corporaPresent() throws {
        let names = Set(try Corpus.chains(engine: "postgres").map(\.name))
        for expected in ["atuin-server-postgres", "golang-migrate-postgres", "goose-examples-postgres",
                         "goose-integration-postgres", "goose-testdata-postgres"] {
            #expect(names.contains(expected), "missing chain \(expected); found \(names.sorted())")
        }
    }

    @Test("applies like psql and round-trips", arguments: chains)
    func chain(_ chain: Corpus.Chain) throws {
        let tmp = try TemporaryDirectory()
        let strataDB = try PostgresDatabase(), plainDB = try PostgresDatabase()
        let runs = chain.directories.enumerated().map { i, dir in
            ["-d", strataDB.url, "-m", dir.path] + (i == 0 ? [] : ["--history-table", "strata_history_\(i)"])
        }
        func strata(_ command: [String], reversed: Bool = false) throws {
            for base in reversed ? runs.reversed() : runs {
                let r = try StrataProcess.strata(base + command, in: tmp.url)
                #expect(r.exitCode == 0, "\(chain.name) \(command): \(r)")
                #expect(!r.stdout.contains(strataDB.password) && !r.stderr.contains(strataDB.password), "the password was printed")
            }
        }

        try strata(["up"])

        for step in chain.steps {
            let sql = try chain.sql(step.up)
            _ = try plainDB.server.psql(plainDB.name, sql, arguments: step.noTransaction ? [] : ["-1", "-f", "-"])
        }
        let expected = try plainDB.schema()
        let actual = try strataDB.schema()
        #expect(!expected.isEmpty, "\(chain.name): psql built no schema")
        #expect(actual == expected, "\(chain.name): schema differs from psql\n--- psql\n\(expected)\n--- strata\n\(actual)")

        let tables = ["strata_schema_history"] + (1..<runs.count).map { "strata_history_\($0)" }
        let counted = try tables.map { table in
            Int(try strataDB.psql("SELECT count(*) FROM \(table) WHERE status = 'applied'")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }.reduce(0, +)
        #expect(counted == chain.steps.count, "\(chain.name): every step is recorded as applied")
        let invalid = try strataDB.psql("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
        #expect(invalid == "0\n", "\(chain.name): an index was left invalid")

        guard chain.steps.allSatisfy({ $0.down != nil }) else { return }
        try strata(["down", "--all"], reversed: true)
        #expect(try strataDB.schema() == (try emptySchema()), "\(chain.name): down --all left objects behind")
        try strata(["up"])
        #expect(try strataDB.schema() == expected, "\(chain.name): up → down → up changed the schema")
    }

    /// The dump of a database with nothing in it.
    private func emptySchema() throws -> String {
        try PostgresDatabase().schema()
    }
}
