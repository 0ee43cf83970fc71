import Foundation
import Strata
import StrataSQLite

/// The linter run of `strata up`: pending migrations are linted (tables created earlier in the
/// same run count as new), findings are printed on stderr, and the run is refused only when
/// `lint: {block_on: …}` in strata.yml says so. A missing down script (`STRATA001`) is left to
/// `strata lint`: many projects never write downs, and `up` would repeat it for every migration.
/// `--quiet` and `--format json` keep the findings off the terminal; `block_on` still applies.
enum UpLint {
    /// Lints the up steps of `plan`; throws `validation_failed` (exit 3) when a finding reaches
    /// the configured `block_on` severity.
    /// Migrations outside the plan count as applied context (they are applied, or not run now).
    static func check(_ plan: Plan, migrations: [Migration], engine: DatabaseEngine, context: CommandContext) throws(StrataError) {
        let pending = plan.steps.filter { $0.direction == .up }.compactMap(\.migration)
        guard !pending.isEmpty else { return }
        let planned = Set(pending.map(\.id))
        let applied = migrations.filter { !planned.contains($0.id) }
        let linter = Linter(engine: engine, sqliteVersion: SQLiteDriver.linkedLibraryVersion, scope: .run)
        let diagnostics = linter.lint(pending, context: applied).filter { $0.code != LintRule.missingDown.code }
        guard !diagnostics.isEmpty else { return }
        if !context.console.quiet && !context.console.isJSON {
            Console.write(LintOutput.warnings(diagnostics), to: FileHandle.standardError)
        }
        if let block = context.config.lintBlockOn, diagnostics.contains(where: { $0.severity >= block }) {
            throw StrataError(.validationFailed, "lint found \(block.rawValue)s in the pending migrations (lint.block_on: \(block.rawValue) in strata.yml)",
                              hint: "fix the statements, or add `-- strata:lint-ignore CODE` on the line before one you have checked")
        }
    }
}
