import ArgumentParser

/// Options every command accepts, before or after the command name.
struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: [.customShort("d"), .long], help: ArgumentHelp("The database URL or path (sqlite:app.db, app.db, postgres://…).", valueName: "url"))
    var database: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("The migrations directory (default: migrations).", valueName: "dir"))
    var migrations: String?

    @Option(help: ArgumentHelp("The config file (default: strata.yml when present).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The environment of the config file to use.", valueName: "name"))
    var env: String?

    @Option(help: "Output format: text or json.")
    var format: String?

    @Flag(help: "Answer yes to confirmations (needed for protected environments without a terminal).")
    var yes = false

    @Flag(help: "Print only errors and the result.")
    var quiet = false

    @Flag(help: "Print more detail.")
    var verbose = false

    @Flag(help: "Do not colour the output (also NO_COLOR).")
    var noColor = false

    @Option(help: ArgumentHelp("Seconds to wait for another runner's lock.", valueName: "seconds"))
    var lockTimeout: Double?

    @Option(help: ArgumentHelp("The history table name (default: strata_schema_history).", valueName: "name"))
    var historyTable: String?

    @Option(help: ArgumentHelp("PostgreSQL lock_timeout for every migration of the run, such as 5s (default: postgres.lock_timeout in strata.yml).",
                               valueName: "duration"))
    var pgLockTimeout: String?

    @Option(help: ArgumentHelp("PostgreSQL statement_timeout for every migration of the run, such as 10min (default: postgres.statement_timeout in strata.yml).",
                               valueName: "duration"))
    var pgStatementTimeout: String?

    /// These options with every value given in `other` taking precedence.
    func merged(over base: GlobalOptions?) -> GlobalOptions {
        guard let base else { return self }
        var m = self
        m.database = database ?? base.database
        m.migrations = migrations ?? base.migrations
        m.config = config ?? base.config
        m.env = env ?? base.env
        m.format = format ?? base.format
        m.yes = yes || base.yes
        m.quiet = quiet || base.quiet
        m.verbose = verbose || base.verbose
        m.noColor = noColor || base.noColor
        m.lockTimeout = lockTimeout ?? base.lockTimeout
        m.historyTable = historyTable ?? base.historyTable
        m.pgLockTimeout = pgLockTimeout ?? base.pgLockTimeout
        m.pgStatementTimeout = pgStatementTimeout ?? base.pgStatementTimeout
        return m
    }
}
