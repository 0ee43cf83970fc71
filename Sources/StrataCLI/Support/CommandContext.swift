import ArgumentParser
import Foundation
import Strata
import StrataPostgres

/// Everything a command needs, resolved once from options, `strata.yml` and the environment.
struct CommandContext: Sendable {
    let options: GlobalOptions
    let console: Console
    let config: ProjectConfiguration
    let environmentName: String?
    let isProtected: Bool
    let database: DatabaseURL
    /// Where the database URL came from, for messages ("--database", "STRATA_DATABASE_URL", …).
    let databaseSource: String
    let migrationsPath: String
    let historyTable: String

    /// Seconds to wait for the runner lock and for SQLite's busy lock: `--lock-timeout`, then
    /// `lock_timeout` in strata.yml, then 60.
    var lockTimeout: Double { options.lockTimeout ?? config.lockTimeout ?? 60 }

    /// Whether no database was named anywhere and the embedded default is used.
    var databaseIsDefault: Bool { databaseSource == "default" }

    /// The database as shown: redacted, marked when it is the default.
    var databaseLabel: String {
        databaseIsDefault ? "\(database.redacted) (embedded default)" : database.redacted
    }

    static func resolve(_ options: GlobalOptions, console: Console,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws(StrataError) -> CommandContext {
        var config = ProjectConfiguration()
        let configPath = options.config ?? (FileManager.default.fileExists(atPath: "strata.yml") ? "strata.yml" : nil)
        if let configPath {
            guard let data = FileManager.default.contents(atPath: configPath) else {
                throw StrataError(.configuration, "cannot read config file \(configPath)",
                                  hint: "check the path given to --config, or run `strata init`")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw StrataError(.configuration, "config file \(configPath) is not UTF-8 text")
            }
            config = try ProjectConfiguration.parse(text, path: configPath, environment: environment)
        }
        var envConfig: ProjectConfiguration.Environment?
        if let name = options.env {
            guard let e = config.environments[name] else {
                let known = config.environments.keys.sorted()
                throw StrataError(.configuration, "unknown environment '\(name)'",
                                  hint: known.isEmpty ? "define it under `environments:` in strata.yml"
                                                      : "known environments: \(known.joined(separator: ", "))")
            }
            envConfig = e
        }
        var source = "default"
        var urlText = "sqlite:strata.db"
        let candidates: [(String, String?)] = [
            ("--database", options.database),
            ("environment \(options.env ?? "")", envConfig?.database),
            ("STRATA_DATABASE_URL", environment["STRATA_DATABASE_URL"]),
            ("DATABASE_URL", environment["DATABASE_URL"]),
            ("DB_FILE", environment["DB_FILE"].map { $0.contains(":") ? $0 : "sqlite:\($0)" }),
        ]
        for (name, value) in candidates {
            if let value, !value.isEmpty {
                source = name
                urlText = value
                break
            }
        }
        let database = try DatabaseURL.parse(urlText)
        let table = options.historyTable ?? config.historyTable ?? StrataInfo.defaultHistoryTable
        guard Self.isPlainIdentifier(table) else {
            throw StrataError(.configuration, "history table name '\(table)' is not a plain identifier",
                              hint: "use letters, digits and underscores")
        }
        return CommandContext(options: options, console: console, config: config, environmentName: options.env,
                              isProtected: envConfig?.protected ?? false, database: database, databaseSource: source,
                              migrationsPath: options.migrations ?? envConfig?.migrations ?? config.migrations ?? "migrations",
                              historyTable: table)
    }

    /// Whether `name` matches `[A-Za-z_][A-Za-z0-9_]{0,62}`, checked by bytes (a regular
    /// expression here cost every command ICU's start-up, 1.5 ms).
    static func isPlainIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        return isLetter(bytes[0]) && bytes.dropFirst().allSatisfy { isLetter($0) || (0x30...0x39).contains($0) }
    }

    /// Loads the migrations directory.
    func loadMigrations() throws(StrataError) -> LoadedMigrations {
        let loaded = try MigrationDirectory(path: migrationsPath).load()
        for warning in loaded.warnings where options.verbose { console.warning(warning) }
        return loaded
    }

    /// Says that the embedded default database is used (before a command that changes it).
    private func noteDefaultDatabase() {
        console.note("note: no database given; using the embedded default \(database.redacted)")
    }

    /// Opens the database. For read-only commands a missing SQLite file is not created: `nil` is returned.
    func openDriver(mutating: Bool) throws(StrataError) -> (any DatabaseDriver)? {
        if databaseIsDefault && mutating { noteDefaultDatabase() }
        return try DriverRegistry.open(database, historyTable: historyTable, createIfMissing: mutating,
                                       busyTimeout: lockTimeout,
                                       postgresLockTimeout: options.pgLockTimeout ?? config.postgres.lockTimeout,
                                       postgresStatementTimeout: options.pgStatementTimeout ?? config.postgres.statementTimeout)
    }

    /// Opens the database while the migration files are read, so that the two overlap:
    /// PostgreSQL starts connecting in the background (``PostgresDriver/startConnecting()``: the
    /// server's start of a session), and an existing SQLite file is opened on another thread
    /// (SQLite parses the schema of every table and index then). Await ``EarlyDriver/driver()``
    /// after loading: what it throws is what opening it afterwards would have thrown. A SQLite
    /// file that does not exist yet is not created here (`nil`): a missing migrations directory
    /// must leave no empty database behind.
    /// Settings it cannot make a driver from give `nil` too: opening later reports them, after
    /// any error in the files, as before.
    func openEarly() -> EarlyDriver? {
        switch database.engine {
        case .postgres:
            guard let driver = try? openDriver(mutating: false) else { return nil }
            (driver as? PostgresDriver)?.startConnecting()
            return EarlyDriver(task: Task { driver })
        case .sqlite:
            guard let path = database.path, FileManager.default.fileExists(atPath: path) else { return nil }
            let url = database, table = historyTable, timeout = lockTimeout
            return EarlyDriver(task: Task.detached {
                try DriverRegistry.open(url, historyTable: table, createIfMissing: false, busyTimeout: timeout)
            })
        }
    }

    /// Loads the migrations directory while `early` (from ``openEarly()``) opens the database;
    /// closes what it opened when loading fails.
    func loadMigrations(opening early: EarlyDriver?) async throws(StrataError) -> LoadedMigrations {
        do {
            return try loadMigrations()
        } catch {
            await early?.close()
            throw error
        }
    }

    /// The database opened by `early` when given, else opened now (see ``openDriver(mutating:)``).
    func driver(_ early: EarlyDriver?, mutating: Bool) async throws -> (any DatabaseDriver)? {
        guard let early else { return try openDriver(mutating: mutating) }
        if databaseIsDefault && mutating { noteDefaultDatabase() }
        return try await early.driver()
    }

    /// Loads the migrations directory and reports its status, the database opened while the
    /// files are read (what `status`, `list` and `validate` start with).
    func loadWithStatus() async throws -> (loaded: LoadedMigrations, report: StatusReport) {
        let early = openEarly()
        let loaded = try await loadMigrations(opening: early)
        return (loaded, try await status(loaded.migrations, opened: early))
    }

    /// Status against the database, or against an empty history when the database does not exist
    /// yet; over the database `early` opened when given (see ``openEarly()``).
    func status(_ migrations: [Migration], opened early: EarlyDriver? = nil) async throws -> StatusReport {
        guard let driver = try await driver(early, mutating: false) else {
            let planner = Planner(migrations: migrations, records: [], engine: database.engine, historyTable: historyTable)
            return StatusReport(database: databaseLabel, currentVersion: nil, entries: planner.entries(), problems: planner.problems())
        }
        defer { Task { await driver.close() } }
        var report = try await Migrator(driver: driver, migrations: migrations, historyTable: historyTable).status()
        report.database = databaseLabel
        return report
    }

    /// Asks for confirmation on a protected environment. Without a terminal, refuses unless `--yes`.
    func confirmIfProtected(_ summary: String) throws(StrataError) {
        guard isProtected, !options.yes else { return }
        let name = environmentName ?? "production"
        guard isatty(STDIN_FILENO) == 1 else {
            throw StrataError(.confirmationRequired, "environment '\(name)' is protected and there is no terminal to confirm on",
                              hint: "review the plan with --dry-run, then pass --yes")
        }
        Console.write("\(summary)\nEnvironment '\(name)' is protected. Type its name to continue: ", to: FileHandle.standardError)
        let answer = try ConfirmationPrompt.readAnswer()
        guard answer == name else {
            throw StrataError(.confirmationRequired, "confirmation refused: expected '\(name)'")
        }
    }
}

/// Runs a command body with resolved context, printing errors and mapping them to exit codes.
func runCommand(_ local: GlobalOptions, parent: GlobalOptions?, _ body: (CommandContext) async throws -> Void) async throws {
    let options = local.merged(over: parent)
    let format = Console.Format(rawValue: options.format ?? "text")
    let console = Console(format: format ?? .text, quiet: options.quiet, verbose: options.verbose,
                          terminal: Terminal.detect(noColorFlag: options.noColor))
    guard format != nil else {
        throw ValidationError("--format must be text or json")
    }
    do {
        let context = try CommandContext.resolve(options, console: console)
        try await body(context)
    } catch let error as StrataError {
        console.error(error)
        throw ExitCode(error.code.exitCode)
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        let wrapped = StrataError.wrapping(error)
        console.error(wrapped)
        throw ExitCode(wrapped.code.exitCode)
    }
}
