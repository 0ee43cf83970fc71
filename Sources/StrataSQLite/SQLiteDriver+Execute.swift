import GRDB
import GRDBSQLite
import Strata

extension SQLiteDriver {
    /// Runs a unit and returns the milliseconds its script took.
    ///
    /// **Transactional units** (the default):
    /// 1. With ``ExecutionOptions/ForeignKeys/checkBeforeCommit`` and foreign keys on, `PRAGMA
    ///    foreign_keys = OFF` first (the pragma is a no-op inside a transaction). This is what keeps
    ///    the table-rebuild pattern (create `x_new`, copy, drop `x`, rename) from cascading deletes
    ///    into child tables.
    /// 2. `BEGIN IMMEDIATE`, every statement of the script, the verify script (any row fails), then
    ///    `PRAGMA foreign_key_check`: a violation the migration introduced fails it. Violations that
    ///    were already in the database before it ran are left to `strata verify`: they are counted
    ///    per child/parent table pair, and only a pair whose count grew fails the migration. To keep
    ///    the common case at one scan, that baseline is taken only when violations are found: the
    ///    unit is then rolled back and run once more with a count taken right after its `BEGIN`.
    /// 3. The history writes, `COMMIT`. On any error, `ROLLBACK`: the unit leaves no trace.
    /// 4. `foreign_keys` is restored to what it was, in every case.
    ///
    /// **A script's own transaction statements.** Seed files often wrap themselves in
    /// `BEGIN TRANSACTION; … COMMIT;` (possibly between `PRAGMA foreign_keys=off/on` lines, as the
    /// SQLite documentation shows). In a transactional unit such a `BEGIN` (also `BEGIN IMMEDIATE`,
    /// `DEFERRED`, `EXCLUSIVE`) and its matching `COMMIT`/`END` are skipped, so the script's
    /// statements and the history row still commit together in Strata's transaction; several
    /// balanced blocks in one script are all absorbed the same way. Everything else is an error
    /// (`.migrationFailed`, located, with a hint to remove the statements or add
    /// `-- strata:no-transaction`): a nested `BEGIN`, a `COMMIT`/`END` without a preceding
    /// `BEGIN`, a `ROLLBACK` (not `ROLLBACK TO` a savepoint), or a `BEGIN` never committed.
    /// `SAVEPOINT`, `RELEASE` and `ROLLBACK TO` are allowed.
    ///
    /// **Non-transactional units** run their statements in autocommit mode, exactly as written
    /// (their own `BEGIN`/`COMMIT` included; a transaction left open is rolled back and is an
    /// error). Foreign keys are handled as above. The verify script, the foreign-key check and the
    /// history writes then run in one transaction of their own; when they fail, the script's
    /// changes stay, and the core records the version as failed.
    ///
    /// - Throws: ``StrataError`` `.migrationFailed` (SQLite's message, the failing statement's
    ///   `file:line:column` — the exact token for syntax errors — and `SQLITE_<NAME>` as
    ///   ``StrataError/databaseCode``), `.verificationFailed` (verify row or foreign-key
    ///   violations), or `.database`.
    public func execute(_ unit: ExecutionUnit) async throws -> Int {
        try await access { db in
            do {
                return try self.executeOnQueue(unit, db, eagerBaseline: false)
            } catch is NeedsForeignKeyBaseline {
                // Violations were found, and counting them before the script (which costs a scan
                // per migration) was skipped: everything was rolled back, so run the unit again,
                // this time counting the violations that were already there.
                return try self.executeOnQueue(unit, db, eagerBaseline: true)
            }
        }
    }

    /// Thrown (and caught in ``execute(_:)``) when a transactional unit leaves foreign-key
    /// violations and no baseline was taken.
    private struct NeedsForeignKeyBaseline: Error {}

    private func executeOnQueue(_ unit: ExecutionUnit, _ db: Database, eagerBaseline: Bool) throws -> Int {
        let connection = try Self.connection(db)
        let runner = ScriptRunner(connection: connection, busyTimeout: busyTimeout)
        try prepareHistory(db, force: false)
        defer { db.clearSchemaCache() }

        let foreignKeysWereOn = try ForeignKeys.enabled(connection)
        let deferForeignKeys = unit.options.foreignKeys == .checkBeforeCommit && foreignKeysWereOn
        if deferForeignKeys { try ForeignKeys.set(false, connection) }
        defer {
            if (try? ForeignKeys.enabled(connection)) != foreignKeysWereOn {
                try? ForeignKeys.set(foreignKeysWereOn, connection)
            }
        }
        let clock = ContinuousClock()

        if unit.options.transactional {
            try begin(db)
            do {
                let baseline = deferForeignKeys && eagerBaseline ? try ForeignKeys.counts(connection) : [:]
                let start = clock.now
                try runner.run(unit.script, policy: .absorb)
                let elapsed = Self.milliseconds(clock.now - start)
                if let verify = unit.verify { try runner.verify(verify) }
                if deferForeignKeys {
                    let violations = try ForeignKeys.violations(connection)
                    if !violations.isEmpty {
                        if !eagerBaseline { throw NeedsForeignKeyBaseline() }
                        try ForeignKeys.check(violations, baseline: baseline, script: unit.script, transactional: true)
                    }
                }
                try writeHistory(unit.historyWrites(elapsed), db)
                try commit(db)
                return elapsed
            } catch {
                Self.rollbackIfActive(connection)
                throw error
            }
        }

        let baseline = deferForeignKeys ? try ForeignKeys.counts(connection) : [:]
        let start = clock.now
        do {
            try runner.run(unit.script, policy: .passThrough)
        } catch {
            Self.rollbackIfActive(connection)
            throw error
        }
        let elapsed = Self.milliseconds(clock.now - start)
        if sqlite3_get_autocommit(connection) == 0 {
            Self.rollbackIfActive(connection)
            throw StrataError(
                .migrationFailed, "the script left a transaction open; it was rolled back",
                location: unit.script.location(ofUTF8Offset: unit.script.sql.utf8.count),
                hint: "end the script's transaction with COMMIT")
        }
        try transaction(db) {
            if let verify = unit.verify { try runner.verify(verify) }
            if deferForeignKeys {
                try ForeignKeys.check(try ForeignKeys.violations(connection), baseline: baseline,
                                      script: unit.script, transactional: false)
            }
            try self.writeHistory(unit.historyWrites(elapsed), db)
        }
        return elapsed
    }

    private func writeHistory(_ writes: [HistoryWrite], _ db: Database) throws {
        do {
            try sql.write(writes, db)
        } catch {
            throw SQLiteErrors.databaseError(error, path: path, busyTimeout: busyTimeout,
                                             context: "cannot write to \(historyTable)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// Foreign-key bookkeeping on the raw connection.
enum ForeignKeys {
    /// Whether `PRAGMA foreign_keys` is on.
    static func enabled(_ connection: OpaquePointer) throws(StrataError) -> Bool {
        try RawQuery.strings(connection, "PRAGMA foreign_keys").first == "1"
    }

    /// Sets `PRAGMA foreign_keys` (a no-op inside a transaction).
    static func set(_ on: Bool, _ connection: OpaquePointer) throws(StrataError) {
        if sqlite3_exec(connection, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF", nil, nil, nil)
            != SQLITE_OK {
            throw RawQuery.error(connection)
        }
    }

    /// Every row of `PRAGMA foreign_key_check`.
    static func violations(_ connection: OpaquePointer) throws(StrataError) -> [SQLiteForeignKeyViolation] {
        var result: [SQLiteForeignKeyViolation] = []
        try RawQuery.run(connection, "PRAGMA foreign_key_check") { (row: RawQuery.Row) throws(StrataError) in
            result.append(SQLiteForeignKeyViolation(table: row.text(0) ?? "", rowid: row.int64(1),
                                                    parent: row.text(2) ?? "", foreignKeyIndex: row.int(3) ?? 0))
        }
        return result
    }

    /// Violations counted per (child table, parent table): rowids and key indexes change when a
    /// table is rebuilt, so counts are what can be compared across a migration.
    static func counts(_ connection: OpaquePointer) throws(StrataError) -> [Pair: Int] {
        var counts: [Pair: Int] = [:]
        for v in try violations(connection) {
            counts[Pair(table: v.table.lowercased(), parent: v.parent.lowercased()), default: 0] += 1
        }
        return counts
    }

    /// A child table and its parent.
    struct Pair: Hashable {
        let table: String
        let parent: String
    }

    /// Throws `.verificationFailed` when there are more violations for some child/parent pair than
    /// in `baseline`, listing up to ten of them.
    static func check(_ all: [SQLiteForeignKeyViolation], baseline: [Pair: Int], script: MigrationScript,
                      transactional: Bool) throws(StrataError) {
        if all.isEmpty { return }
        var counts: [Pair: Int] = [:]
        for v in all { counts[Pair(table: v.table.lowercased(), parent: v.parent.lowercased()), default: 0] += 1 }
        let grown = Set(counts.filter { $0.value > baseline[$0.key, default: 0] }.keys)
        if grown.isEmpty { return }
        let new = all.filter { grown.contains(Pair(table: $0.table.lowercased(), parent: $0.parent.lowercased())) }
        var details = new.prefix(10).map(\.description)
        if new.count > 10 { details.append("… and \(new.count - 10) more") }
        throw StrataError(
            .verificationFailed,
            "foreign key violations after migration (\(new.count) row\(new.count == 1 ? "" : "s"))",
            location: script.location(ofUTF8Offset: 0),
            hint: transactional
                ? "the migration leaves rows whose parent row does not exist, so it was rolled back: "
                    + "fix or delete those rows in the migration, or keep the parent rows"
                : "the migration ran outside a transaction, so its changes remain: fix the rows, "
                    + "then run `strata repair`",
            details: details, databaseCode: "SQLITE_CONSTRAINT_FOREIGNKEY")
    }
}
