import Testing
@testable import Strata

@Suite("Maintenance: Baseline")
struct BaselineTests {
    typealias F = MaintenanceFixtures
    let ms = ["001", "002", "003"].map { MaintenanceFixtures.migration($0) } + [MaintenanceFixtures.repeatable("views")]

    func baseline(_ v: String, records: [HistoryRecord] = []) throws(StrataError) -> MaintenancePlan {
        try Baseline(migrations: ms, records: records, version: MigrationVersion(v)!, identity: F.identity, now: F.now).plan()
    }

    @Test func marksEverythingUpToTheVersionWithoutRunning() throws {
        let plan = try baseline("2")
        #expect(plan.changes.map(\.version) == ["001", "002"])
        let rows = F.upserts(plan)
        #expect(rows.allSatisfy { $0.kind == .baseline && $0.status == .baselined && $0.executionTimeMs == 0 && $0.appliedAt == F.now })
        #expect(rows[0].checksum == ms[0].checksum && rows[0].downSQL == "DROP TABLE t;\n")
        #expect(F.logEntries(plan).map(\.event) == [.baselined, .baselined])
        let planner = Planner(migrations: ms, records: rows, engine: .sqlite)
        #expect(planner.currentVersion == "002")
        #expect(try planner.plan(.up(target: nil, allowOutOfOrder: false)).steps.map(\.version) == ["003", "R__views"])
        // The stored down script lets the baselined migration be rolled back later.
        #expect(try planner.plan(.down(.steps(1))).steps.map(\.version) == ["002"])
    }

    @Test func unknownVersionIsRefused() {
        #expect { try baseline("7") } throws: { ($0 as? StrataError)?.code == .unknownVersion }
    }

    @Test func refusesWhenTheHistoryHasAppliedVersions() {
        #expect { try baseline("3", records: [F.record(ms[0])]) } throws: {
            guard let e = $0 as? StrataError else { return false }
            return e.code == .validationFailed && e.code.exitCode == 3 && e.message.contains("001")
        }
        #expect { try baseline("3", records: [F.record(ms[2], .failed, dirty: true)]) } throws: {
            ($0 as? StrataError)?.code == .validationFailed
        }
    }

    @Test func replacesRowsThatAreNotInEffect() throws {
        let plan = try baseline("3", records: [F.record(ms[1], .rolledBack), F.record(ms[2], .failed)])
        #expect(plan.changes.map(\.version) == ["001", "002", "003"])
    }
}
