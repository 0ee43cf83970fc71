import Foundation
import GRDBSQLite
import StrataSQLite
import Testing

/// `SQLiteMemoryStatistics.disable()` changes a process-wide setting that SQLite reads once, when it
/// initializes; each test runs in a process of its own, where SQLite has not been used yet.
@Suite("SQLite memory statistics")
struct SQLiteMemoryStatisticsTests {
    @Test("turned off before SQLite's first use, SQLite counts no memory")
    func offBeforeFirstUse() async {
        await #expect(processExitsWith: .exitCode(0)) {
            guard SQLiteMemoryStatistics.disable() else { exit(10) }
            var db: OpaquePointer?
            guard sqlite3_open(":memory:", &db) == SQLITE_OK,
                  sqlite3_exec(db, "CREATE TABLE t (a); INSERT INTO t VALUES (1)", nil, nil, nil) == SQLITE_OK else {
                exit(11)
            }
            let used = sqlite3_memory_used()
            sqlite3_close(db)
            exit(used == 0 ? 0 : 12)
        }
    }

    @Test("once SQLite is in use, the setting is left on and disable() says so")
    func leftOnOnceInUse() async {
        await #expect(processExitsWith: .exitCode(0)) {
            var db: OpaquePointer?
            guard sqlite3_open(":memory:", &db) == SQLITE_OK else { exit(10) }
            guard !SQLiteMemoryStatistics.disable() else { exit(11) }
            let used = sqlite3_memory_used()
            sqlite3_close(db)
            exit(used > 0 ? 0 : 12)
        }
    }
}
