import Testing
@testable import Strata

@Suite("Planner")
struct PlannerTests {
    static func migration(_ v: String, down: Bool = true, sql: String? = nil) -> Migration {
        let up = MigrationScript(path: "m/\(v)_x.sql", sql: sql ?? "CREATE TABLE t\(v) (id INT);\n")
        return Migration(version: MigrationVersion(v)!, name: "m\(v)", description: "m \(v)", layout: .flat,
                         sourcePath: up.path, up: up,
                         down: down ? .script(MigrationScript(path: "m/\(v)_x.down.sql", sql: "DROP TABLE t\(v);\n")) : .none)
    }

    static func record(_ m: Migration, _ status: HistoryStatus = .applied, checksum: String? = nil, dirty: Bool = false) -> HistoryRecord {
        HistoryRecord(version: m.id, description: m.description, kind: .sql, script: m.up.path, checksum: checksum ?? m.checksum,
                      downSQL: "DROP TABLE t\(m.id);", appliedBy: "u", hostname: "h", appliedAt: "2026-01-01T00:00:00.000Z",
                      executionTimeMs: 1, status: status, dirty: dirty)
    }

    let ms = ["001", "002", "003"].map { PlannerTests.migration($0) }

    /// `problems()` skips building entries when nothing can be wrong; over many random states
    /// (rows applied, rolled back, failed, dirty, edited, without a file, written "1" beside
    /// "001", repeatables) it says exactly what the long way says.
    @Test func problemsShortcutAgreesWithTheLongWay() {
        var rng = SystemRandomNumberGenerator()
        var shortcutTaken = 0
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...6, using: &rng)
            let migrations = (1...max(count, 1)).prefix(count).map { Self.migration(String(format: "%03d", $0)) }
            var records: [HistoryRecord] = []
            for m in migrations {
                switch Int.random(in: 0..<12, using: &rng) {
                case 0...4: records.append(Self.record(m))
                case 5: records.append(Self.record(m, .rolledBack))
                case 6: records.append(Self.record(m, .failed, dirty: Bool.random(using: &rng)))
                case 7: records.append(Self.record(m, checksum: "edited"))
                case 8: records.append(Self.record(m, .baselined))
                default: break
                }
            }
            if Int.random(in: 0..<8, using: &rng) == 0 {  // a row whose file is gone
                records.append(Self.record(Self.migration("\(100 + Int.random(in: 0..<5, using: &rng))")))
            }
            if Int.random(in: 0..<8, using: &rng) == 0, let m = migrations.first {  // "1" beside "001"
                var other = Self.record(m)
                other.version = String(Int(m.id)!)
                records.append(other)
            }
            let planner = Planner(migrations: migrations, records: records, engine: .sqlite)
            let problems = planner.problems()
            #expect(problems == planner.problemsFromEntries(), "migrations \(migrations.map(\.id)), rows \(records.map { "\($0.version):\($0.status.rawValue)" })")
            if problems.isEmpty { shortcutTaken += 1 }
        }
        #expect(shortcutTaken > 100, "the random states should often have no problem")
    }

    /// After a run, the migrator works the version in effect out from the plan instead of reading
    /// the history again; it must say what a fresh read says.
    @Test func currentVersionAfterStepsMatchesAFreshRead() throws {
        let before = Planner(migrations: ms, records: [Self.record(ms[0]), Self.record(ms[1], .rolledBack)], engine: .sqlite)
        let up = [RunReport.Step(version: "002", description: "", direction: .up, executionTimeMs: 0),
                  RunReport.Step(version: "003", description: "", direction: .up, executionTimeMs: 0)]
        #expect(Migrator.currentVersion(after: up, from: before) == "003")
        #expect(Migrator.currentVersion(after: Array(up.prefix(1)), from: before) == "002")
        #expect(Migrator.currentVersion(after: [], from: before) == "001")
        let all = Planner(migrations: ms, records: ms.map { Self.record($0) }, engine: .sqlite)
        let down = ["003", "002", "001"].map { RunReport.Step(version: $0, description: "", direction: .down, executionTimeMs: 0) }
        #expect(Migrator.currentVersion(after: Array(down.prefix(2)), from: all) == "001")
        #expect(Migrator.currentVersion(after: down, from: all) == nil)
    }

    @Test func upAppliesPendingInOrderUpToTarget() throws {
        let p = Planner(migrations: ms.reversed(), records: [Self.record(ms[0])], engine: .sqlite)
        #expect(try p.plan(.up(target: nil, allowOutOfOrder: false)).steps.map(\.version) == ["002", "003"])
        #expect(try p.plan(.up(target: MigrationVersion("2"), allowOutOfOrder: false)).steps.map(\.version) == ["002"])
        #expect(p.currentVersion == "001")
    }

    @Test func downToAndRedo() throws {
        let p = Planner(migrations: ms, records: ms.map { Self.record($0) }, engine: .sqlite)
        #expect(try p.plan(.down(.steps(2))).steps.map(\.version) == ["003", "002"])
        #expect(try p.plan(.down(.all)).steps.map(\.version) == ["003", "002", "001"])
        #expect(try p.plan(.down(.target(MigrationVersion("1")!))).steps.map(\.version) == ["003", "002"])
        #expect(try p.plan(.to(MigrationVersion("2")!)).steps.map { "\($0.direction.rawValue) \($0.version)" } == ["down 003"])
        #expect(try p.plan(.redo).steps.map { "\($0.direction.rawValue) \($0.version)" } == ["down 003", "up 003"])
    }

    @Test func outOfOrderPendingNeedsPermission() throws {
        let p = Planner(migrations: ms, records: [Self.record(ms[0]), Self.record(ms[2])], engine: .sqlite)
        #expect(p.problems().map(\.kind) == [.outOfOrder])
        do {
            _ = try p.plan(.up(target: nil, allowOutOfOrder: false))
            Issue.record("expected a validation error")
        } catch {
            #expect(error.code == .validationFailed)
        }
        #expect(try p.plan(.up(target: nil, allowOutOfOrder: true)).steps.map(\.version) == ["002"])
    }

    @Test func changedAndMissingStopUpButNotDown() throws {
        let changed = Planner(migrations: ms, records: [Self.record(ms[0], checksum: "abc")], engine: .sqlite)
        #expect(changed.problems().first?.kind == .changed)
        #expect(throws: StrataError.self) { try changed.plan(.up(target: nil, allowOutOfOrder: false)) }
        #expect(try changed.plan(.down(.steps(1))).steps.map(\.version) == ["001"])

        let gone = Self.migration("004")
        let missing = Planner(migrations: ms, records: [Self.record(gone)], engine: .sqlite)
        #expect(missing.entries().contains { $0.state == .missing && $0.version == "004" })
        let down = try missing.plan(.down(.steps(1)))
        #expect(down.steps.first?.script.sql == "DROP TABLE t004;", "uses the stored down_sql")
    }

    @Test func dirtyFailureBlocksEverythingAndCleanFailureIsRetried() throws {
        let dirty = Planner(migrations: ms, records: [Self.record(ms[0], .failed, dirty: true)], engine: .sqlite)
        #expect(throws: StrataError.self) { try dirty.plan(.up(target: nil, allowOutOfOrder: false)) }
        let clean = Planner(migrations: ms, records: [Self.record(ms[0], .failed)], engine: .sqlite)
        #expect(try clean.plan(.up(target: nil, allowOutOfOrder: false)).steps.map(\.version) == ["001", "002", "003"])
    }

    @Test func noDownScriptIsIrreversible() throws {
        let m = Self.migration("001", down: false)
        var r = Self.record(m)
        r.downSQL = nil
        let p = Planner(migrations: [m], records: [r], engine: .sqlite)
        do {
            _ = try p.plan(.down(.steps(1)))
            Issue.record("expected irreversible")
        } catch {
            #expect(error.code == .irreversible)
        }
    }

    @Test func vacuumAndConcurrentIndexRunOutsideATransaction() throws {
        let vacuum = Self.migration("001", sql: "DELETE FROM t;\nVACUUM;\n")
        let plan = try Planner(migrations: [vacuum], records: [], engine: .sqlite).plan(.up(target: nil, allowOutOfOrder: false))
        #expect(plan.steps[0].options.transactional == false)
        #expect(plan.warnings.count == 1)
        let concurrent = Self.migration("001", sql: "CREATE UNIQUE INDEX CONCURRENTLY i ON t (x);\n")
        let pg = try Planner(migrations: [concurrent], records: [], engine: .postgres).plan(.up(target: nil, allowOutOfOrder: false))
        #expect(pg.steps[0].options.transactional == false)
        let sqlite = try Planner(migrations: [concurrent], records: [], engine: .sqlite).plan(.up(target: nil, allowOutOfOrder: false))
        #expect(sqlite.steps[0].options.transactional == true)
    }

    @Test func lowerCaseAndMixedCaseKeywordsAreFound() throws {
        for sql in ["vacuum;\n", "-- tidy\nVaCuUm main;\n"] {
            let plan = try Planner(migrations: [Self.migration("001", sql: sql)], records: [], engine: .sqlite)
                .plan(.up(target: nil, allowOutOfOrder: false))
            #expect(plan.steps[0].options.transactional == false, "\(sql)")
        }
        let pg = try Planner(migrations: [Self.migration("001", sql: "create index concurrently i on t (x);\n")],
                             records: [], engine: .postgres).plan(.up(target: nil, allowOutOfOrder: false))
        #expect(pg.steps[0].options.transactional == false)
        #expect(ByteSearch.containsIgnoringASCIICase("ab vacuuM", "VACUUM"))
        #expect(ByteSearch.containsIgnoringASCIICase("VACUU", "VACUUM") == false)
        #expect(ByteSearch.containsIgnoringASCIICase("vac_uum", "VACUUM") == false)
        #expect(ByteSearch.containsIgnoringASCIICase("é systém system", "SYSTEM"))
    }

    @Test func gapsAreWarnings() {
        let p = Planner(migrations: [Self.migration("001"), Self.migration("004")], records: [], engine: .sqlite)
        #expect(p.problems().map { "\($0.kind.rawValue) \($0.severity.rawValue)" } == ["gap warning"])
    }
}
