import Foundation
import Strata
import StrataPostgres
import StrataSQLite

/// The explicit table from database URL to driver.
enum DriverRegistry {
    /// Opens the driver for `url`; `nil` when a read-only command finds no SQLite file. A
    /// PostgreSQL driver connects on first use, so connection errors surface at its first call.
    static func open(_ url: DatabaseURL, historyTable: String, createIfMissing: Bool, busyTimeout: Double,
                     postgresLockTimeout: String? = nil,
                     postgresStatementTimeout: String? = nil) throws(StrataError) -> (any DatabaseDriver)? {
        switch url.engine {
        case .sqlite:
            let path = url.path!
            if !createIfMissing && !FileManager.default.fileExists(atPath: path) { return nil }
            return try SQLiteDriver.open(path: path, historyTable: historyTable,
                                         logTable: StrataInfo.logTable(forHistoryTable: historyTable),
                                         createIfMissing: createIfMissing, busyTimeout: busyTimeout)
        case .postgres:
            return try PostgresDriver(settings: postgresSettings(url), historyTable: historyTable,
                                      logTable: StrataInfo.logTable(forHistoryTable: historyTable),
                                      lockTimeout: postgresLockTimeout, statementTimeout: postgresStatementTimeout)
        }
    }

    /// The connection settings of a `postgres://` URL, with `PGUSER`/`PGPASSWORD` filling in what
    /// the URL leaves out, as libpq does.
    static func postgresSettings(_ url: DatabaseURL) throws(StrataError) -> PostgresConnectionSettings {
        let env = ProcessInfo.processInfo.environment
        let known = ["PGUSER", "PGPASSWORD", "USER", "LOGNAME"]
        return try PostgresConnectionSettings.parse(url.raw, environment: env.filter { known.contains($0.key) })
    }
}
