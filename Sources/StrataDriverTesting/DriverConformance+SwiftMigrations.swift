import Strata

extension DriverConformance {
    /// The checks for drivers that run Swift migrations (``DatabaseDriver/supportsSwiftMigrations``
    /// `true`): run them in addition to ``all``.
    ///
    /// ```swift
    /// @Test(arguments: DriverConformance.swiftMigrations)
    /// func swiftMigrations(_ check: DriverConformance.Check) async throws {
    ///     try await check.run { try makeFreshDriver() }
    /// }
    /// ```
    public static var swiftMigrations: [Check] {
        [
            Check(name: "swiftMigrationCommitsWithItsHistoryRow", run: swiftMigrationCommitsWithItsHistoryRow),
            Check(name: "throwingSwiftMigrationLeavesNoTrace", run: throwingSwiftMigrationLeavesNoTrace),
        ]
    }

    /// A Swift unit's statements (a script, a statement with arguments) and its history row commit
    /// together; the handle's `rows` and `…Exists` helpers see the migration's own changes.
    public static func swiftMigrationCommitsWithItsHistoryRow(_ makeDriver: Factory) async throws {
        let check = "swiftMigrationCommitsWithItsHistoryRow"
        try await withDriver(makeDriver) { driver in
            try expect(driver.supportsSwiftMigrations, check, "supportsSwiftMigrations is false")
            let seen = SeenBox()
            let unit = swiftUnit(version: "001") { db in
                try await db.execute("CREATE TABLE conformance_code (id INTEGER PRIMARY KEY, name TEXT)")
                try await db.execute("CREATE INDEX conformance_code_name ON conformance_code (name)")
                try await db.execute("INSERT INTO conformance_code (id, name) VALUES (?, ?)", arguments: [1, "one"])
                let rows = try await db.rows("SELECT id, name FROM conformance_code")
                seen.value = [rows == [[.integer(1), .text("one")]], try await db.tableExists("conformance_code"),
                              try await db.columnExists("name", in: "conformance_code"),
                              try await db.indexExists("conformance_code_name"), try await !db.tableExists("nope")]
            }
            _ = try await driver.execute(unit)
            try expect(seen.value == [true, true, true, true, true], check,
                       "rows/tableExists/columnExists/indexExists inside the migration returned \(seen.value)")
            try expect(try await driver.history().map(\.version) == ["001"], check, "the history row is missing")
            try expect(try await driver.tableColumns("conformance_code") == ["id", "name"], check,
                       "the table made by the Swift migration is missing")
        }
    }

    /// A Swift unit whose closure throws after changing the database leaves neither the change nor
    /// a history row, and the driver throws.
    public static func throwingSwiftMigrationLeavesNoTrace(_ makeDriver: Factory) async throws {
        let check = "throwingSwiftMigrationLeavesNoTrace"
        struct Planned: Error {}
        try await withDriver(makeDriver) { driver in
            let unit = swiftUnit(version: "002") { db in
                try await db.execute("CREATE TABLE conformance_half (id INTEGER)")
                throw Planned()
            }
            var threw = false
            do { _ = try await driver.execute(unit) } catch { threw = true }
            try expect(threw, check, "execute did not throw although the closure did")
            try expect(try await driver.tableColumns("conformance_half") == nil, check,
                       "the table of the failed migration remains")
            try expect(try await driver.history().isEmpty, check, "a history row of the failed migration was written")
        }
    }

    private final class SeenBox: @unchecked Sendable {
        var value: [Bool] = []
    }

    private static func swiftUnit(version: String, _ code: @escaping SwiftMigrationCode.Body) -> ExecutionUnit {
        ExecutionUnit(script: MigrationScript(path: "Conformance.swift", sql: "-- Swift migration \(version)\n"),
                      options: ExecutionOptions(), code: code) { ms in
            [.upsert(HistoryRecord(version: version, description: "conformance \(version)", kind: .swift,
                                   script: "Conformance.swift:1", checksum: SwiftMigrationCode.checksum(revision: "1"),
                                   downSQL: nil, appliedBy: "tester", hostname: "localhost",
                                   appliedAt: "2026-11-21T10:40:00.000Z", executionTimeMs: ms, status: .applied))]
        }
    }
}
