import ArgumentParser
import Strata

extension StrataCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List every migration found, marked applied, pending, changed, missing or failed.",
            discussion: "Example: strata list --format json")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let report = try await context.loadWithStatus().report
                let console = context.console
                console.json(.object([
                    ("database", .string(report.database)),
                    ("migrations", .array(report.entries.map { e in
                        .object([
                            ("version", .string(e.version)),
                            ("description", .string(e.description)),
                            ("state", .string(e.state.rawValue)),
                            ("script", .optional(e.migration?.up.path ?? e.record?.script)),
                            ("reversible", .bool(e.migration?.downScript != nil || (e.migration == nil && e.record?.downSQL != nil))),
                        ])
                    })),
                ]))
                if report.entries.isEmpty {
                    console.line("No migrations in \(context.migrationsPath); `strata create NAME` writes one.")
                    return
                }
                var table = TextTable([TextTable.Column("VERSION"), TextTable.Column("STATE"),
                                       TextTable.Column("DESCRIPTION", shrinkable: true)])
                for e in report.entries {
                    table.add([e.version, e.state.rawValue, e.description], styles: [nil, StatusRendering.style(e.state)])
                }
                console.table(table)
            }
        }
    }
}
