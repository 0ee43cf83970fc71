import Foundation
import Strata

/// A feature the engine lacks, for `strata doctor` on every engine: a failure naming the
/// migration files that use it (by a pattern over their upper-cased SQL), else `unusedStatus`.
enum UnsupportedFeatureCheck {
    /// The up and down scripts of the migrations, which the usage patterns are matched against.
    static func scripts(of migrations: [Migration]) -> [MigrationScript] {
        migrations.flatMap { m in [m.up, m.downScript].compactMap { $0 } }
    }

    static func check(name: String, needs requirement: String, usage: String?, in scripts: [MigrationScript],
                      unusedStatus: DoctorCheck.Status, hint: String) -> DoctorCheck {
        let users = usage.map { pattern in
            scripts.filter { $0.sql.uppercased().range(of: pattern, options: .regularExpression) != nil }.map(\.path)
        } ?? []
        return DoctorCheck(
            name: name, status: users.isEmpty ? unusedStatus : .failed,
            summary: "not supported (needs \(requirement))"
                + (users.isEmpty ? "" : "; used by \(users.count) migration file\(users.count == 1 ? "" : "s")"),
            details: Array(users.prefix(5)), hint: hint)
    }
}
