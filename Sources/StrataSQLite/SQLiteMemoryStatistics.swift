import CStrataSQLite
import GRDBSQLite

/// SQLite's process-wide memory statistics (`SQLITE_CONFIG_MEMSTATUS`), which the `strata`
/// command line turns off.
///
/// With the statistics on (SQLite's default), every allocation and every free inside SQLite takes
/// one global mutex. Schema changes allocate a great deal: each one makes SQLite parse the whole
/// schema again, so a `down --all` of 1,000 generated migrations locks that mutex 22 million
/// times. With the statistics off, the same run takes about 17 % less time, and `up` about 11 %
/// less (see BENCHMARKS.md). SQLite's documentation recommends the same at compile time
/// (`SQLITE_DEFAULT_MEMSTATUS=0`).
///
/// What is given up, for the whole process: `sqlite3_memory_used()`, `sqlite3_memory_highwater()`
/// and `sqlite3_status64()` report nothing, and `sqlite3_soft_heap_limit64()` and
/// `sqlite3_hard_heap_limit64()` limit nothing.
///
/// An application that embeds Strata decides for itself. To turn them off, call ``disable()`` at
/// start-up, before anything opens a database:
///
/// ```swift
/// @main struct App {
///     static func main() async throws {
///         SQLiteMemoryStatistics.disable()
///         let pool = try DatabasePool(path: "app.db")
///         try await Migrator(driver: SQLiteDriver(writer: pool), migrations: migrations).migrate()
///     }
/// }
/// ```
public enum SQLiteMemoryStatistics {
    /// Turns SQLite's memory statistics off for the whole process, if SQLite has not been used
    /// in it yet.
    ///
    /// - Returns: `true` when the statistics are now off; `false` when SQLite was already in use
    ///   in this process (the setting can only change before SQLite initializes, so it is left
    ///   as it is).
    @discardableResult
    public static func disable() -> Bool {
        strata_sqlite3_disable_memory_statistics() == SQLITE_OK
    }
}
