import Testing
@testable import Strata

/// Builders shared by the maintenance tests.
enum MaintenanceFixtures {
    static let identity = RunIdentity(user: "tester", hostname: "box")
    static let now = "2026-02-03T04:05:06.007Z"

    static func migration(_ v: String, sql: String? = nil, down: String? = "DROP TABLE t;\n") -> Migration {
        let up = MigrationScript(path: "m/\(v)_x.sql", sql: sql ?? "CREATE TABLE t\(v) (id INT);\n")
        return Migration(version: MigrationVersion(v)!, name: "x\(v)", description: "m \(v)", layout: .flat,
                         sourcePath: up.path, up: up,
                         down: down.map { .script(MigrationScript(path: "m/\(v)_x.down.sql", sql: $0)) } ?? .none)
    }

    static func repeatable(_ name: String, sql: String = "CREATE VIEW IF NOT EXISTS v AS SELECT 1;\n") -> Migration {
        let up = MigrationScript(path: "m/R__\(name).sql", sql: sql)
        return Migration(version: nil, name: name, description: name, kind: .repeatable, layout: .flyway,
                         sourcePath: up.path, up: up)
    }

    static func record(_ m: Migration, _ status: HistoryStatus = .applied, checksum: String? = nil, dirty: Bool = false,
                       rolledBackAt: String? = nil, error: String? = nil) -> HistoryRecord {
        HistoryRecord(version: m.id, description: m.description, kind: m.kind, script: m.up.path,
                      checksum: checksum ?? m.checksum, downSQL: "DROP TABLE t;", appliedBy: "u", hostname: "h",
                      appliedAt: "2026-01-01T00:00:00.000Z", executionTimeMs: 1, status: status,
                      rolledBackAt: rolledBackAt, errorMessage: error, dirty: dirty)
    }

    static func upserts(_ plan: MaintenancePlan) -> [HistoryRecord] {
        plan.writes.compactMap { if case .upsert(let r) = $0 { r } else { nil } }
    }

    static func logEntries(_ plan: MaintenancePlan) -> [LogEntry] {
        plan.writes.compactMap { if case .append(let e) = $0 { e } else { nil } }
    }

    static func deletes(_ plan: MaintenancePlan) -> [String] {
        plan.writes.compactMap { if case .delete(let v) = $0 { v } else { nil } }
    }
}
