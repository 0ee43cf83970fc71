import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Report drift: how the live schema differs from a dump, or from replaying the applied migrations.",
            discussion: """
            With --against, the dump file is loaded into a scratch database; without it, the applied \
            migrations are replayed on an empty scratch database. Both are then compared with the live \
            database object by object (tables, columns, indexes, triggers, views, constraints). Nothing \
            is written to the live database. Exit 1 when there is drift. \
            Example: strata diff --against schema.sql
            """)

        @Option(help: ArgumentHelp("A `strata dump` file to compare with (default: replay the applied migrations).", valueName: "file"))
        var against: String?

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let driver = try SchemaSupport.openExisting(context)
                let against = against
                let (differences, warnings) = try await SchemaSupport.using(driver) {
                    let live = try await driver.schemaSnapshot()
                    let scratch = try await driver.makeScratchDatabase(copyingContents: false)
                    let (expected, warnings) = try await SchemaSupport.using(scratch) {
                        var warnings: [String] = []
                        if let against {
                            try await SchemaSupport.execute(dump: try SchemaSupport.read(against), path: against, on: scratch.driver)
                        } else {
                            let migrations = try context.loadMigrations().migrations
                            warnings = try await SchemaReplay.replay(migrations, records: try await driver.history(),
                                                                     on: scratch.driver, historyTable: context.historyTable)
                        }
                        return (try await scratch.driver.schemaSnapshot(), warnings)
                    }
                    return (SchemaComparison.differences(from: expected, to: live), warnings)
                }
                let source = against ?? "the applied migrations replayed on a scratch database"
                for warning in warnings { context.console.warning(warning) }
                report(differences, source: source, context: context)
                if !differences.isEmpty { throw ExitCode(1) }
            }
        }

        private func report(_ differences: [SchemaDifference], source: String, context: CommandContext) {
            let console = context.console
            console.json(.object([
                ("database", .string(context.databaseLabel)),
                ("against", .string(against ?? "replay")),
                ("drift", .bool(!differences.isEmpty)),
                ("differences", .array(differences.map(SchemaSupport.json))),
            ]))
            guard !differences.isEmpty else {
                console.line("No drift: \(context.databaseLabel) matches \(source).")
                return
            }
            console.line("Drift: \(context.databaseLabel) differs from \(source) in \(differences.count) place\(differences.count == 1 ? "" : "s") (added/removed/changed in the live database):")
            for difference in differences { console.line("  \(difference)") }
        }
    }
}
