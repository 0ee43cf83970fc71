import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the schema and the applied versions as SQL, the same bytes for the same database.",
            discussion: """
            Tables, indexes, views and triggers (SQLite: as stored in sqlite_master) in a fixed order, \
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

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a new database from a `strata dump` file: its schema and its applied versions.",
            discussion: """
            The database must be empty (no tables, no history). The schema and the history rows are \
            written in one transaction, so `strata status` then shows the database up to date with \
            the migrations the dump was taken at. Example: strata -d sqlite:new.db load schema.sql
            """)

        @Argument(help: ArgumentHelp("The dump file.", valueName: "file"))
        var file: String

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let text = try SchemaSupport.read(file)
                let entries = try SchemaDump.entries(in: text, path: file)
                try context.confirmIfProtected("Load \(file) into \(context.databaseLabel)")
                let file = file
                try await RunLock.with(context) {
                    guard let driver = try context.openDriver(mutating: true) else { return }
                    try await SchemaSupport.using(driver) {
                        let existing = try await driver.schemaSnapshot()
                        let applied = try await driver.history().filter(\.isInEffect)
                        guard existing.isEmpty, applied.isEmpty else {
                            throw StrataError(.configuration, "\(context.databaseLabel) is not empty (\(Dump.count(existing)) objects, \(applied.count) applied versions)",
                                              hint: "load a dump into a new database; compare an existing one with `strata diff --against \(file)`")
                        }
                        let identity = RunIdentity.current()
                        try await SchemaSupport.execute(dump: text, path: file, on: driver) { ms in
                            let now = Timestamp.now()
                            return entries.flatMap { entry -> [HistoryWrite] in
                                [.upsert(entry.record(appliedAt: now, identity: identity)),
                                 .append(LogEntry(version: entry.version, event: entry.status == .baselined ? .baselined : .applied,
                                                  description: entry.description, checksum: entry.checksum, actor: identity.user,
                                                  hostname: identity.hostname, at: now, executionTimeMs: 0,
                                                  message: "loaded from \(file)"))]
                            }
                        }
                    }
                }
                let current = entries.filter { MigrationVersion($0.version) != nil }
                    .max { MigrationVersion($0.version)! < MigrationVersion($1.version)! }?.version
                context.console.json(.object([("database", .string(context.databaseLabel)), ("file", .string(file)),
                                              ("applied", .int(entries.count)), ("current_version", .optional(current))]))
                context.console.line("Loaded \(file) into \(context.databaseLabel): \(entries.count) applied version\(entries.count == 1 ? "" : "s"); now at version \(current ?? "none").")
            }
        }
    }
}
