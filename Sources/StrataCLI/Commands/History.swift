import ArgumentParser
import Strata

extension StrataCommand {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
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
                if entries.isEmpty {
                    console.line("No history yet in \(context.databaseLabel).")
                    return
                }
                var table = TextTable([TextTable.Column("AT (UTC)"), TextTable.Column("EVENT"), TextTable.Column("VERSION"),
                                       TextTable.Column("DESCRIPTION", shrinkable: true),
                                       TextTable.Column("BY", shrinkable: true, minimumWidth: 8),
                                       TextTable.Column("TIME", alignRight: true)])
                for e in entries {
                    let style: TextStyle? = switch e.event {
                    case .failed: .boldRed
                    case .applied: .green
                    default: nil
                    }
                    table.add([e.at, e.event.rawValue, e.version, e.description, "\(e.actor)@\(e.hostname)",
                               e.executionTimeMs.map { "\($0) ms" } ?? ""], styles: [nil, style])
                }
                let lines = table.render(width: console.terminal.stdoutWidth(), paint: console.stdoutPaint)
                console.line(lines[0])
                for (e, line) in zip(entries, lines.dropFirst()) {
                    console.line(line)
                    if let m = e.message?.split(separator: "\n").first {
                        let room = console.terminal.stdoutWidth().map { $0 - 4 } ?? Int.max
                        console.line("    " + console.stdoutPaint(TextWidth.truncate(String(m), to: room), .dim))
                    }
                }
            }
        }
    }
}
