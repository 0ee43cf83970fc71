import Foundation
import Strata

/// The engine-independent part of `strata doctor`: the configuration, the migrations directory,
/// and the consistency of the history with the migrations (the planner's problems).
enum ProjectDiagnosis {
    /// The `Project` section, and the migrations it loaded (empty when they cannot be loaded).
    static func project(_ context: CommandContext) -> (DoctorSection, LoadedMigrations?) {
        var checks: [DoctorCheck] = []
        let configPath = context.options.config ?? (FileManager.default.fileExists(atPath: "strata.yml") ? "strata.yml" : nil)
        var config = configPath.map { "\($0)" } ?? "none (defaults; `strata init` writes strata.yml)"
        if let env = context.environmentName { config += ", environment \(env)\(context.isProtected ? " (protected)" : "")" }
        checks.append(DoctorCheck(name: "config", status: configPath == nil ? .info : .ok, summary: config))
        checks.append(DoctorCheck(name: "database", status: context.databaseIsDefault ? .info : .ok,
                                  summary: "\(context.database.redacted) (from \(context.databaseSource))",
                                  hint: context.databaseIsDefault ? "name the database with --database, the config file or STRATA_DATABASE_URL" : nil))
        var loaded: LoadedMigrations?
        do {
            let result = try MigrationDirectory(path: context.migrationsPath).load()
            loaded = result
            let layout = result.layout.map { "\($0.rawValue) layout" } ?? "no layout (empty)"
            let latest = result.latestVersion.map { ", newest \($0)" } ?? ""
            checks.append(DoctorCheck(
                name: "migrations", status: result.warnings.isEmpty ? (result.migrations.isEmpty ? .warning : .ok) : .warning,
                summary: "\(context.migrationsPath): \(layout), \(result.migrations.count) migration\(result.migrations.count == 1 ? "" : "s")\(latest)",
                details: result.warnings,
                hint: result.migrations.isEmpty ? "`strata create NAME` writes the first migration" : nil))
        } catch {
            checks.append(failure("migrations", error, context: "cannot load \(context.migrationsPath)"))
        }
        return (DoctorSection(title: "Project", checks: checks), loaded)
    }

    /// The `History` section: the planner's problems between the migrations and the history.
    static func history(_ context: CommandContext, migrations: [Migration]) async -> DoctorSection {
        do {
            let report = try await context.status(migrations)
            var checks: [DoctorCheck] = []
            let summary = "\(report.applied.count) applied, \(report.pending.count) pending, current version \(report.currentVersion ?? "none")"
            let errors = report.problems.filter { $0.severity == .error }
            checks.append(DoctorCheck(
                name: "consistency", status: errors.isEmpty ? (report.problems.isEmpty ? .ok : .warning) : .failed,
                summary: summary + (report.problems.isEmpty ? ", no problems"
                                    : ", \(errors.count) problem\(errors.count == 1 ? "" : "s"), \(report.problems.count - errors.count) warning\(report.problems.count - errors.count == 1 ? "" : "s")"),
                details: report.problems.map { "\($0.severity.rawValue): \($0.message)" },
                hint: errors.isEmpty ? nil : hint(for: errors)))
            return DoctorSection(title: "History", checks: checks)
        } catch {
            return DoctorSection(title: "History", checks: [failure("consistency", error, context: "cannot read the history")])
        }
    }

    /// What to do about the planner's problems, by kind.
    static func hint(for problems: [Problem]) -> String {
        let kinds = Set(problems.map(\.kind))
        var steps: [String] = []
        if kinds.contains(.changed) { steps.append("restore edited applied migrations, or accept them with `strata repair`") }
        if kinds.contains(.missing) { steps.append("restore missing migration files (or roll them back with `strata down`)") }
        if kinds.contains(.failed) { steps.append("inspect the failed migration, then `strata repair`") }
        if kinds.contains(.outOfOrder) { steps.append("apply out-of-order migrations with `strata up --allow-out-of-order`") }
        return steps.isEmpty ? "run `strata validate` for details" : steps.joined(separator: "; ")
    }

    /// A failed check from an error, keeping its hint.
    static func failure(_ name: String, _ error: any Error, context: String) -> DoctorCheck {
        let e = StrataError.wrapping(error)
        var details = e.details
        if let location = e.location { details.insert("at \(location)", at: 0) }
        return DoctorCheck(name: name, status: .failed, summary: "\(context): \(e.message)", details: details, hint: e.hint)
    }
}
