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

    @Test func gapsAreWarnings() {
        let p = Planner(migrations: [Self.migration("001"), Self.migration("004")], records: [], engine: .sqlite)
        #expect(p.problems().map { "\($0.kind.rawValue) \($0.severity.rawValue)" } == ["gap warning"])
    }
}
