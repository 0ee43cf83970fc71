import ArgumentParser
import Strata

/// The `strata` command: database schema migrations for SQLite and PostgreSQL.
public struct StrataCommand: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Apply versioned SQL migrations to a database, and roll them back.",
        discussion: """
        The database comes from --database, the --env entry of strata.yml, STRATA_DATABASE_URL, \
        DATABASE_URL or DB_FILE, in that order; with none of them Strata uses the embedded \
        default sqlite:strata.db in the current directory.

        Examples:
          strata init                      write strata.yml and a first migration
          strata create add_users          add a migration in the directory's layout
          strata status                    where the database stands
          strata up --dry-run              show the plan and the SQL
          strata up                        apply what is pending
          strata doctor                    check the setup
          strata status --format json      one JSON document on stdout
        """,
        version: StrataInfo.version,
        groupedSubcommands: [
            CommandGroup(name: "Migrate", subcommands: [Up.self, Down.self, To.self, Redo.self, Rollback.self]),
            CommandGroup(name: "Inspect", subcommands: [Status.self, List.self, History.self, Validate.self, Verify.self, Doctor.self]),
            CommandGroup(name: "Author", subcommands: [Init.self, Create.self]),
            CommandGroup(name: "Repair", subcommands: [Repair.self, Baseline.self, Adopt.self]),
            CommandGroup(name: "Backups", subcommands: [Backup.self, Backups.self, Restore.self]),
            CommandGroup(name: "Schema", subcommands: [Lint.self, Rehearse.self, Dump.self, Load.self, Diff.self]),
            CommandGroup(name: "Shell", subcommands: [Completions.self, Man.self]),
        ]
    )

    @OptionGroup(title: "Global Options")
    var global: GlobalOptions

    /// Creates the command (ArgumentParser fills it in).
    public init() {}
}
