import Foundation
import Strata
import StrataSQLite

/// The explicit table from database URL to driver.
enum DriverRegistry {
    /// Opens the driver for `url`; `nil` when a read-only command finds no SQLite file.
    static func open(_ url: DatabaseURL, historyTable: String, createIfMissing: Bool,
                     busyTimeout: Double) throws(StrataError) -> (any DatabaseDriver)? {
        switch url.engine {
        case .sqlite:
            let path = url.path!
            if !createIfMissing && !FileManager.default.fileExists(atPath: path) { return nil }
            return try SQLiteDriver.open(path: path, historyTable: historyTable,
                                         logTable: StrataInfo.logTable(forHistoryTable: historyTable),
                                         createIfMissing: createIfMissing, busyTimeout: busyTimeout)
        case .postgres:
            throw StrataError(.configuration, "PostgreSQL is not supported by this build yet (\(url.redacted))",
                              hint: "use a SQLite database for now")
        }
    }
}
