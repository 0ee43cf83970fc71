import Foundation
import Strata
import StrataDriverTesting
import StrataSQLite
import Testing

@Suite("SQLite driver conformance")
struct ConformanceTests {
    @Test(arguments: DriverConformance.all)
    func conformance(_ check: DriverConformance.Check) async throws {
        let dir = TempDir()
        try await check.run {
            try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        }
    }

    @Test(arguments: DriverConformance.swiftMigrations)
    func swiftMigrations(_ check: DriverConformance.Check) async throws {
        let dir = TempDir()
        try await check.run {
            try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true)
        }
    }

    @Test func logIsAppendOnly() async throws {
        let dir = TempDir()
        try await DriverConformance.logIsAppendOnly(
            { try SQLiteDriver.open(path: dir.newDatabasePath(), createIfMissing: true) },
            rawExecute: { driver, sql in
                try await (driver as! SQLiteDriver).executeRaw(sql)
            })
    }

    @Test func conformanceWithCustomTableNames() async throws {
        let dir = TempDir()
        for check in DriverConformance.all {
            try await check.run {
                try SQLiteDriver.open(path: dir.newDatabasePath(), historyTable: "my \"history\"",
                                      logTable: "audit'log", createIfMissing: true)
            }
        }
        try await DriverConformance.logIsAppendOnly(
            { try SQLiteDriver.open(path: dir.newDatabasePath(), logTable: "audit_log", createIfMissing: true) },
            logTable: "audit_log",
            rawExecute: { driver, sql in try await (driver as! SQLiteDriver).executeRaw(sql) })
    }
}
