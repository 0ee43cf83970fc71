import Foundation
import Testing

/// Many runners at once on one database: each migration is applied exactly once.
@Suite("Concurrent runners")
struct ConcurrencyTests {
    @Test func eightRunnersApplyEveryMigrationExactlyOnce() throws {
        let tmp = try TemporaryDirectory()
        var files = ["001_ledger.sql": "CREATE TABLE ledger (version INTEGER NOT NULL);\nINSERT INTO ledger VALUES (1);\n"]
        for i in 2...20 {
            let v = String(format: "%03d", i)
            files["\(v)_t\(i).sql"] = "CREATE TABLE t\(i) (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t\(i) (v) VALUES ('x');\nINSERT INTO ledger VALUES (\(i));\n"
        }
        try tmp.write(files, under: "migrations")
        let db = tmp.path("shared.db")

        for r in try StrataProcess.strataConcurrently(["-d", db.path, "--lock-timeout", "60", "up"], count: 8, in: tmp.url) {
            #expect(r.exitCode == 0, "\(r)")
        }
        #expect(try StrataProcess.sqlite3(db, "SELECT count(*), count(DISTINCT version) FROM ledger;") == "20|20\n")
        #expect(try StrataProcess.sqlite3(db, "SELECT count(*) FROM strata_schema_log WHERE event = 'applied';") == "20\n")
        #expect(try StrataProcess.sqlite3(db, "SELECT count(*) FROM strata_schema_history WHERE status = 'applied';") == "20\n")
        #expect(!FileManager.default.fileExists(atPath: db.path + ".lock"), "the lock file is removed at the end")
    }

    @Test func heldLockMakesTheSecondRunnerExit4NamingTheHolder() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(["001_a.sql": "CREATE TABLE a (id INTEGER);\n"], under: "migrations")
        let db = tmp.path("a.db")
        _ = FileManager.default.createFile(atPath: db.path, contents: nil)
        // Another process holds the lock file's flock for 3 seconds.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "printf 'pid: 4242\\nhostname: elsewhere\\n' > \"$0\"; exec flock \"$0\" sleep 3", db.path + ".lock"]
        try holder.run()
        Thread.sleep(forTimeInterval: 0.5)
        let r = try StrataProcess.strata(["-d", db.path, "--lock-timeout", "0.5", "up"], in: tmp.url)
        #expect(r.exitCode == 4, "\(r)")
        #expect(r.stderr.contains("4242"), "\(r.stderr)")
        holder.waitUntilExit()
        let after = try StrataProcess.strata(["-d", db.path, "up"], in: tmp.url)
        #expect(after.exitCode == 0, "\(after)")
    }
}
