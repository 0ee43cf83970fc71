import ArgumentParser
import Strata

extension StrataCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check names, duplicates, checksums, missing files, order and failed state.",
            discussion: "Exits 3 when an error-level problem is found (gaps are warnings). Example: strata validate")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Flag(help: "Do not report pending migrations older than the newest applied one.") var allowOutOfOrder = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let (loaded, report) = try await context.loadWithStatus()
                let problems = report.problems.filter { !(allowOutOfOrder && $0.kind == .outOfOrder) }
                let errors = problems.filter { $0.severity == .error }
                let console = context.console
                console.json(.object([
                    ("database", .string(report.database)),
                    ("valid", .bool(errors.isEmpty)),
                    ("migrations", .int(loaded.migrations.count)),
                    ("problems", StatusRendering.problems(problems)),
                ]))
                let paint = console.stdoutPaint
                for p in problems {
                    let label = paint("\(p.severity.rawValue):", p.severity == .error ? .boldRed : .boldYellow)
                    console.line("\(p.file.map { paint("\($0):", .bold) + " " } ?? "")\(label) \(p.message)")
                    for d in p.details { console.line("  \(d)") }
                }
                if errors.isEmpty {
                    console.line("Validation passed: \(loaded.migrations.count) migrations in \(context.migrationsPath)\(problems.isEmpty ? "" : " (\(problems.count) warning\(problems.count == 1 ? "" : "s"))").")
                    return
                }
                console.line("Validation failed: \(errors.count) problem\(errors.count == 1 ? "" : "s").")
                throw ExitCode(StrataError.Code.validationFailed.exitCode)
            }
        }
    }
}
