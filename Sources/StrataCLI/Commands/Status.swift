import ArgumentParser
import Strata

extension StrataCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the database, its current version, applied and pending migrations, and problems.",
            discussion: "Example: strata -d sqlite:app.db status")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let (loaded, report) = try await context.loadWithStatus()
                let console = context.console
                console.json(StatusRendering.json(report))
                console.line("Database:        \(report.database)")
                console.line("Migrations:      \(context.migrationsPath) (\(loaded.layout.map(\.rawValue) ?? "empty"), \(loaded.migrations.count) found)")
                console.line("Current version: \(report.currentVersion ?? "none") (\(report.applied.count) applied, \(report.pending.count) pending)")
                console.line()
                if report.entries.isEmpty {
                    console.line("No migrations in \(context.migrationsPath) and no history yet; `strata create NAME` writes one.")
                } else {
                    console.table(StatusRendering.table(report.entries))
                }
                if !report.problems.isEmpty {
                    console.line()
                    console.line("Problems (\(report.problems.count)):")
                    let paint = console.stdoutPaint
                    for p in report.problems {
                        console.line("  \(paint("\(p.severity.rawValue):", p.severity == .error ? .boldRed : .boldYellow)) \(p.message)")
                        for d in p.details { console.line("    \(d)") }
                    }
                }
            }
        }
    }
}

/// Text and JSON shapes shared by `status`, `list` and `validate` (SPEC §4).
enum StatusRendering {
    /// One row per migration and history row: version, description, state, when and by whom it
    /// was applied.
    static func table(_ entries: [MigrationEntry]) -> TextTable {
        var table = TextTable([TextTable.Column("VERSION"), TextTable.Column("DESCRIPTION", shrinkable: true),
                               TextTable.Column("STATE"), TextTable.Column("APPLIED AT (UTC)"), TextTable.Column("BY")])
        for e in entries {
            let record = e.record.flatMap { $0.isInEffect || e.state != .pending ? $0 : nil }
            let state = e.state == .applied && record?.status == .baselined ? "baselined" : e.state.rawValue
            table.add([e.version, e.description, state, record?.appliedAt ?? "-", record?.appliedBy ?? "-"],
                      styles: [nil, nil, style(e.state), record == nil ? .dim : nil, record == nil ? .dim : nil])
        }
        return table
    }

    /// Green for applied, yellow for pending, red for what needs attention.
    static func style(_ state: MigrationState) -> TextStyle {
        switch state {
        case .applied: .green
        case .pending: .yellow
        case .changed, .missing, .failed: .boldRed
        }
    }

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
