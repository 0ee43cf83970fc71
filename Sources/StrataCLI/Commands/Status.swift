import ArgumentParser
import Strata

extension StrataCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the database, its current version, applied and pending migrations, and problems.",
            discussion: "Example: strata -d sqlite:app.db status")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let loaded = try context.loadMigrations()
                let report = try await context.status(loaded.migrations)
                let console = context.console
                console.json(StatusRendering.json(report))
                console.line("Database Migration Status")
                console.line("=========================")
                console.line("Database: \(report.database)")
                console.line("Migrations: \(context.migrationsPath) (\(loaded.layout.map(\.rawValue) ?? "empty"), \(loaded.migrations.count) found)")
                console.line("Current Version: \(report.currentVersion ?? "none")")
                console.line()
                console.line("Applied (\(report.applied.count)):")
                if report.applied.isEmpty { console.line("  (none)") }
                for e in report.applied {
                    let r = e.record!
                    console.line("  \(e.version)  \(e.description)  \(r.appliedAt)  \(r.appliedBy)\(r.status == .baselined ? "  (baselined)" : "")")
                }
                console.line()
                console.line("Pending (\(report.pending.count)):")
                if report.pending.isEmpty { console.line("  (none)") }
                for e in report.pending {
                    console.line("  \(e.version)  \(e.description)  \(e.migration?.up.path ?? "")")
                }
                if !report.problems.isEmpty {
                    console.line()
                    console.line("Problems (\(report.problems.count)):")
                    for p in report.problems {
                        console.line("  \(p.severity.rawValue): \(p.message)")
                        for d in p.details { console.line("    \(d)") }
                    }
                }
            }
        }
    }
}

/// JSON shapes shared by `status` and `validate` (SPEC §4).
enum StatusRendering {
    static func json(_ report: StatusReport) -> JSONValue {
        .object([
            ("database", .string(report.database)),
            ("current_version", .optional(report.currentVersion)),
            ("applied", .array(report.applied.map { e in
                let r = e.record!
                return .object([
                    ("version", .string(e.version)),
                    ("description", .string(e.description)),
                    ("checksum", .optional(r.checksum)),
                    ("applied_at", .string(r.appliedAt)),
                    ("applied_by", .string(r.appliedBy)),
                    ("execution_time_ms", .int(r.executionTimeMs)),
                    ("status", .string(e.state == .changed ? "changed" : r.status.rawValue)),
                ])
            })),
            ("pending", .array(report.pending.map { e in
                .object([
                    ("version", .string(e.version)),
                    ("description", .string(e.description)),
                    ("script", .optional(e.migration?.up.path)),
                ])
            })),
            ("problems", problems(report.problems)),
        ])
    }

    static func problems(_ problems: [Problem]) -> JSONValue {
        .array(problems.map { p in
            .object([
                ("kind", .string(p.kind.rawValue)),
                ("version", .string(p.version)),
                ("message", .string(p.message)),
                ("severity", .string(p.severity.rawValue)),
                ("details", .array(p.details.map(JSONValue.string))),
            ])
        })
    }
}
