import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Rehearse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rehearse",
            abstract: "Try the pending migrations on a throwaway copy: apply, roll back, apply again, compare schemas.",
            discussion: """
            SQLite: the database is copied with the online backup API to a temporary file (an empty one \
            when the database does not exist yet). PostgreSQL: a scratch database on the same server, \
            CREATE DATABASE … TEMPLATE when no other session is connected, else an empty one on which \
            the applied migrations are replayed; it is dropped afterwards. On the copy, every pending migration is applied with \
            its verification, rolled back newest first (the schema must equal the one before it), and \
            applied again (the schema must equal the first apply). The real database is never written. \
            Exit 1 on any failure or difference, each named by object. Example: strata rehearse
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let migrations = try context.loadMigrations().migrations
                let driver = try SchemaSupport.openForReading(context)
                let scratch: ScratchDatabase
                if let driver {
                    scratch = try await SchemaSupport.using(driver) {
                        try await SchemaSupport.scratch(from: driver, copying: true, replaying: migrations, context: context)
                    }
                } else {
                    scratch = try await SchemaSupport.scratch(from: nil, copying: false, context: context)
                }
                let console = context.console
                console.progress("Rehearsing on a copy of \(context.databaseLabel) (\(scratch.location))")
                let rehearsal = Rehearsal(migrations: migrations, historyTable: context.historyTable)
                let report = try await SchemaSupport.using(scratch) {
                    try await rehearsal.run(on: scratch.driver) { console.progress("  \($0)") }
                }
                Self.render(report, context: context)
                if !report.passed { throw ExitCode(1) }
            }
        }

        static func render(_ report: RehearsalReport, context: CommandContext) {
            let console = context.console
            console.json(.object([
                ("database", .string(context.databaseLabel)),
                ("applied", .array(report.applied.map(JSONValue.string))),
                ("rolled_back", .array(report.rolledBack.map(JSONValue.string))),
                ("reapplied", .array(report.reapplied.map(JSONValue.string))),
                ("irreversible", .array(report.irreversible.map(JSONValue.string))),
                ("findings", .array(report.findings.map { finding in
                    .object([
                        ("code", finding.phase == .rollBack ? .string(LintRule.downDoesNotUndo.code) : .null),
                        ("phase", .string(finding.phase.rawValue)),
                        ("version", .string(finding.version)),
                        ("script", .string(finding.script)),
                        ("message", .string(finding.summary)),
                        ("error", finding.error.map { .string($0.description) } ?? .null),
                        ("differences", .array(finding.differences.map(SchemaSupport.json))),
                    ])
                })),
                ("passed", .bool(report.passed)),
            ]))
            if report.applied.isEmpty && report.findings.isEmpty {
                console.line("Nothing to rehearse: no pending migrations for \(context.databaseLabel).")
                return
            }
            if !report.irreversible.isEmpty {
                console.line("note: not rolled back, no down script: \(report.irreversible.joined(separator: ", ")) (see lint rule STRATA001)")
            }
            for finding in report.findings {
                let code = finding.phase == .rollBack ? "[\(LintRule.downDoesNotUndo.code)]" : ""
                console.line("✗ \(code)\(code.isEmpty ? "" : " ")\(finding.summary)")
                for difference in finding.differences { console.line("    \(difference)") }
                if let error = finding.error {
                    if let location = error.location { console.line("    at \(location)") }
                    if let hint = error.hint { console.line("    hint: \(hint)") }
                }
            }
            let counts = "applied \(report.applied.count), rolled back \(report.rolledBack.count), applied again \(report.reapplied.count)"
            let verdict = report.rolledBack.isEmpty ? "nothing could be rolled back" : "the schemas match"
            console.line(report.passed ? "Rehearsal passed: \(counts); \(verdict)."
                                       : "Rehearsal failed: \(report.findings.count) problem\(report.findings.count == 1 ? "" : "s") (\(counts)).")
        }
    }
}
