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
    ///    `PRAGMA foreign_key_check` over the tables the script touched: a violation the migration
    ///    introduced fails it. The touched tables are recorded by an SQLite authorizer while the
    ///    script's statements are compiled (trigger bodies included): every table it inserts into,
    ///    updates, deletes from, creates, drops, alters or renames, or whose indexes it creates or
    ///    drops. Checked are those of them that have foreign keys, and every table whose foreign
    ///    keys refer to one of them (`pragma_foreign_key_list`), so a large database is not scanned
    ///    in full for each migration, and a script that touches nothing checks nothing.
    ///    Violations that were already in the database before it ran are left to `strata verify`:
    ///    they are counted per child/parent table pair, and only a pair whose count grew fails the
    ///    migration. To keep the common case at one check, that baseline is taken only when
    ///    violations are found: the unit is then rolled back and run once more with a count (of
    ///    the same tables) taken right after its `BEGIN`.
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
    /// error). Foreign keys are handled as above, except that the check covers the whole database
    /// (its baseline must be taken before the script runs, when the touched tables are not yet
    /// known). The verify script, the foreign-key check and the history writes then run in one
    /// transaction of their own; when they fail, the script's changes stay, and the core records
    /// the version as failed.
    ///
    /// - Throws: ``StrataError`` `.migrationFailed` (SQLite's message, the failing statement's
    ///   `file:line:column` — the exact token for syntax errors — and `SQLITE_<NAME>` as
    ///   ``StrataError/databaseCode``), `.verificationFailed` (verify row or foreign-key
    ///   violations), or `.database`.
    ///
    /// **Swift migrations** (a unit with ``ExecutionUnit/code``) run like a transactional unit,
    /// the closure taking the script's place: see ``SQLiteMigrationDatabase``.
    ///
    /// With a borrowed connection (``init(writer:historyTable:logTable:)``) the foreign-key check
    /// covers the whole database, against a count taken right after `BEGIN`.
    public func execute(_ unit: ExecutionUnit) async throws -> Int {
        if let code = unit.code {
            return try await executeCode(unit, code)
        }
        return try await access { db in
            do {
                return try self.executeOnQueue(unit, db, baselineTables: nil)
            } catch let needed as NeedsForeignKeyBaseline {
                // Violations were found, and counting them before the script (which costs a check
                // per migration) was skipped: everything was rolled back, so run the unit again,
                // this time counting the violations that were already in the tables it checks.
                return try self.executeOnQueue(unit, db, baselineTables: needed.tables)
            }
        }
    }

    /// Thrown (and caught in ``execute(_:)``) when a transactional unit leaves foreign-key
    /// violations and no baseline was taken; carries the tables that were checked.
    private struct NeedsForeignKeyBaseline: Error {
        let tables: [String]
    }

    /// Runs a unit once. `baselineTables` is `nil` on the first attempt (no baseline is taken);
    /// on the second, the tables whose violations are counted before the script runs.
    private func executeOnQueue(_ unit: ExecutionUnit, _ db: Database, baselineTables: [String]?) throws -> Int {
        let connection = try Self.connection(db)
        let runner = ScriptRunner(connection: connection, busyTimeout: busyTimeout)
        try prepareHistory(db, force: false)
        defer { db.clearSchemaCache() }

        let foreignKeysWereOn = try ForeignKeys.enabled(connection)
        let deferForeignKeys = unit.options.foreignKeys == .checkBeforeCommit && foreignKeysWereOn
        if deferForeignKeys { try ForeignKeys.set(false, connection) }
        defer {
            if unit.options.transactional {
                // `PRAGMA foreign_keys` is a no-op inside a transaction, so only our own change
                // needs undoing: one statement, not a read and a write.
                if deferForeignKeys { try? ForeignKeys.set(foreignKeysWereOn, connection) }
            } else if (try? ForeignKeys.enabled(connection)) != foreignKeysWereOn {
                try? ForeignKeys.set(foreignKeysWereOn, connection)
            }
        }
        let clock = ContinuousClock()

        if unit.options.transactional {
            try begin(db)
            do {
                // The foreign-key graph kept from earlier units, if the schema is still the one it
                // describes; it is handed back to the driver only when this unit commits.
                let versionBefore = try ForeignKeyGraph.schemaVersion(connection)
                var graph = state.takeForeignKeyGraph(matching: versionBefore)
                var graphIsCurrent = false
                var baseline: [ForeignKeys.Pair: Int] = [:]
                if deferForeignKeys, let baselineTables {
                    baseline = try ForeignKeys.counts(connection, tables: baselineTables)
                } else if deferForeignKeys && !ownsConnection {
                    baseline = try ForeignKeys.counts(connection)
                }
                let start = clock.now
                var touched = TouchedTables()
                if deferForeignKeys && ownsConnection {
                    touched = try TouchedTables.recording(connection) {
                        try runner.run(unit.script, policy: .absorb)
                    }
                } else {
                    try runner.run(unit.script, policy: .absorb)
                }
                let elapsed = Self.milliseconds(clock.now - start)
                if let verify = unit.verify { try runner.verify(verify) }
                if deferForeignKeys && !ownsConnection {
                    // The app's connection keeps GRDB's authorizer: check everything, against the count.
                    try ForeignKeys.check(try ForeignKeys.violations(connection), baseline: baseline,
                                          script: unit.script, transactional: true)
                } else if deferForeignKeys && !touched.isEmpty {
                    var updated = false
                    if graph != nil { updated = try graph!.update(connection, touched: touched) }
                    if !updated { graph = try ForeignKeyGraph.load(connection) }
                    graphIsCurrent = true
                    let tables = graph!.tablesToCheck(touched: touched)
                    let violations = try ForeignKeys.violations(connection, tables: tables)
                    if !violations.isEmpty {
                        guard baselineTables != nil else { throw NeedsForeignKeyBaseline(tables: tables) }
                        try ForeignKeys.check(violations, baseline: baseline, script: unit.script, transactional: true)
                    }
                }
                try writeHistory(unit.historyWrites(elapsed), db)
                let versionAfter = try ForeignKeyGraph.schemaVersion(connection)
                if var graph, graphIsCurrent || versionAfter == versionBefore {
                    graph.schemaVersion = versionAfter
                    state.keep(graph)
                }
                try commit(db)
                return elapsed
            } catch {
                Self.rollbackIfActive(connection)
                state.forgetForeignKeyGraph()
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

    /// The rows of `PRAGMA foreign_key_check(<table>)` for each of `tables` (child tables).
    static func violations(_ connection: OpaquePointer, tables: [String]) throws(StrataError) -> [SQLiteForeignKeyViolation] {
        var result: [SQLiteForeignKeyViolation] = []
        for table in tables {
            try RawQuery.run(connection, "SELECT * FROM pragma_foreign_key_check(?)", [table]) {
                (row: RawQuery.Row) throws(StrataError) in
                result.append(SQLiteForeignKeyViolation(table: row.text(0) ?? "", rowid: row.int64(1),
                                                        parent: row.text(2) ?? "", foreignKeyIndex: row.int(3) ?? 0))
            }
        }
        return result
    }

    /// Violations counted per (child table, parent table): rowids and key indexes change when a
    /// table is rebuilt, so counts are what can be compared across a migration. With `tables`,
    /// only those child tables (the ones that exist) are checked; otherwise the whole database.
    static func counts(_ connection: OpaquePointer, tables: [String]? = nil) throws(StrataError) -> [Pair: Int] {
        var counts: [Pair: Int] = [:]
        let found: [SQLiteForeignKeyViolation]
        if let tables {
            var existing: [String] = []
            for table in tables where try RawQuery.tableExists(connection, table) { existing.append(table) }
            found = try violations(connection, tables: existing)
        } else {
            found = try violations(connection)
        }
        for v in found {
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

/// The tables a script changes, recorded by an SQLite authorizer while its statements are
/// compiled: targets of `INSERT`, `UPDATE`, `DELETE` (also inside triggers the statement fires),
/// `CREATE TABLE`, `DROP TABLE`, `ALTER TABLE` (the old name of a rename), and the tables of
/// created and dropped indexes. Names of the `temp` schema and SQLite's own `sqlite_*` tables are
/// left out.
///
/// A renamed table's new name needs no entry: renaming changes no row, and every table that
/// refers to the table under its old name (the only references a rename can break) is found
/// through the old name.
struct TouchedTables {
    /// Lowercased names (SQLite compares table names case-insensitively).
    private(set) var names: Set<String> = []
    /// The tables among ``names`` that were targets of `ALTER TABLE` (renamed ones among them).
    private(set) var altered: Set<String> = []
    /// Whether the script used `PRAGMA writable_schema` (and may have edited `sqlite_master` itself).
    fileprivate(set) var schemaEdited = false

    var isEmpty: Bool { names.isEmpty }

    func contains(_ table: String) -> Bool { names.contains(table.lowercased()) }

    mutating func insert(_ table: String, altered isAltered: Bool = false) {
        let key = table.lowercased()
        if key.hasPrefix("sqlite_") { return }  // also SQLite's own writes to sqlite_master for DDL
        names.insert(key)
        if isAltered { altered.insert(key) }
    }

    /// Runs `body` with the recording authorizer installed, and removes it afterwards (also when
    /// `body` throws).
    ///
    /// SQLite keeps one authorizer per connection. GRDB installs one when it opens the connection
    /// (for its observation features and schema cache); it is not restored, because SQLite offers
    /// no way to read an installed callback back. The driver uses none of those GRDB features, and
    /// clears GRDB's schema cache itself after every unit. Changing the authorizer expires the
    /// connection's prepared statements, which SQLite prepares again transparently on their next
    /// use; no statement is running at either change.
    static func recording(_ connection: OpaquePointer, _ body: () throws -> Void) throws -> TouchedTables {
        let recorder = Recorder()
        let context = Unmanaged.passUnretained(recorder).toOpaque()
        sqlite3_set_authorizer(connection, { context, action, first, second, third, _ in
            if let context {
                Unmanaged<Recorder>.fromOpaque(context).takeUnretainedValue().note(action, first, second, third)
            }
            return SQLITE_OK
        }, context)
        defer { sqlite3_set_authorizer(connection, nil, nil) }
        try withExtendedLifetime(recorder) { try body() }
        return recorder.touched
    }

    /// The authorizer's context: mutated only on the connection's thread, during one call.
    private final class Recorder {
        var touched = TouchedTables()

        func note(_ action: Int32, _ first: UnsafePointer<CChar>?, _ second: UnsafePointer<CChar>?,
                  _ third: UnsafePointer<CChar>?) {
            let table: UnsafePointer<CChar>?
            let schema: UnsafePointer<CChar>?
            switch action {
            case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE, SQLITE_CREATE_TABLE, SQLITE_DROP_TABLE:
                (table, schema) = (first, third)
            case SQLITE_CREATE_INDEX, SQLITE_DROP_INDEX:
                (table, schema) = (second, third)
            case SQLITE_ALTER_TABLE:
                (table, schema) = (second, first)
            case SQLITE_PRAGMA:
                if let first, String(cString: first).lowercased() == "writable_schema" { touched.schemaEdited = true }
                return
            default:
                return
            }
            guard let table else { return }
            if let schema, String(cString: schema) == "temp" { return }
            touched.insert(String(cString: table), altered: action == SQLITE_ALTER_TABLE)
        }
    }
}
