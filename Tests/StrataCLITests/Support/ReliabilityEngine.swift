import Foundation

/// The engines the reliability tests run on: the same test, given a SQLite file or a PostgreSQL
/// database.
enum ReliabilityEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// A new, empty database named `name` and a few words saying what it is. SQLite: `name.db`
    /// in `directory`, in rollback-journal mode for an even `variant` and WAL for an odd one;
    /// PostgreSQL: a fresh database on the shared test server (dropped when released).
    func database(_ name: String, in directory: TemporaryDirectory, variant: Int = 0) throws -> (db: any ReliabilityDatabase, label: String) {
        switch self {
        case .sqlite:
            let mode = variant % 2 == 0 ? "delete" : "wal"
            return (try SQLiteTestDatabase.create(directory.path("\(name).db"), journalMode: mode), "SQLite, \(mode) journal")
        case .postgres:
            let db = try PostgresDatabase()
            return (db, "PostgreSQL database \(db.name)")
        }
    }
}
