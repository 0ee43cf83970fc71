import Strata

/// A conformance check that did not hold.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The check's name, for example `historyRoundTrip`.
    public var check: String
    /// What was expected and what happened.
    public var message: String

    /// Creates a failure.
    public init(check: String, message: String) {
        self.check = check
        self.message = message
    }

    /// `<check>: <message>`.
    public var description: String { "\(check): \(message)" }
}

/// The behaviour every ``DatabaseDriver`` must have, as runnable checks.
///
/// Each check takes a factory that returns a driver on a **fresh, empty database** every time it
/// is called, runs against it, closes it, and throws a ``ConformanceFailure`` (or the driver's own
/// unexpected error) when the driver misbehaves. The SQL is engine-neutral
/// (`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)` and the like), so the SQLite and
/// PostgreSQL drivers run the same suite:
///
/// ```swift
/// @Test(arguments: DriverConformance.all)
/// func conformance(_ check: DriverConformance.Check) async throws {
///     try await check.run { try makeFreshDriver() }
/// }
/// ```
public enum DriverConformance {
    /// Returns a driver on a fresh, empty database.
    public typealias Factory = @Sendable () async throws -> any DatabaseDriver

    /// A named check.
    public struct Check: Sendable, CustomStringConvertible {
        /// The check's name.
        public let name: String
        /// Runs the check with a factory of fresh drivers.
        public let run: @Sendable (_ makeDriver: Factory) async throws -> Void

        /// Creates a check.
        public init(name: String, run: @escaping @Sendable (_ makeDriver: Factory) async throws -> Void) {
            self.name = name
            self.run = run
        }

        /// The name.
        public var description: String { name }
    }

    /// Every engine-neutral check. ``logIsAppendOnly(_:logTable:rawExecute:)`` is not listed: it
    /// needs a way to run SQL outside the driver contract.
    public static var all: [Check] {
        [
            Check(name: "historyRoundTrip", run: historyRoundTrip),
            Check(name: "emptyHistoryWithoutTables", run: emptyHistoryWithoutTables),
            Check(name: "migrationAndHistoryCommitTogether", run: migrationAndHistoryCommitTogether),
            Check(name: "failedStatementRollsBackEverything", run: failedStatementRollsBackEverything),
            Check(name: "errorCarriesLocation", run: errorCarriesLocation),
            Check(name: "verifyScriptRowsFailTheMigration", run: verifyScriptRowsFailTheMigration),
            Check(name: "nonTransactionalUnitRunsOutsideTransaction", run: nonTransactionalUnitRunsOutsideTransaction),
            Check(name: "historyValuesAreBound", run: historyValuesAreBound),
        ]
    }

    // MARK: - Checks

    /// `prepareHistory()` is idempotent; an upserted record comes back from `history()` identical in
    /// every field; an upsert of the same version replaces it; a delete removes it; log entries come
    /// back oldest first with increasing ids and every field intact.
    public static func historyRoundTrip(_ makeDriver: Factory) async throws {
        let check = "historyRoundTrip"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            try await driver.prepareHistory()
            let full = HistoryRecord(
                version: "1.2.10", description: "add user settings", kind: .repeatable,
                script: "migrations/V1_2_10__add_user_settings.sql",
                checksum: String(repeating: "ab", count: 32), downSQL: "DROP TABLE user_settings;\n",
                appliedBy: "deploy", hostname: "db-host-1", appliedAt: "2026-11-21T10:40:00.123Z",
                executionTimeMs: 123_456, status: .failed, rolledBackAt: "2026-11-21T10:41:00.000Z",
                errorMessage: "near \"SELEC\": syntax error\nline two", metadata: "{\"author\":\"dev@example.com\"}",
                strataVersion: "9.8.7", dirty: true)
            let minimal = HistoryRecord(
                version: "002", description: "", kind: .sql, script: "002_x.sql", checksum: nil, downSQL: nil,
                appliedBy: "u", hostname: "h", appliedAt: "2026-11-21T10:42:00Z", executionTimeMs: 0,
                status: .applied)
            try await driver.write([.upsert(full), .upsert(minimal)])
            try expectSameRecords(try await driver.history(), [full, minimal], check: check, when: "after two upserts")

            var updated = full
            updated.status = .rolledBack
            updated.rolledBackAt = "2026-11-22T00:00:00Z"
            updated.errorMessage = nil
            updated.dirty = false
            updated.executionTimeMs = 7
            try await driver.write([.upsert(updated)])
            try expectSameRecords(try await driver.history(), [updated, minimal], check: check,
                                  when: "after an upsert of an existing version")

            try await driver.write([.delete(version: "002")])
            try expectSameRecords(try await driver.history(), [updated], check: check, when: "after a delete")

            let entries = [
                LogEntry(version: "1.2.10", event: .applied, description: "add user settings",
                         checksum: String(repeating: "cd", count: 32), actor: "deploy", hostname: "db-host-1",
                         at: "2026-11-21T10:40:00.123Z", executionTimeMs: 42, message: nil, strataVersion: "9.8.7"),
                LogEntry(version: "1.2.10", event: .rolledBack, description: "add user settings", checksum: nil,
                         actor: "deploy", hostname: "db-host-1", at: "2026-11-21T10:41:00Z"),
                LogEntry(version: "002", event: .repaired, description: "", checksum: "x", actor: "ops",
                         hostname: "h", at: "2026-11-21T10:42:00Z", message: "accepted new checksum"),
                LogEntry(version: "003", event: .adopted, description: "from golang-migrate", checksum: nil,
                         actor: "ops", hostname: "h", at: "2026-11-21T10:43:00Z", message: "schema_migrations"),
            ]
            try await driver.write([.append(entries[0])])
            try await driver.write([.append(entries[1]), .append(entries[2]), .append(entries[3])])
            try await driver.prepareHistory()
            let log = try await driver.log()
            try expect(log.count == entries.count, check,
                       "log() returned \(log.count) entries after \(entries.count) appends")
            var previousID: Int64 = .min
            for (got, want) in zip(log, entries) {
                guard let id = got.id else {
                    throw ConformanceFailure(check: check, message: "log() returned an entry without an id: \(got)")
                }
                try expect(id > previousID, check, "log ids are not increasing: \(log.map(\.id))")
                previousID = id
                var withoutID = got
                withoutID.id = nil
                try expect(withoutID == want, check, "log entry came back changed:\n  wrote \(want)\n  read  \(got)")
            }
            try expectSameRecords(try await driver.history(), [updated], check: check,
                                  when: "after a second prepareHistory()")
        }
    }

    /// On a fresh database, `history()` and `log()` return empty arrays (repeatedly, without
    /// failing), and still do after `prepareHistory()`.
    public static func emptyHistoryWithoutTables(_ makeDriver: Factory) async throws {
        let check = "emptyHistoryWithoutTables"
        try await withDriver(makeDriver) { driver in
            for round in 1...2 {
                let history = try await driver.history()
                try expect(history.isEmpty, check, "history() on a fresh database returned \(history) (call \(round))")
                let log = try await driver.log()
                try expect(log.isEmpty, check, "log() on a fresh database returned \(log) (call \(round))")
            }
            try await driver.prepareHistory()
            let history = try await driver.history()
            let log = try await driver.log()
            try expect(history.isEmpty && log.isEmpty, check,
                       "after prepareHistory() history() returned \(history.count) rows and log() \(log.count)")
        }
    }

    /// A successful unit's changes and its history rows are both there afterwards, and the rows
    /// carry the milliseconds `execute` returned (handed to `historyWrites`, or, by a driver that
    /// measures them on the server, put into the writes it got from `historyWrites(0)`).
    public static func migrationAndHistoryCommitTogether(_ makeDriver: Factory) async throws {
        let check = "migrationAndHistoryCommitTogether"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            let script = """
                -- Migration: create conformance_t
                CREATE TABLE conformance_t (id INTEGER PRIMARY KEY, name TEXT);
                INSERT INTO conformance_t (id, name) VALUES (1, 'one');
                INSERT INTO conformance_t (id, name) VALUES (2, 'two; with a semicolon');
                """
            let box = ElapsedBox()
            let unit = ExecutionUnit(script: MigrationScript(path: "migrations/001_t.sql", sql: script),
                                     options: ExecutionOptions()) { ms in
                box.value = ms
                return [.upsert(record("001", ms: ms)), .append(logEntry("001", .applied, ms: ms))]
            }
            let ms = try await driver.execute(unit)
            try expect(ms >= 0, check, "execute returned negative milliseconds \(ms)")
            try expect(box.value == ms || box.value == 0, check,
                       "execute returned \(ms) ms but historyWrites was called with \(box.value.map(String.init) ?? "nothing")")
            try expectSameRecords(try await driver.history(), [record("001", ms: ms)], check: check,
                                  when: "after a successful unit")
            let log = try await driver.log()
            try expect(log.count == 1 && log.first?.event == .applied && log.first?.executionTimeMs == ms, check,
                       "log() after a successful unit that took \(ms) ms: \(log)")
            try expect(try await succeeds(driver, "SELECT 1;",
                                                   verify: "SELECT 1 WHERE (SELECT COUNT(*) FROM conformance_t) <> 2;"),
                       check, "the unit's table or rows are missing after it succeeded")
            let rows = try await succeeds(driver, "SELECT 1;", verify: "SELECT id FROM conformance_t WHERE id NOT IN (1, 2);")
            try expect(rows, check, "conformance_t holds rows the unit did not insert")
        }
    }

    /// When the 2nd of 3 statements fails, the 1st statement's table is gone, no history or log row
    /// was written, and the error is `.migrationFailed` located on line 2 of the script's file.
    public static func failedStatementRollsBackEverything(_ makeDriver: Factory) async throws {
        let check = "failedStatementRollsBackEverything"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            let path = "migrations/002_fail.sql"
            let script = """
                CREATE TABLE conformance_a (id INTEGER PRIMARY KEY, name TEXT);
                INSERT INTO conformance_missing (id) VALUES (1);
                CREATE TABLE conformance_b (id INTEGER PRIMARY KEY);
                """
            let error = try await expectStrataError(check, "a unit whose 2nd statement fails") {
                _ = try await driver.execute(unit(path: path, script, version: "002"))
            }
            try expect(error.code == .migrationFailed, check, "expected code migration_failed, got \(error.code): \(error)")
            try expect(error.location?.file == path && error.location?.line == 2, check,
                       "expected the error at \(path):2, got \(error.location.map(String.init(describing:)) ?? "no location")")
            try expect(!(try await succeeds(driver, "SELECT 1 FROM conformance_a WHERE 1 = 0;")), check,
                       "the table created by the 1st statement remains after the 2nd failed")
            try expect(!(try await succeeds(driver, "SELECT 1 FROM conformance_b WHERE 1 = 0;")), check,
                       "the 3rd statement ran after the 2nd failed")
            let history = try await driver.history()
            try expect(history.isEmpty, check, "a failed unit wrote history rows: \(history)")
            let log = try await driver.log()
            try expect(log.isEmpty, check, "a failed unit wrote log rows: \(log)")
        }
    }

    /// A syntax error on line 3 of a script that starts on line 10 of its file is reported at line 12
    /// and the column of the offending token.
    public static func errorCarriesLocation(_ makeDriver: Factory) async throws {
        let check = "errorCarriesLocation"
        try await withDriver(makeDriver) { driver in
            let path = "migrations/003_sections.sql"
            let script = """
                CREATE TABLE conformance_loc (id INTEGER PRIMARY KEY);
                INSERT INTO conformance_loc (id) VALUES (1);
                  CREATE TABL conformance_loc2 (id INTEGER);
                """
            let error = try await expectStrataError(check, "a unit with a syntax error") {
                _ = try await driver.execute(unit(path: path, script, firstLine: 10, version: "003"))
            }
            try expect(error.code == .migrationFailed, check, "expected code migration_failed, got \(error.code): \(error)")
            let expected = SourceLocation(file: path, line: 12, column: 10)
            try expect(error.location == expected, check,
                       "expected the error at \(expected) (the token TABL), got "
                       + (error.location.map(String.init(describing:)) ?? "no location") + ": \(error)")
            try expect(error.databaseCode != nil, check, "the error carries no database code: \(error)")
        }
    }

    /// A verify script that returns a row fails the unit with `.verificationFailed` located at the
    /// verify statement, and rolls everything back; a verify script that returns nothing lets the
    /// unit commit.
    public static func verifyScriptRowsFailTheMigration(_ makeDriver: Factory) async throws {
        let check = "verifyScriptRowsFailTheMigration"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            let script = """
                CREATE TABLE conformance_v (id INTEGER PRIMARY KEY, name TEXT);
                INSERT INTO conformance_v (id, name) VALUES (1, 'a');
                INSERT INTO conformance_v (id, name) VALUES (2, NULL);
                """
            let verifyPath = "migrations/V004__v/verify.sql"
            let failing = MigrationScript(path: verifyPath, sql: """
                -- every row needs a name
                SELECT id, name FROM conformance_v WHERE name IS NULL;
                """)
            let error = try await expectStrataError(check, "a unit whose verify script returns a row") {
                _ = try await driver.execute(unit(path: "migrations/V004__v/up.sql", script, version: "004", verify: failing))
            }
            try expect(error.code == .verificationFailed, check,
                       "expected code verification_failed, got \(error.code): \(error)")
            try expect(error.location?.file == verifyPath && error.location?.line == 2, check,
                       "expected the error at \(verifyPath):2, got \(error.location.map(String.init(describing:)) ?? "no location")")
            try expect(error.message.contains("2"), check, "the message does not show the row's values: \(error.message)")
            try expect(!(try await succeeds(driver, "SELECT 1 FROM conformance_v WHERE 1 = 0;")), check,
                       "the unit's table remains after its verify script failed")
            let history = try await driver.history()
            try expect(history.isEmpty, check, "a unit whose verification failed wrote history rows: \(history)")

            let passing = MigrationScript(path: verifyPath, sql: "SELECT id FROM conformance_v WHERE id > 2;")
            _ = try await driver.execute(unit(path: "migrations/V004__v/up.sql", script, version: "004", verify: passing))
            let after = try await driver.history()
            try expect(after.map(\.version) == ["004"], check,
                       "a unit whose verify script returned nothing was not recorded: \(after)")
        }
    }

    /// A non-transactional unit runs its statements one by one: when the 2nd fails, the 1st's table
    /// stays and no history row is written; when all succeed, the history row is written.
    public static func nonTransactionalUnitRunsOutsideTransaction(_ makeDriver: Factory) async throws {
        let check = "nonTransactionalUnitRunsOutsideTransaction"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            let path = "migrations/005_nt.sql"
            let script = """
                CREATE TABLE conformance_nt (id INTEGER PRIMARY KEY);
                INSERT INTO conformance_nt_missing (id) VALUES (1);
                """
            let error = try await expectStrataError(check, "a non-transactional unit whose 2nd statement fails") {
                _ = try await driver.execute(unit(path: path, script, version: "005", transactional: false))
            }
            try expect(error.code == .migrationFailed && error.location?.line == 2, check,
                       "expected migration_failed at \(path):2, got \(error)")
            try expect(try await succeeds(driver, "SELECT 1 FROM conformance_nt WHERE 1 = 0;"), check,
                       "the 1st statement of a non-transactional unit was rolled back; it must stay")
            let history = try await driver.history()
            try expect(history.isEmpty, check, "a failed non-transactional unit wrote history rows: \(history)")

            _ = try await driver.execute(unit(path: "migrations/006_nt.sql",
                                              "CREATE TABLE conformance_nt2 (id INTEGER PRIMARY KEY);",
                                              version: "006", transactional: false))
            let after = try await driver.history()
            try expect(after.map(\.version) == ["006"], check,
                       "a successful non-transactional unit was not recorded: \(after)")
            try expect(try await succeeds(driver, "SELECT 1 FROM conformance_nt2 WHERE 1 = 0;"), check,
                       "the table of a successful non-transactional unit is missing")
        }
    }

    /// History and log values are bound, never spliced into SQL: quotes, semicolons, comment
    /// markers, newlines and non-ASCII text are stored and read back literally, and nothing they
    /// spell is executed.
    public static func historyValuesAreBound(_ makeDriver: Factory) async throws {
        let check = "historyValuesAreBound"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            _ = try await driver.execute(unit(path: "migrations/001_users.sql",
                                              "CREATE TABLE conformance_users (id INTEGER PRIMARY KEY);",
                                              version: "001"))
            let nasty = "x'); DROP TABLE conformance_users; --"
            let record = HistoryRecord(
                version: "007", description: nasty, kind: .sql, script: "migrations/007_it's \"quoted\".sql",
                checksum: "'; DELETE FROM conformance_users; --", downSQL: "DROP TABLE x; -- it's\n/* c */",
                appliedBy: "o'brien", hostname: "host\"; --", appliedAt: "2026-11-21T10:40:00Z",
                executionTimeMs: 1, status: .applied, errorMessage: "line 1\nline 2 \\ ' \"",
                metadata: "{\"notes\":\"caf\u{E9} \u{65E5}\u{672C} \u{2713} '\"}", strataVersion: "0.0.0-'")
            let entry = LogEntry(version: "007", event: .applied, description: nasty, checksum: nil,
                                 actor: "o'brien", hostname: "h", at: "2026-11-21T10:40:00Z",
                                 message: "'); DROP TABLE conformance_users; --")
            try await driver.write([.upsert(record), .append(entry)])
            let history = try await driver.history().filter { $0.version == "007" }
            try expectSameRecords(history, [record], check: check, when: "after writing quoted values")
            let log = try await driver.log().filter { $0.version == "007" }
            try expect(log.count == 1 && log[0].description == nasty && log[0].message == entry.message
                       && log[0].actor == "o'brien", check, "log values came back changed: \(log)")
            try expect(try await succeeds(driver, "SELECT 1 FROM conformance_users WHERE 1 = 0;"), check,
                       "conformance_users was dropped: a history value was executed as SQL")
        }
    }

    /// The audit log rejects UPDATE and DELETE at the engine level. `rawExecute` runs one SQL
    /// statement on the driver's database outside the driver contract (for example
    /// `SQLiteDriver.executeRaw`) and must throw when the engine refuses it.
    public static func logIsAppendOnly(
        _ makeDriver: Factory, logTable: String = "strata_schema_log",
        rawExecute: @escaping @Sendable (_ driver: any DatabaseDriver, _ sql: String) async throws -> Void
    ) async throws {
        let check = "logIsAppendOnly"
        try await withDriver(makeDriver) { driver in
            try await driver.prepareHistory()
            try await driver.write([.append(logEntry("001", .applied, ms: 3))])
            for sql in ["UPDATE \(logTable) SET message = 'changed'", "DELETE FROM \(logTable)"] {
                var refused = false
                do { try await rawExecute(driver, sql) } catch { refused = true }
                try expect(refused, check, "the engine accepted `\(sql)` on the audit log")
            }
            let log = try await driver.log()
            try expect(log.count == 1 && log[0].message == nil, check, "the audit log changed: \(log)")
        }
    }

    // MARK: - Helpers

    private final class ElapsedBox: @unchecked Sendable {
        var value: Int?
    }

    static func withDriver(_ makeDriver: Factory,
                                   _ body: (any DatabaseDriver) async throws -> Void) async throws {
        let driver = try await makeDriver()
        do {
            try await body(driver)
        } catch {
            await driver.close()
            throw error
        }
        await driver.close()
    }

    static func expect(_ condition: Bool, _ check: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(check: check, message: message()) }
    }

    private static func expectSameRecords(_ got: [HistoryRecord], _ want: [HistoryRecord], check: String,
                                          when: String) throws {
        let sortedGot = got.sorted { $0.version < $1.version }
        let sortedWant = want.sorted { $0.version < $1.version }
        if sortedGot != sortedWant {
            throw ConformanceFailure(check: check, message: "history() \(when):\n  expected \(sortedWant)\n  got      \(sortedGot)")
        }
    }

    private static func expectStrataError(_ check: String, _ what: String,
                                          _ body: () async throws -> Void) async throws -> StrataError {
        do {
            try await body()
        } catch let error as StrataError {
            return error
        } catch {
            throw ConformanceFailure(check: check, message: "\(what) threw \(type(of: error)), not StrataError: \(error)")
        }
        throw ConformanceFailure(check: check, message: "\(what) did not throw")
    }

    /// Runs `script` (and `verify`) as a unit that writes no history; whether it succeeded.
    private static func succeeds(_ driver: any DatabaseDriver, _ script: String, verify: String? = nil) async throws -> Bool {
        let probe = ExecutionUnit(script: MigrationScript(path: "probe.sql", sql: script), options: ExecutionOptions(),
                                  verify: verify.map { MigrationScript(path: "probe.verify.sql", sql: $0) }) { _ in [] }
        do {
            _ = try await driver.execute(probe)
            return true
        } catch is StrataError {
            return false
        }
    }

    private static func unit(path: String, _ sql: String, firstLine: Int = 1, version: String,
                             transactional: Bool = true, verify: MigrationScript? = nil) -> ExecutionUnit {
        ExecutionUnit(script: MigrationScript(path: path, sql: sql, firstLine: firstLine),
                      options: ExecutionOptions(transactional: transactional), verify: verify) { ms in
            [.upsert(record(version, ms: ms)), .append(logEntry(version, .applied, ms: ms))]
        }
    }

    private static func record(_ version: String, ms: Int) -> HistoryRecord {
        HistoryRecord(version: version, description: "conformance \(version)", kind: .sql,
                      script: "migrations/\(version).sql", checksum: String(repeating: "0", count: 64),
                      downSQL: nil, appliedBy: "tester", hostname: "localhost",
                      appliedAt: "2026-11-21T10:40:00.000Z", executionTimeMs: ms, status: .applied)
    }

    private static func logEntry(_ version: String, _ event: LogEntry.Event, ms: Int) -> LogEntry {
        LogEntry(version: version, event: event, description: "conformance \(version)",
                 checksum: String(repeating: "0", count: 64), actor: "tester", hostname: "localhost",
                 at: "2026-11-21T10:40:00.000Z", executionTimeMs: ms)
    }
}
