import GRDB
import GRDBSQLite
import Strata

/// The SQL text for Strata's two tables, built once per driver from the configured names.
/// Names are quoted as identifiers; every value is a bound parameter.
struct HistorySQL: Sendable {
    let historyTable: String
    let logTable: String
    let createHistory: String
    let createLog: String
    let createLogNoUpdate: String
    let createLogNoDelete: String
    let upsert: String
    let delete: String
    let append: String
    let selectHistory: String
    let selectLog: String

    static let historyColumns = HistoryRecord.columnNames
    static let logColumns = LogEntry.columnNames

    init(historyTable: String, logTable: String) {
        self.historyTable = historyTable
        self.logTable = logTable
        let h = Self.quoteIdentifier(historyTable)
        let l = Self.quoteIdentifier(logTable)
        let statuses = HistoryStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")
        let events = LogEntry.Event.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")
        createHistory = """
            CREATE TABLE IF NOT EXISTS \(h) (
                version TEXT NOT NULL PRIMARY KEY,
                description TEXT NOT NULL,
                type TEXT NOT NULL,
                script TEXT NOT NULL,
                checksum TEXT,
                down_sql TEXT,
                applied_by TEXT NOT NULL,
                hostname TEXT NOT NULL,
                applied_at TEXT NOT NULL,
                execution_time_ms INTEGER NOT NULL,
                status TEXT NOT NULL CHECK (status IN (\(statuses))),
                rolled_back_at TEXT,
                error_message TEXT,
                metadata TEXT,
                strata_version TEXT NOT NULL,
                dirty INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID
            """
        createLog = """
            CREATE TABLE IF NOT EXISTS \(l) (
                id INTEGER PRIMARY KEY,
                version TEXT NOT NULL,
                event TEXT NOT NULL CHECK (event IN (\(events))),
                description TEXT NOT NULL,
                checksum TEXT,
                actor TEXT NOT NULL,
                hostname TEXT NOT NULL,
                at TEXT NOT NULL,
                execution_time_ms INTEGER,
                message TEXT,
                strata_version TEXT NOT NULL
            )
            """
        let raise = Self.quoteString("\(logTable) is append-only")
        createLogNoUpdate = """
            CREATE TRIGGER IF NOT EXISTS \(Self.quoteIdentifier(logTable + "_no_update")) BEFORE UPDATE ON \(l)
            BEGIN SELECT RAISE(ABORT, \(raise)); END
            """
        createLogNoDelete = """
            CREATE TRIGGER IF NOT EXISTS \(Self.quoteIdentifier(logTable + "_no_delete")) BEFORE DELETE ON \(l)
            BEGIN SELECT RAISE(ABORT, \(raise)); END
            """
        let hc = Self.historyColumns
        // OR REPLACE: the row of the version is replaced whole (the table has no triggers and no
        // foreign keys), and the statement is half as long as ON CONFLICT … DO UPDATE SET: it is
        // parsed again after every migration, whose schema change expires prepared statements.
        upsert = "INSERT OR REPLACE INTO \(h) (\(hc.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: hc.count).joined(separator: ", ") + ")"
        delete = "DELETE FROM \(h) WHERE version = ?"
        let lc = Self.logColumns
        append = "INSERT INTO \(l) (\(lc.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: lc.count).joined(separator: ", ") + ")"
        selectHistory = "SELECT \(hc.joined(separator: ", ")) FROM \(h) ORDER BY applied_at, version"
        selectLog = "SELECT id, \(lc.joined(separator: ", ")) FROM \(l) ORDER BY id"
    }

    /// `name` as an SQL identifier: in double quotes, inner quotes doubled.
    static func quoteIdentifier(_ name: String) -> String { SQLQuoting.identifier(name) }

    /// `text` as an SQL string literal (only for DDL, where SQLite takes no parameters).
    static func quoteString(_ text: String) -> String { SQLQuoting.literal(text) }

    /// Creates both tables and the log's triggers if they do not exist.
    func createTables(_ db: Database) throws {
        for sql in [createHistory, createLog, createLogNoUpdate, createLogNoDelete] {
            try db.execute(sql: sql)
        }
    }

    /// Makes the writes on the raw connection, every value a bound parameter; the caller holds
    /// the transaction. (Not through GRDB's statement cache: every migration's schema change
    /// empties it, and binding through `DatabaseValue`s costs more than the insert.)
    func write(_ writes: [HistoryWrite], _ db: Database) throws {
        let connection = try SQLiteDriver.connection(db)
        func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
        for write in writes {
            switch write {
            case .upsert(let r):
                try execute(connection, upsert, table: historyTable, [
                    .text(r.version), .text(r.description), .text(r.kind.rawValue), .text(r.script), text(r.checksum),
                    text(r.downSQL), .text(r.appliedBy), .text(r.hostname), .text(r.appliedAt),
                    .integer(Int64(r.executionTimeMs)), .text(r.status.rawValue), text(r.rolledBackAt),
                    text(r.errorMessage), text(r.metadata), .text(r.strataVersion), .integer(r.dirty ? 1 : 0),
                ])
            case .delete(let version):
                try execute(connection, delete, table: historyTable, [.text(version)])
            case .append(let e):
                try execute(connection, append, table: logTable, [
                    .text(e.version), .text(e.event.rawValue), .text(e.description), text(e.checksum), .text(e.actor),
                    .text(e.hostname), .text(e.at), e.executionTimeMs.map { .integer(Int64($0)) } ?? .null,
                    text(e.message), .text(e.strataVersion),
                ])
            }
        }
    }

    /// Runs one write, its error saying which table could not be written.
    private func execute(_ connection: OpaquePointer, _ sql: String, table: String,
                         _ values: [SQLValue]) throws(StrataError) {
        do {
            try RawQuery.run(connection, sql, values: values) { (_: RawQuery.Row) throws(StrataError) in }
        } catch {
            var error = error
            error.message = "cannot write to \(table): " + error.message
            throw error
        }
    }

    /// Every history row; empty when the table does not exist.
    func readHistory(_ connection: OpaquePointer) throws(StrataError) -> [HistoryRecord] {
        guard try RawQuery.tableExists(connection, historyTable) else { return [] }
        var records: [HistoryRecord] = []
        try RawQuery.run(connection, selectHistory) { (row: RawQuery.Row) throws(StrataError) in
            let version = row.text(0) ?? ""
            guard let kind = MigrationKind(rawValue: row.text(2) ?? "") else {
                throw invalid("type", row.text(2), version: version)
            }
            guard let status = HistoryStatus(rawValue: row.text(10) ?? "") else {
                throw invalid("status", row.text(10), version: version)
            }
            records.append(HistoryRecord(
                version: version, description: row.text(1) ?? "", kind: kind, script: row.text(3) ?? "",
                checksum: row.text(4), downSQL: row.text(5), appliedBy: row.text(6) ?? "",
                hostname: row.text(7) ?? "", appliedAt: row.text(8) ?? "",
                executionTimeMs: row.int(9) ?? 0, status: status, rolledBackAt: row.text(11),
                errorMessage: row.text(12), metadata: row.text(13), strataVersion: row.text(14) ?? "",
                dirty: (row.int(15) ?? 0) != 0))
        }
        return records
    }

    /// The audit log, oldest first; empty when the table does not exist.
    func readLog(_ connection: OpaquePointer) throws(StrataError) -> [LogEntry] {
        guard try RawQuery.tableExists(connection, logTable) else { return [] }
        var entries: [LogEntry] = []
        try RawQuery.run(connection, selectLog) { (row: RawQuery.Row) throws(StrataError) in
            let version = row.text(1) ?? ""
            guard let event = LogEntry.Event(rawValue: row.text(2) ?? "") else {
                throw StrataError(.database, "the log table \(logTable) has an unknown event '\(row.text(2) ?? "NULL")' "
                                  + "for version \(version)")
            }
            entries.append(LogEntry(
                id: row.int64(0), version: version, event: event, description: row.text(3) ?? "",
                checksum: row.text(4), actor: row.text(5) ?? "", hostname: row.text(6) ?? "",
                at: row.text(7) ?? "", executionTimeMs: row.int(8), message: row.text(9),
                strataVersion: row.text(10) ?? ""))
        }
        return entries
    }

    private func invalid(_ column: String, _ value: String?, version: String) -> StrataError {
        StrataError(.database,
                    "the history table \(historyTable) has an unknown \(column) '\(value ?? "NULL")' for version \(version)",
                    hint: "the table may belong to another tool; configure another history table name")
    }
}

/// Small read-only queries on the raw connection, with SQLite's own type conversions.
enum RawQuery {
    /// One result row.
    struct Row {
        let stmt: OpaquePointer

        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(stmt, i) == SQLITE_NULL }
        func text(_ i: Int32) -> String? {
            isNull(i) ? nil : sqlite3_column_text(stmt, i).map { String(cString: $0) }
        }
        func int64(_ i: Int32) -> Int64? { isNull(i) ? nil : sqlite3_column_int64(stmt, i) }
        func int(_ i: Int32) -> Int? { int64(i).map { Int($0) } }
    }

    /// Runs `sql` with text parameters and calls `body` for each row.
    static func run(_ connection: OpaquePointer, _ sql: String, _ arguments: [String] = [],
                    _ body: (Row) throws(StrataError) -> Void) throws(StrataError) {
        try run(connection, sql, values: arguments.map(SQLValue.text), body)
    }

    /// Runs `sql` with parameters of any type and calls `body` for each row.
    static func run(_ connection: OpaquePointer, _ sql: String, values: [SQLValue],
                    _ body: (Row) throws(StrataError) -> Void) throws(StrataError) {
        var stmt: OpaquePointer? = nil
        guard sqlite3_prepare_v2(connection, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw error(connection)
        }
        defer { sqlite3_finalize(stmt) }
        for (i, value) in values.enumerated() { BoundStatement.bind(value, to: stmt, at: Int32(i + 1)) }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(connection) }
            try body(Row(stmt: stmt))
        }
    }

    /// Every row's first column as text.
    static func strings(_ connection: OpaquePointer, _ sql: String) throws(StrataError) -> [String] {
        var lines: [String] = []
        try run(connection, sql) { (row: Row) throws(StrataError) in lines.append(row.text(0) ?? "NULL") }
        return lines
    }

    /// The page cache, in KiB, for a statement that reads the whole database once
    /// (`quick_check`, `integrity_check`, an online backup). Such a scan reads every page once, in
    /// b-tree order, so a cache larger than the path from the root to a leaf only holds pages that
    /// are not read again: SQLite's default (2,000 KiB) costs that much resident memory for nothing
    /// (and, measured on a 2,000-table database, a little time).
    static let scanCacheKiB = 256

    /// `PRAGMA cache_size` for a connection that only scans (see ``scanCacheKiB``).
    static let scanCacheSize = "PRAGMA cache_size = -\(scanCacheKiB)"

    /// ``strings(_:_:)`` with the connection's page cache cut to ``scanCacheKiB`` for the
    /// statement (pages beyond it are freed) and set back afterwards; a cache already smaller is
    /// left alone.
    static func scanStrings(_ connection: OpaquePointer, _ sql: String) throws(StrataError) -> [String] {
        let setting = try strings(connection, "PRAGMA cache_size").first.flatMap { Int($0) } ?? -2000
        let pageSize = try strings(connection, "PRAGMA page_size").first.flatMap { Int($0) } ?? 4096
        let kib = setting < 0 ? -setting : setting * pageSize / 1024
        guard kib > scanCacheKiB else { return try strings(connection, sql) }
        _ = sqlite3_exec(connection, scanCacheSize, nil, nil, nil)
        defer { _ = sqlite3_exec(connection, "PRAGMA cache_size = \(setting)", nil, nil, nil) }
        return try strings(connection, sql)
    }

    /// Whether a table of that name exists in the main schema.
    static func tableExists(_ connection: OpaquePointer, _ name: String) throws(StrataError) -> Bool {
        var found = false
        try run(connection, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
                [name]) { (_: Row) throws(StrataError) in found = true }
        return found
    }

    /// The connection's current error as a `.database` error.
    static func error(_ connection: OpaquePointer) -> StrataError {
        let rc = sqlite3_extended_errcode(connection)
        let path = sqlite3_db_filename(connection, "main").map { String(cString: $0) } ?? "the database"
        let hint: String? = switch rc & 0xFF {
        case 5, 6: SQLiteErrors.busyHint(nil)
        case 8: SQLiteErrors.readonlyHint
        case 11, 26: SQLiteErrors.restoreHint(path: path)
        default: nil
        }
        return StrataError(.database, String(cString: sqlite3_errmsg(connection)), hint: hint,
                           databaseCode: SQLiteErrors.codeName(rc))
    }
}
