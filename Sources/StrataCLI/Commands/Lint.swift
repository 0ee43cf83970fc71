import ArgumentParser
import Foundation
import Strata
import StrataSQLite

extension StrataCommand {
    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Check migration scripts for statements that fail, lock or lose data (static, no database needed).",
            discussion: """
            Lints the migrations directory, or the given files and directories. The engine comes from \
            --engine, else from the database URL. Suppress a finding with `-- strata:lint-ignore CODE` \
            on the line before the statement. --format text|json|sarif (SARIF 2.1.0 for code scanning). \
            Exit 1 when an error-level rule fires. `strata lint --rules` lists the rules. \
            Example: strata lint --engine postgres --format sarif > lint.sarif
            """)

        @Argument(help: ArgumentHelp("Migration files or directories (default: the migrations directory).", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("The engine whose rules apply: sqlite or postgres (default: the database URL's).", valueName: "engine"))
        var engine: String?

        @Option(help: ArgumentHelp("The oldest SQLite version the migrations must run on (default: the linked library's).", valueName: "version"))
        var sqliteVersion: String?

        @Flag(help: "List the rules (code, engines, severity, explanation, fix) and exit.")
        var rules = false

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            var options = global
            let sarif = (global.format ?? root.global.format) == "sarif"
            if sarif { options.format = "json" }
            try await runCommand(options, parent: root.global) { context in
                if rules {
                    LintOutput.rules(context.console)
                    return
                }
                let engine = try resolvedEngine(context)
                let linter = Linter(engine: engine, sqliteVersion: sqliteVersion ?? SQLiteDriver.linkedLibraryVersion)
                let diagnostics = try lint(linter, context: context)
                if sarif {
                    Console.write(LintOutput.sarif(diagnostics).render() + "\n", to: FileHandle.standardOutput)
                } else {
                    LintOutput.report(diagnostics, console: context.console)
                }
                if Linter.hasErrors(diagnostics) { throw ExitCode(1) }
            }
        }

        private func resolvedEngine(_ context: CommandContext) throws(StrataError) -> DatabaseEngine {
            guard let engine else { return context.database.engine }
            switch engine.lowercased() {
            case "sqlite": return .sqlite
            case "postgres", "postgresql": return .postgres
            default: throw StrataError(.usage, "--engine must be sqlite or postgres, not '\(engine)'")
            }
        }

        /// Lints the directory, or each given file (as part of its migration when the migrations
        /// directory has it) and directory.
        private func lint(_ linter: Linter, context: CommandContext) throws -> [LintDiagnostic] {
            guard !files.isEmpty else { return linter.lint(try context.loadMigrations().migrations) }
            var diagnostics: [LintDiagnostic] = []
            var directory: [Migration]?
            for file in files {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
                    throw StrataError(.configuration, "\(file) does not exist", hint: "give migration files or directories")
                }
                if isDirectory.boolValue {
                    diagnostics += linter.lint(try MigrationDirectory(path: file).load().migrations)
                    continue
                }
                if directory == nil {
                    directory = MigrationDirectory(path: context.migrationsPath).exists
                        ? (try? context.loadMigrations().migrations) ?? [] : []
                }
                let target = Self.canonical(file)
                let all = directory ?? []
                if let index = all.firstIndex(where: { Self.canonical($0.up.path) == target || $0.downScript.map { Self.canonical($0.path) } == target }) {
                    diagnostics += linter.lint([all[index]], context: Array(all[..<index]))
                        .filter { Self.canonical($0.location.file) == target }
                } else {
                    diagnostics += linter.lint(script: MigrationScript(path: file, sql: try SchemaSupport.read(file)))
                }
            }
            return diagnostics
        }

        private static func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
    }
}
