import Foundation
import Strata
import StrataSQLite

/// What `dump`, `diff`, `load` and `rehearse` share: opening the database without writing it,
/// scratch databases, and the JSON of schema differences.
enum SchemaSupport {
    /// Opens the database for reading only (SQLite: a read-only connection); `nil` when a SQLite
    /// file does not exist.
    static func openForReading(_ context: CommandContext) throws(StrataError) -> (any DatabaseDriver)? {
        if context.database.engine == .sqlite, let path = context.database.path {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return try SQLiteDriver.open(path: path, historyTable: context.historyTable,
                                         logTable: StrataInfo.logTable(forHistoryTable: context.historyTable),
                                         createIfMissing: false, readOnly: true, busyTimeout: context.lockTimeout)
        }
        return try DriverRegistry.open(context.database, historyTable: context.historyTable, createIfMissing: false,
                                       busyTimeout: context.lockTimeout)
    }

    /// Opens the database for reading, or fails with a hint when it does not exist.
    static func openExisting(_ context: CommandContext) throws(StrataError) -> any DatabaseDriver {
        guard let driver = try openForReading(context) else {
            throw StrataError(.database, "database \(context.database.redacted) does not exist",
                              hint: "check --database (or the config file), or create it with `strata up` or `strata load`")
        }
        return driver
    }

    /// A scratch database: a copy of `driver`'s database, or an empty one on its engine (or, with
    /// no driver, an empty SQLite file). When a copy is asked for but the driver could only make
    /// an empty one (PostgreSQL with other sessions connected), the applied migrations among
    /// `migrations` are replayed on it, so it has the database's schema and history.
    static func scratch(from driver: (any DatabaseDriver)?, copying: Bool, replaying migrations: [Migration] = [],
                        context: CommandContext) async throws -> ScratchDatabase {
        if let driver {
            let scratch = try await driver.makeScratchDatabase(copyingContents: copying)
            guard copying, !scratch.copiedContents else { return scratch }
            context.console.progress("Other sessions are connected to \(context.databaseLabel): replaying its applied migrations on \(scratch.location) instead of copying it")
            let warnings: [String]
            do {
                warnings = try await SchemaReplay.replay(migrations, records: try await driver.history(), on: scratch.driver,
                                                         historyTable: context.historyTable)
            } catch {
                await scratch.discard()
                throw error
            }
            for warning in warnings { context.console.warning(warning) }
            return scratch
        }
        guard context.database.engine == .sqlite else {
            throw StrataError(.database, "cannot open \(context.database.redacted)")
        }
        return try SQLiteDriver.emptyScratchDatabase(historyTable: context.historyTable,
                                                     logTable: StrataInfo.logTable(forHistoryTable: context.historyTable))
    }

    /// Runs `body` with a driver, closing it afterwards whatever happens.
    static func using<T: Sendable>(_ driver: any DatabaseDriver, _ body: () async throws -> T) async throws -> T {
        try await finally(body) { await driver.close() }
    }

    /// Runs `body` with a scratch database, discarding it afterwards whatever happens.
    static func using<T: Sendable>(_ scratch: ScratchDatabase, _ body: () async throws -> T) async throws -> T {
        try await finally(body) { await scratch.discard() }
    }

    /// Runs `body`, then `cleanup`, also when `body` throws.
    private static func finally<T: Sendable>(_ body: () async throws -> T, _ cleanup: () async -> Void) async throws -> T {
        let result: T
        do {
            result = try await body()
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
        return result
    }

    /// Runs a dump file's SQL on `driver`, with `writes` as its history rows, in one transaction.
    static func execute(dump text: String, path: String, on driver: any DatabaseDriver,
                        writes: @escaping @Sendable (Int) -> [HistoryWrite] = { _ in [] }) async throws {
        try await driver.prepareHistory()
        _ = try await driver.execute(ExecutionUnit(script: MigrationScript(path: path, sql: text), options: ExecutionOptions(),
                                                   historyWrites: writes))
    }

    /// Reads a UTF-8 text file, or fails with exit 2.
    static func read(_ path: String) throws(StrataError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StrataError(.configuration, "cannot read \(path)", hint: "check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StrataError(.invalidFile, "\(path) is not UTF-8 text")
        }
        return text
    }

    /// The JSON form of a schema difference.
    static func json(_ difference: SchemaDifference) -> JSONValue {
        .object([
            ("object", .string(difference.kind.rawValue)),
            ("name", .string(difference.name)),
            ("change", .string(difference.change.rawValue)),
            ("before", .optional(difference.before)),
            ("after", .optional(difference.after)),
            ("message", .string(difference.description)),
        ])
    }
}
