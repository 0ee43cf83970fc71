import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dump",
            abstract: "Write the schema and the applied versions as SQL, the same bytes for the same database.",
            discussion: """
            Tables, indexes, views and triggers (SQLite: as stored in sqlite_master; PostgreSQL: read \
            from the catalogs, with types, sequences and functions) in a fixed order, \
            then one `-- strata:applied {…}` line per applied migration, so `strata load` can build \
            a new database that is up to date. Nothing is written to the database. \
            Example: strata dump --output schema.sql
            """)

        @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the dump to this file instead of standard output.", valueName: "file"))
        var output: String?

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let driver = try SchemaSupport.openExisting(context)
                let (snapshot, history) = try await SchemaSupport.using(driver) {
                    (try await driver.schemaSnapshot(), try await driver.history())
                }
                let text = SchemaDump.render(snapshot, history: history)
                let console = context.console
                if let output {
                    do {
                        try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                    } catch {
                        throw StrataError(.configuration, "cannot write \(output): \(error.localizedDescription)",
                                          hint: "check that the directory exists and is writable")
                    }
                    let applied = history.filter(\.isInEffect).count
                    console.json(.object([("database", .string(context.databaseLabel)), ("output", .string(output)),
                                          ("objects", .int(Self.count(snapshot))), ("applied", .int(applied))]))
                    console.line("Dumped \(context.databaseLabel) to \(output): \(Self.count(snapshot)) objects, \(applied) applied version\(applied == 1 ? "" : "s").")
                } else {
                    console.json(.object([("database", .string(context.databaseLabel)), ("output", nil), ("dump", .string(text))]))
                    if !console.isJSON { Console.write(text, to: FileHandle.standardOutput) }
                }
            }
        }

        static func count(_ snapshot: SchemaSnapshot) -> Int {
            snapshot.tables.count + snapshot.indexes.count + snapshot.views.count + snapshot.triggers.count + snapshot.others.count
        }
    }
}
