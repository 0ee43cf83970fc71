import ArgumentParser
import Strata

extension StrataCommand {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the audit log of every apply, failure and rollback, newest last.",
            discussion: "Example: strata history")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let entries: [LogEntry]
                if let driver = try context.openDriver(mutating: false) {
                    entries = try await driver.log()
                    await driver.close()
                } else {
                    entries = []
                }
                let console = context.console
                console.json(.object([
                    ("database", .string(context.databaseLabel)),
                    ("events", .array(entries.map { e in
                        .object([
                            ("id", .optional(e.id.map { Int($0) })),
                            ("at", .string(e.at)),
                            ("event", .string(e.event.rawValue)),
                            ("version", .string(e.version)),
                            ("description", .string(e.description)),
                            ("checksum", .optional(e.checksum)),
                            ("by", .string(e.actor)),
                            ("hostname", .string(e.hostname)),
                            ("execution_time_ms", .optional(e.executionTimeMs)),
                            ("message", .optional(e.message)),
                        ])
                    })),
                ]))
                if entries.isEmpty { console.line("No history yet in \(context.databaseLabel).") }
                for e in entries {
                    var line = "\(e.at)  \(e.event.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0))  \(e.version)  \(e.description)  \(e.actor)@\(e.hostname)"
                    if let ms = e.executionTimeMs { line += "  \(ms) ms" }
                    console.line(line)
                    if let m = e.message { console.line("    \(m.split(separator: "\n").first ?? "")") }
                }
            }
        }
    }
}
