import Testing
@testable import Strata

@Suite("Maintenance: Repair")
struct RepairTests {
    typealias F = MaintenanceFixtures

    func repair(_ ms: [Migration], _ rs: [HistoryRecord], log: [LogEntry] = []) -> MaintenancePlan {
        Repair(migrations: ms, records: rs, log: log, identity: F.identity, now: F.now).plan()
    }

    @Test func acceptsTheChecksumOfAnEditedAppliedMigration() {
        let m = F.migration("001")
        let plan = repair([m], [F.record(m, checksum: "0123456789abcdef0123")])
        #expect(plan.changes.map(\.action) == [.acceptChecksum])
        #expect(plan.changes[0].message.contains("0123456789ab…"), "\(plan.changes[0].message)")
        let up = F.upserts(plan)
        #expect(up.count == 1 && up[0].checksum == m.checksum && up[0].status == .applied && up[0].downSQL == "DROP TABLE t;")
        let log = F.logEntries(plan)
        #expect(log.count == 1 && log[0].event == .repaired && log[0].actor == "tester" && log[0].hostname == "box"
                && log[0].at == F.now && log[0].checksum == m.checksum)
        // After the repair the planner sees nothing wrong.
        #expect(Planner(migrations: [m], records: up, engine: .sqlite).problems().isEmpty)
    }

    @Test func nothingToDoWhenEverythingMatches() {
        let ms = [F.migration("001"), F.migration("002")]
        let plan = repair(ms, [F.record(ms[0]), F.record(ms[1], .rolledBack, checksum: "old")])
        #expect(plan.isEmpty && plan.changes.isEmpty)
    }

    @Test func leavesMissingFilesAndRepeatablesAlone() {
        let gone = F.migration("009")
        let r = F.repeatable("views")
        let plan = repair([r], [F.record(gone, checksum: "x"), F.record(r, checksum: "old")])
        #expect(plan.isEmpty)
    }

    @Test func failedApplyOfANeverAppliedVersionIsDeleted() throws {
        let m = F.migration("002")
        let failed = F.record(m, .failed, dirty: true, error: "m/002_x.sql:2:1: error: no such table: nowhere")
        let plan = repair([m], [failed])
        #expect(F.deletes(plan) == ["002"])
        #expect(plan.changes.map(\.action) == [.clearFailed])
        #expect(plan.changes[0].message.contains("no such table"))
        #expect(F.logEntries(plan).map(\.event) == [.repaired])
        // The version is pending again.
        let planner = Planner(migrations: [m], records: [], engine: .sqlite)
        #expect(try planner.plan(.up(target: nil, allowOutOfOrder: false)).steps.map(\.version) == ["002"])
    }

    @Test func nonDirtyFailedRowsAreClearedToo() {
        let m = F.migration("003")
        let plan = repair([m], [F.record(m, .failed, dirty: false, error: "boom")])
        #expect(F.deletes(plan) == ["003"])
    }

    @Test func failedReapplyAfterARollbackReturnsToRolledBack() {
        let m = F.migration("004")
        let plan = repair([m], [F.record(m, .failed, dirty: true, rolledBackAt: "2026-01-02T00:00:00.000Z", error: "x")])
        let up = F.upserts(plan)
        #expect(up.count == 1 && up[0].status == .rolledBack && !up[0].dirty && up[0].errorMessage == nil)
    }

    @Test func failedRollbackReturnsToApplied() {
        let m = F.migration("005")
        let log = [LogEntry(version: "005", event: .applied, description: "", checksum: nil, actor: "u", hostname: "h", at: "a"),
                   LogEntry(version: "5", event: .failed, description: "", checksum: nil, actor: "u", hostname: "h", at: "b",
                            message: "down: error: boom")]
        let plan = repair([m], [F.record(m, .failed, dirty: true, error: "boom")], log: log)
        let up = F.upserts(plan)
        #expect(up.count == 1 && up[0].status == .applied && !up[0].dirty)
        #expect(plan.changes[0].message.contains("roll-back"))
    }

    @Test func changesAreOrderedByVersion() {
        let ms = ["010", "2", "001"].map { F.migration($0) }
        let plan = repair(ms, ms.map { F.record($0, checksum: "old") })
        #expect(plan.changes.map(\.version) == ["001", "2", "010"])
        #expect(plan.writes.count == 6)
    }
}
