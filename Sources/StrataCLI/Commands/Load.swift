import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load",
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
