import ArgumentParser
import Strata

extension MigrationVersion: ArgumentParser.ExpressibleByArgument {
    /// Parses a version given on the command line.
    public init?(argument: String) { self.init(argument) }
}

extension StrataCommand {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Apply pending migrations in order.",
            discussion: "Example: strata up --target 003 --dry-run")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Option(help: "Stop after applying this version.") var target: MigrationVersion?
        @Flag(help: "Print the plan and the SQL without changing the database.") var dryRun = false
        @Flag(help: "Do not back up the database first.") var noBackup = false
        @Flag(help: "Apply pending migrations older than the newest applied one.") var allowOutOfOrder = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                try await MigrationRun.perform(.up(target: target, allowOutOfOrder: allowOutOfOrder), dryRun: dryRun, backup: !noBackup, context: context)
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down",
            abstract: "Roll back applied migrations, newest first (default: one).",
            discussion: """
            Uses each migration's down script, or the down script stored in the history when it was \
            applied if the file is gone. Example: strata down --steps 2
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Option(help: "Roll back this many migrations.") var steps: Int?
        @Option(help: "Roll back every migration newer than this version.") var target: MigrationVersion?
        @Flag(help: "Roll back every applied migration.") var all = false
        @Flag(help: "Print the plan and the SQL without changing the database.") var dryRun = false
        @Flag(help: "Do not back up the database first.") var noBackup = false

        func validate() throws {
            if [steps != nil, target != nil, all].filter({ $0 }).count > 1 {
                throw ValidationError("give at most one of --steps, --target and --all")
            }
            if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        }

        func run() async throws {
            let extent: MigrationRequest.DownExtent = all ? .all : target.map { .target($0) } ?? .steps(steps ?? 1)
            try await runCommand(global, parent: root.global) { context in
                try await MigrationRun.perform(.down(extent), dryRun: dryRun, backup: !noBackup, context: context)
            }
        }
    }

    struct To: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "to",
            abstract: "Go up or down to exactly one version.",
            discussion: "Example: strata to 005 (also: strata to --version 005)")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Argument(help: "The version to end at.") var target: MigrationVersion?
        @Option(name: .customLong("version"), help: "The version to end at.") var versionOption: MigrationVersion?
        @Flag(help: "Print the plan and the SQL without changing the database.") var dryRun = false
        @Flag(help: "Do not back up the database first.") var noBackup = false

        func validate() throws {
            if target == nil && versionOption == nil { throw ValidationError("give the version: strata to <version>") }
            if target != nil && versionOption != nil { throw ValidationError("give the version once") }
        }

        func run() async throws {
            let version = (target ?? versionOption)!
            try await runCommand(global, parent: root.global) { context in
                try await MigrationRun.perform(.to(version), dryRun: dryRun, backup: !noBackup, context: context)
            }
        }
    }

    struct Redo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "redo",
            abstract: "Roll back the newest migration and apply it again.",
            discussion: "Useful while writing a migration: edit it, then run it again. Example: strata redo --dry-run")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Flag(help: "Print the plan and the SQL without changing the database.") var dryRun = false
        @Flag(help: "Do not back up the database first.") var noBackup = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                try await MigrationRun.perform(.redo, dryRun: dryRun, backup: !noBackup, context: context)
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Roll back one migration, named by version or name.",
            discussion: "Example: strata rollback 20241227_143000_add_user_preferences --env dev")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Argument(help: "The version or name of the migration.") var migration: String
        @Flag(help: "Roll it back even though newer migrations are applied.") var force = false
        @Flag(help: "Print the plan and the SQL without changing the database.") var dryRun = false
        @Flag(help: "Do not back up the database first.") var noBackup = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                try await MigrationRun.perform(.rollback(migration, force: force), dryRun: dryRun, backup: !noBackup, context: context)
            }
        }
    }
}
