import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check the setup: engine and features, permissions, lock, history, backups.",
            discussion: """
            Reports the configuration and migrations, the database engine's version and the \
            features migrations may need (SQLite: DROP COLUMN, RETURNING, STRICT…), the owner, mode \
            and writability of the database file and its directory, the runner lock (free, held by \
            whom, stale), the consistency of the history with the migrations, and the backups \
            directory. Nothing is written. Exits 1 when a check fails, with a hint for each. \
            Example: strata -d sqlite:app.db doctor
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let (project, loaded) = ProjectDiagnosis.project(context)
                let migrations = loaded?.migrations ?? []
                var sections = [project]
                sections += await EngineDiagnoses.diagnosis(for: context.database.engine).sections(context, migrations: migrations)
                if loaded != nil {
                    sections.append(await ProjectDiagnosis.history(context, migrations: migrations))
                }
                let ok = DoctorOutput.render(sections, context: context)
                if !ok { throw ExitCode(1) }
            }
        }
    }
}

/// How `strata doctor` prints its sections: text with ✓ ! ✗ marks, or one JSON document.
enum DoctorOutput {
    /// Prints the report; returns whether no check failed.
    static func render(_ sections: [DoctorSection], context: CommandContext) -> Bool {
        let console = context.console
        let checks = sections.flatMap(\.checks)
        let failed = checks.filter { $0.status == .failed }.count
        let warnings = checks.filter { $0.status == .warning }.count
        console.json(.object([
            ("database", .string(context.databaseLabel)),
            ("engine", .string(context.database.engine.rawValue)),
            ("sections", .array(sections.map { section in
                .object([
                    ("name", .string(section.title)),
                    ("checks", .array(section.checks.map { c in
                        .object([("name", .string(c.name)), ("status", .string(c.status.rawValue)),
                                 ("summary", .string(c.summary)), ("details", .array(c.details.map(JSONValue.string))),
                                 ("hint", .optional(c.hint))])
                    })),
                ])
            })),
            ("ok", .bool(failed == 0)),
            ("failed", .int(failed)),
            ("warnings", .int(warnings)),
        ]))
        let paint = console.stdoutPaint
        let nameWidth = checks.map { TextWidth.of($0.name) }.max() ?? 0
        console.line("Strata \(StrataInfo.version) doctor: \(context.databaseLabel)")
        for section in sections {
            console.line()
            console.line(paint(section.title, .bold))
            for check in section.checks {
                let (mark, style): (String, TextStyle) = switch check.status {
                case .ok: ("✓", .green)
                case .info: ("·", .dim)
                case .warning: ("!", .boldYellow)
                case .failed: ("✗", .boldRed)
                }
                console.line("  \(paint(mark, style)) \(TextWidth.pad(check.name, to: nameWidth))  \(check.summary)")
                let indent = String(repeating: " ", count: nameWidth + 6)
                for detail in check.details { console.line(indent + detail) }
                if let hint = check.hint, check.status >= .warning { console.line(indent + paint("hint:", .cyan) + " " + hint) }
            }
        }
        console.line()
        if failed == 0 {
            console.line(paint("No problems found", .boldGreen) + " (\(checks.count) checks\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "")).")
        } else {
            console.line(paint("\(failed) problem\(failed == 1 ? "" : "s") found", .boldRed)
                         + "\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "") in \(checks.count) checks; see the hints above.")
        }
        return failed == 0
    }
}
