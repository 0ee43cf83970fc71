import GRDB
import GRDBSQLite
import Strata

/// Changes a table in a way `ALTER TABLE` cannot (a foreign key, a constraint, a column type),
/// with the procedure of SQLite's documentation, "Making Other Kinds Of Table Schema Changes"
/// (<https://www.sqlite.org/lang_altertable.html>): the seed projects' "recreate the table"
/// pattern, done so that nothing is lost on the way.
///
/// ```swift
/// try migrator.registerSQLiteMigration("011", "add_cascade_to_services", revision: "1") { db in
///     try await db.rebuildTable(SQLiteTableRebuild(
///         table: "services",
///         definition: """
///             id TEXT PRIMARY KEY,
///             name TEXT NOT NULL,
///             server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE
///             """,
///         droppingOrphans: true))   // rows whose server is gone are not copied (seed 001)
/// }
/// ```
///
/// The twelve steps, and who does each:
/// 1. Foreign keys off: the driver, before the migration's transaction (the pragma does nothing
///    inside one). ``apply(to:)`` refuses to run with foreign keys on, because then step 6 would
///    delete every row of `ON DELETE CASCADE` child tables.
/// 2. The transaction: the migration's own.
/// 3. Remember the table's indexes and triggers (`sqlite_master`), and its `AUTOINCREMENT` counter.
/// 4. `CREATE TABLE` a new table (a temporary name) with ``definition``.
/// 5. Copy the rows: `INSERT INTO new (columns) SELECT columns FROM table`, for ``columns``
///    (default: every column both tables have) and ``expressions``; with ``droppingOrphans``,
///    only rows whose foreign keys (of the new definition) find their parent row.
/// 6. `DROP TABLE` the old table.
/// 7. Rename the new table to the old name, with `legacy_alter_table` on for that statement
///    only, so that views and triggers that mention the table (which SQLite would otherwise
///    re-check against the dropped table, and fail) are kept as written.
/// 8. Re-create the remembered indexes and triggers from their SQL; restore the counter.
/// 9. Check that every view still compiles against the new table (a view that selected a dropped
///    column fails the rebuild: drop that view before and create it again after).
/// 10. `PRAGMA foreign_key_check` on the table and on every table referring to it: any violation
///     fails the rebuild, and the migration is rolled back. Child rows are never deleted: a child
///     whose parent row was not copied is a violation, not a casualty.
/// 11. Commit: the migration's, with its history row.
/// 12. Foreign keys back on: the driver.
public struct SQLiteTableRebuild: Sendable, Hashable {
    /// The table to rebuild.
    public var table: String
    /// The new definition: the column definitions and table constraints, as between the
    /// parentheses of `CREATE TABLE` (for example `id INTEGER PRIMARY KEY, email TEXT NOT NULL`).
    public var definition: String
    /// What follows the parentheses, for example `WITHOUT ROWID` or `STRICT`; `nil` for nothing.
    public var tableOptions: String?
    /// The columns copied by name from the old table to the new one; `nil` for every column the
    /// two tables share (matched case-insensitively, minus those in ``expressions``).
    public var columns: [String]?
    /// New columns filled from an SQL expression over the old row, for example
    /// `["email": "lower(email)"]`.
    public var expressions: [String: String]
    /// Whether rows whose foreign keys (in the new definition) point at no parent row are left
    /// out of the copy instead of failing the rebuild (seed 001's `WHERE server_id IN (SELECT id
    /// FROM servers)`). The number left out is in ``Result/droppedOrphans``.
    public var droppingOrphans: Bool

    /// Describes a rebuild.
    public init(table: String, definition: String, tableOptions: String? = nil, columns: [String]? = nil,
                expressions: [String: String] = [:], droppingOrphans: Bool = false) {
        self.table = table
        self.definition = definition
        self.tableOptions = tableOptions
        self.columns = columns
        self.expressions = expressions
        self.droppingOrphans = droppingOrphans
    }

    /// What a rebuild did.
    public struct Result: Sendable, Hashable {
        /// Rows copied into the new table.
        public var copiedRows: Int
        /// Rows left out because their parent rows are gone (only with ``SQLiteTableRebuild/droppingOrphans``).
        public var droppedOrphans: Int
        /// The columns copied by name, in order.
        public var copiedColumns: [String]
        /// The indexes and triggers re-created, by name.
        public var recreated: [String]
    }

    /// Runs steps 3 to 10 on `db`, which must be inside a transaction with foreign keys off (a
    /// Swift migration's database is; see ``SQLiteMigrationDatabase/rebuildTable(_:)``).
    /// - Throws: ``StrataError`` `.migrationFailed` for a missing table, a column that is not in
    ///   both tables, foreign keys on, no transaction, or an SQL error (with the statement that
    ///   failed); `.verificationFailed` for foreign-key violations or a view that no longer compiles.
    public func apply(to db: Database) throws -> Result {
        let connection = try SQLiteDriver.connection(db)
        guard sqlite3_get_autocommit(connection) == 0 else {
            throw failure("a table rebuild must run inside a transaction",
                          hint: "call it from a Swift migration (registerSQLiteMigration), which holds one")
        }
        guard try ForeignKeys.enabled(connection) == false else {
            throw failure("a table rebuild needs foreign keys off: with them on, dropping \(table) would delete the rows of its ON DELETE CASCADE children",
                          hint: "do not use `-- strata:foreign-keys immediate` for this migration; the driver turns foreign keys off before it")
        }
        let old = HistorySQL.quoteIdentifier(table)
        guard let existing = try query(db, "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", [.text(table)]).first,
              let oldName = existing[0].text else {
            throw failure("there is no table \(table) to rebuild")
        }
        if (existing[1].text ?? "").uppercased().hasPrefix("CREATE VIRTUAL") {
            throw failure("\(table) is a virtual table, which cannot be rebuilt this way")
        }

        // 3. Indexes and triggers of the table, and its AUTOINCREMENT counter.
        let remembered = try query(db, """
            SELECT type, name, sql FROM sqlite_master
            WHERE tbl_name = ? COLLATE NOCASE AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid
            """, [.text(oldName)])
        let hasSequence = try !query(db, "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'", []).isEmpty
        let sequence = hasSequence
            ? try query(db, "SELECT seq FROM sqlite_sequence WHERE name = ? COLLATE NOCASE", [.text(oldName)]).first?[0].integer : nil

        // For step 10: the tables whose keys can break, and the violations they already have
        // (those are left to `strata verify`; only new ones fail the rebuild).
        var checked = [oldName]
        for row in try query(db, """
            SELECT DISTINCT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f
            WHERE m.type = 'table' AND f."table" = ? COLLATE NOCASE AND m.name <> ? COLLATE NOCASE
            """, [.text(oldName), .text(oldName)]) {
            if let name = row[0].text { checked.append(name) }
        }
        let before = try ForeignKeys.counts(connection, tables: checked)

        // 4. The new table.
        let temporary = "strata_rebuild_" + oldName
        let new = HistorySQL.quoteIdentifier(temporary)
        try run(db, "DROP TABLE IF EXISTS \(new)")
        try run(db, "CREATE TABLE \(new) (\(definition))" + (tableOptions.map { " " + $0 } ?? ""))

        // 5. The rows.
        let oldColumns = try columnNames(db, oldName)
        let newColumns = try columnNames(db, temporary)
        let computed = expressions.keys.sorted()
        for name in computed where !newColumns.contains(where: { $0.lowercased() == name.lowercased() }) {
            throw failure("the new definition of \(table) has no column \(name) to fill from an expression")
        }
        let copied: [String]
        if let columns {
            for name in columns {
                if !oldColumns.contains(where: { $0.lowercased() == name.lowercased() }) {
                    throw failure("\(table) has no column \(name) to copy")
                }
                if !newColumns.contains(where: { $0.lowercased() == name.lowercased() }) {
                    throw failure("the new definition of \(table) has no column \(name) to copy into")
                }
            }
            copied = columns
        } else {
            let skip = Set(computed.map { $0.lowercased() })
            copied = newColumns.filter { column in
                !skip.contains(column.lowercased()) && oldColumns.contains { $0.lowercased() == column.lowercased() }
            }
        }
        let targets = (copied + computed).map(HistorySQL.quoteIdentifier).joined(separator: ", ")
        var sources = copied.map { "\(old).\(HistorySQL.quoteIdentifier($0))" }
        sources += computed.map { "(\(expressions[$0]!))" }
        var select = "SELECT \(sources.joined(separator: ", ")) FROM \(old)"
        if droppingOrphans, let filter = try orphanFilter(db, temporary: temporary, copied: copied) {
            select += " WHERE " + filter
        }
        let total = try query(db, "SELECT count(*) FROM \(old)", []).first?[0].integer ?? 0
        if !copied.isEmpty || !computed.isEmpty {
            try run(db, "INSERT INTO \(new) (\(targets)) \(select)")
        }
        let copiedRows = Int(sqlite3_changes(connection))

        // 6, 7. Drop the old table; the new one takes its name, views and triggers left as written.
        try run(db, "DROP TABLE \(old)")
        let legacy = try query(db, "PRAGMA legacy_alter_table", []).first?[0].integer ?? 0
        try run(db, "PRAGMA legacy_alter_table = ON")
        do {
            try run(db, "ALTER TABLE \(new) RENAME TO \(HistorySQL.quoteIdentifier(oldName))")
        } catch {
            try? run(db, "PRAGMA legacy_alter_table = \(legacy)")
            throw error
        }
        try run(db, "PRAGMA legacy_alter_table = \(legacy)")

        // 8. Indexes, triggers, the counter.
        var recreated: [String] = []
        for object in remembered {
            let name = object[1].text ?? ""
            do {
                try run(db, object[2].text ?? "")
            } catch let error as StrataError {
                throw failure("cannot re-create the \(object[0].text ?? "object") \(name) of \(table): \(error.message)",
                              hint: "drop it before the rebuild (it uses something the new definition removes) and create what you need after")
            }
            recreated.append(name)
        }
        if let sequence, try !query(db, "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'", []).isEmpty,
           try String(query(db, "SELECT sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", [.text(oldName)]).first?[0].text ?? "")
            .uppercased().contains("AUTOINCREMENT") {
            try run(db, "DELETE FROM sqlite_sequence WHERE name = ? COLLATE NOCASE", [.text(oldName)])
            try run(db, "INSERT INTO sqlite_sequence (name, seq) VALUES (?, max(?, (SELECT coalesce(max(rowid), 0) FROM \(old))))",
                    [.text(oldName), .integer(sequence)])
        }

        // 9. Views must still compile.
        for view in try query(db, "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY rowid", []) {
            let name = view[0].text ?? ""
            var stmt: OpaquePointer? = nil
            let rc = sqlite3_prepare_v2(connection, "SELECT * FROM \(HistorySQL.quoteIdentifier(name)) LIMIT 0", -1, &stmt, nil)
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_finalize(stmt)
            if rc != SQLITE_OK {
                throw StrataError(.verificationFailed, "the view \(name) no longer works after rebuilding \(table): \(message)",
                                  hint: "drop the view before the rebuild and create it again, adapted, after it")
            }
        }

        // 10. Foreign keys of the table and of every table that refers to it: no new violation.
        let violations = try ForeignKeys.violations(connection, tables: checked)
        var after: [ForeignKeys.Pair: Int] = [:]
        for v in violations { after[ForeignKeys.Pair(table: v.table.lowercased(), parent: v.parent.lowercased()), default: 0] += 1 }
        let grown = Set(after.filter { $0.value > before[$0.key, default: 0] }.keys)
        let added = violations.filter { grown.contains(ForeignKeys.Pair(table: $0.table.lowercased(), parent: $0.parent.lowercased())) }
        if !added.isEmpty {
            var details = added.prefix(10).map(\.description)
            if added.count > 10 { details.append("… and \(added.count - 10) more") }
            throw StrataError(.verificationFailed,
                              "rebuilding \(table) leaves \(added.count) foreign key violation\(added.count == 1 ? "" : "s")",
                              hint: droppingOrphans
                                ? "rows of other tables refer to rows that were not copied; fix or delete those rows first (Strata never deletes them)"
                                : "pass droppingOrphans: true to leave out rows of \(table) whose parent is gone, or fix the rows first",
                              details: details, databaseCode: "SQLITE_CONSTRAINT_FOREIGNKEY")
        }
        return Result(copiedRows: copiedRows, droppedOrphans: Int(total) - copiedRows, copiedColumns: copied,
                      recreated: recreated)
    }

    // MARK: - Internals

    /// The `WHERE` condition that keeps rows whose foreign keys (of the new table) find a parent:
    /// per key, a child column that is NULL satisfies it (as in SQLite), else a parent row must match.
    private func orphanFilter(_ db: Database, temporary: String, copied: [String]) throws -> String? {
        let old = HistorySQL.quoteIdentifier(table)
        let keys = try query(db, "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(temporary)])
        var byId: [Int64: (parent: String, from: [String], to: [String?])] = [:]
        var order: [Int64] = []
        for key in keys {
            let id = key[0].integer ?? 0
            if byId[id] == nil { order.append(id); byId[id] = (key[1].text ?? "", [], []) }
            byId[id]!.from.append(key[2].text ?? "")
            byId[id]!.to.append(key[3].text)
        }
        var conditions: [String] = []
        for id in order {
            let key = byId[id]!
            // The old row's value of each child column: a copied column, or its expression.
            var values: [String] = []
            for column in key.from {
                if let name = copied.first(where: { $0.lowercased() == column.lowercased() }) {
                    values.append("\(old).\(HistorySQL.quoteIdentifier(name))")
                } else if let name = expressions.keys.first(where: { $0.lowercased() == column.lowercased() }) {
                    values.append("(\(expressions[name]!))")
                } else {
                    values = []
                    break
                }
            }
            guard !values.isEmpty else { continue }
            let parent = key.parent.lowercased() == temporary.lowercased() ? table : key.parent
            let parentExists = try !query(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", [.text(parent)]).isEmpty
            var parentColumns = key.to
            if parentColumns.contains(where: { $0 == nil }) && parentExists {
                let primaryKey = try query(db, "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", [.text(parent)]).compactMap { $0[0].text }
                parentColumns = primaryKey.count == values.count ? primaryKey : ["rowid"]
            }
            let nullCheck = values.map { "\($0) IS NULL" }.joined(separator: " OR ")
            guard parentExists else {
                conditions.append("(\(nullCheck))")
                continue
            }
            let alias = "strata_parent_\(id)"
            let matches = zip(parentColumns, values).map { "\(alias).\(HistorySQL.quoteIdentifier($0 ?? "rowid")) = \($1)" }
            conditions.append("(\(nullCheck) OR EXISTS (SELECT 1 FROM \(HistorySQL.quoteIdentifier(parent)) AS \(alias) WHERE \(matches.joined(separator: " AND "))))")
        }
        return conditions.isEmpty ? nil : conditions.joined(separator: " AND ")
    }

    private func columnNames(_ db: Database, _ table: String) throws -> [String] {
        try query(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(table)]).compactMap { $0[0].text }
    }

    private func query(_ db: Database, _ sql: String, _ arguments: [SQLValue]) throws -> [[SQLValue]] {
        var rows: [[SQLValue]] = []
        try BoundStatement.run(try SQLiteDriver.connection(db), sql, arguments, at: location) { stmt in
            rows.append((0..<sqlite3_column_count(stmt)).map { BoundStatement.value(stmt, $0) })
        }
        return rows
    }

    private func run(_ db: Database, _ sql: String, _ arguments: [SQLValue] = []) throws {
        do {
            try BoundStatement.run(try SQLiteDriver.connection(db), sql, arguments, at: location) { _ in }
        } catch let error as StrataError {
            var located = error
            located.message = "rebuilding \(table): \(error.message)"
            located.details.append("while running: \(sql)")
            throw located
        }
    }

    private var location: SourceLocation { SourceLocation(file: "<rebuild of \(table)>", line: 1, column: 1) }

    private func failure(_ message: String, hint: String? = nil) -> StrataError {
        StrataError(.migrationFailed, message, hint: hint)
    }
}
