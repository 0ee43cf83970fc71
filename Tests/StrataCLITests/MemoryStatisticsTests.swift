import Foundation
import GRDBSQLite
import StrataCLI
import Testing

/// The command line turns SQLite's memory statistics off before its first database call (every
/// allocation inside SQLite then skips a global mutex). Run in a process of its own, where SQLite
/// has not been used yet.
@Suite("strata and SQLite's memory statistics")
struct MemoryStatisticsTests {
    @Test("a command leaves SQLite counting no memory")
    func commandTurnsThemOff() async {
        await #expect(processExitsWith: .exitCode(0)) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-memstat-\(getpid())")
            try? FileManager.default.removeItem(at: dir)
            try? FileManager.default.createDirectory(at: dir.appendingPathComponent("migrations"),
                                                     withIntermediateDirectories: true)
            try? "CREATE TABLE t (a INTEGER);\n".write(to: dir.appendingPathComponent("migrations/0001_t.sql"),
                                                       atomically: true, encoding: .utf8)
            await StrataCommand.runTool(["-d", "sqlite:" + dir.appendingPathComponent("app.db").path,
                                         "-m", dir.appendingPathComponent("migrations").path, "--quiet", "--yes", "up"])
            var db: OpaquePointer?
            guard sqlite3_open_v2(dir.appendingPathComponent("app.db").path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK,
                  sqlite3_exec(db, "SELECT count(*) FROM t", nil, nil, nil) == SQLITE_OK else { exit(10) }
            let used = sqlite3_memory_used()
            sqlite3_close(db)
            try? FileManager.default.removeItem(at: dir)
            exit(used == 0 ? 0 : 11)
        }
    }
}
