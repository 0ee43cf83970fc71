import PostgresNIO
import Strata

/// The SQL for Strata's two tables in one schema, built once per driver from the configured
/// names. Names are quoted identifiers; every value is a bound parameter.
struct PostgresHistorySQL: Sendable {
    let schema: String
    let historyTable: String
    let logTable: String
    /// `"schema"."history"`.
    let history: String
    /// `"schema"."log"`.
    let log: String
    /// `"schema"."log_append_only"()`.
    let appendOnlyFunction: String

    init(schema: String, historyTable: String, logTable: String) {
        self.schema = schema
        self.historyTable = historyTable
        self.logTable = logTable
        let s = SQLQuoting.identifier(schema)
        history = "\(s).\(SQLQuoting.identifier(historyTable))"
        log = "\(s).\(SQLQuoting.identifier(logTable))"
        appendOnlyFunction = "\(s).\(SQLQuoting.identifier(logTable + "_append_only"))()"
    }

    /// The log's row trigger, refusing UPDATE and DELETE.
    var changeTrigger: String { logTable + "_no_change" }
    /// The log's statement trigger, refusing TRUNCATE.
    var truncateTrigger: String { logTable + "_no_truncate" }

    /// Whether both tables and both triggers exist (then ``createStatements`` need not run):
    /// `$1` the history table, `$2` the log table, `$3`/`$4` the triggers, all qualified or names.
    var readyCheck: String {
        """
        SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL
           AND (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass($2) AND tgname IN ($3, $4)) = 2
        """
    }

    /// The statements that create the schema's tables, the log's append-only function and its
    /// triggers; run in one transaction, each idempotent.
    var createStatements: [String] {
        let statuses = HistoryStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")
        let events = LogEntry.Event.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")
        let message = SQLQuoting.literal("\(logTable) is append-only: its rows are never changed or deleted")
        return [
            "CREATE TABLE IF NOT EXISTS \(history) (\n" + Self.columns(HistoryRecord.columnNames, types: [
                "version": "TEXT NOT NULL PRIMARY KEY", "execution_time_ms": "BIGINT NOT NULL",
                "status": "TEXT NOT NULL CHECK (status IN (\(statuses)))", "dirty": "BOOLEAN NOT NULL DEFAULT false",
                "checksum": "TEXT", "down_sql": "TEXT", "rolled_back_at": "TEXT", "error_message": "TEXT", "metadata": "TEXT",
            ]) + "\n)",
            "CREATE TABLE IF NOT EXISTS \(log) (\n    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                + Self.columns(LogEntry.columnNames, types: [
                    "event": "TEXT NOT NULL CHECK (event IN (\(events)))", "checksum": "TEXT",
                    "execution_time_ms": "BIGINT", "message": "TEXT",
                ]) + "\n)",
            """
            CREATE OR REPLACE FUNCTION \(appendOnlyFunction) RETURNS trigger LANGUAGE plpgsql AS $strata$
            BEGIN
                RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = \(message);
            END
            $strata$
            """,
            "DROP TRIGGER IF EXISTS \(SQLQuoting.identifier(changeTrigger)) ON \(log)",
            """
            CREATE TRIGGER \(SQLQuoting.identifier(changeTrigger))
            BEFORE UPDATE OR DELETE ON \(log) FOR EACH ROW EXECUTE FUNCTION \(appendOnlyFunction)
            """,
            "DROP TRIGGER IF EXISTS \(SQLQuoting.identifier(truncateTrigger)) ON \(log)",
            """
            CREATE TRIGGER \(SQLQuoting.identifier(truncateTrigger))
            BEFORE TRUNCATE ON \(log) FOR EACH STATEMENT EXECUTE FUNCTION \(appendOnlyFunction)
            """,
        ]
    }

    /// Column definitions, one per line: `types[name]`, else `TEXT NOT NULL`.
    private static func columns(_ names: [String], types: [String: String]) -> String {
        names.map { "    \($0) \(types[$0] ?? "TEXT NOT NULL")" }.joined(separator: ",\n")
    }

    var upsert: String { upsert(firstParameter: 1) }

    var delete: String { "DELETE FROM \(history) WHERE version = $1" }

    var append: String { append(firstParameter: 1) }

    var selectHistory: String {
        "SELECT \(HistoryRecord.columnNames.joined(separator: ", ")) FROM \(history) ORDER BY applied_at, version"
    }

    var selectLog: String {
        "SELECT id, \(LogEntry.columnNames.joined(separator: ", ")) FROM \(log) ORDER BY id"
    }

    /// The history upsert with its parameters numbered from `first`.
    private func upsert(firstParameter first: Int) -> String {
        let hc = HistoryRecord.columnNames
        return "INSERT INTO \(history) (\(hc.joined(separator: ", "))) VALUES ("
            + (first..<first + hc.count).map { "$\($0)" }.joined(separator: ", ")
            + ") ON CONFLICT (version) DO UPDATE SET "
            + hc.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
    }

    /// The log insert with its parameters numbered from `first`.
    private func append(firstParameter first: Int) -> String {
        let lc = LogEntry.columnNames
        return "INSERT INTO \(log) (\(lc.joined(separator: ", "))) VALUES ("
            + (first..<first + lc.count).map { "$\($0)" }.joined(separator: ", ") + ")"
    }

    /// The history row and its log entry written by one statement (the upsert as a data-modifying
    /// `WITH`, which PostgreSQL always runs to completion): one round trip instead of two.
    private var upsertAndAppend: String {
        "WITH upserted AS (\(upsert(firstParameter: 1)) RETURNING 1) "
            + append(firstParameter: HistoryRecord.columnNames.count + 1)
    }

    /// The call of ``PostgresScriptFunction`` that runs a migration's statements on the server and
    /// writes its history row (and its log entry, when given) with the milliseconds the function
    /// measured, which it returns: `$1` the statements as `text[]`, then the row's and the entry's
    /// values without their `execution_time_ms` (`NULL`s for a missing entry), then whether to write
    /// the entry.
    func runAndRecord(_ statements: [String], record: HistoryRecord, entry: LogEntry?) -> PostgresQuery {
        var binds = PostgresBindings(capacity: HistoryRecord.columnNames.count + LogEntry.columnNames.count)
        binds.append(statements)
        Self.bind(record, into: &binds, elapsed: false)
        if let entry {
            Self.bind(entry, into: &binds, elapsed: false)
        } else {
            for _ in 1..<LogEntry.columnNames.count { binds.append(String?.none) }
        }
        binds.append(entry != nil)
        return PostgresQuery(unsafeSQL: PostgresScriptFunction.call, binds: binds)
    }

    /// Writes as queries with bound values, in order: a history row followed by its log entry (what
    /// every run writes per migration) becomes one query, everything else one query per write.
    func queries(_ writes: [HistoryWrite]) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        var index = writes.startIndex
        while index < writes.endIndex {
            if case .upsert(let record) = writes[index], index + 1 < writes.endIndex,
               case .append(let entry) = writes[index + 1] {
                var binds = PostgresBindings(capacity: HistoryRecord.columnNames.count + LogEntry.columnNames.count)
                Self.bind(record, into: &binds)
                Self.bind(entry, into: &binds)
                queries.append(PostgresQuery(unsafeSQL: upsertAndAppend, binds: binds))
                index += 2
            } else {
                queries.append(query(writes[index]))
                index += 1
            }
        }
        return queries
    }

    /// One write as a query with bound values.
    func query(_ write: HistoryWrite) -> PostgresQuery {
        var binds = PostgresBindings(capacity: 16)
        switch write {
        case .upsert(let r):
            Self.bind(r, into: &binds)
            return PostgresQuery(unsafeSQL: upsert, binds: binds)
        case .delete(let version):
            binds.append(version)
            return PostgresQuery(unsafeSQL: delete, binds: binds)
        case .append(let e):
            Self.bind(e, into: &binds)
            return PostgresQuery(unsafeSQL: append, binds: binds)
        }
    }

    /// A history row's values, in ``HistoryRecord/columnNames`` order; without `execution_time_ms`
    /// when the statement takes it from the run (``runAndRecord(_:record:entry:)``).
    private static func bind(_ r: HistoryRecord, into binds: inout PostgresBindings, elapsed: Bool = true) {
        for text in [r.version, r.description, r.kind.rawValue, r.script] { binds.append(text) }
        binds.append(r.checksum)
        binds.append(r.downSQL)
        for text in [r.appliedBy, r.hostname, r.appliedAt] { binds.append(text) }
        if elapsed { binds.append(Int64(r.executionTimeMs)) }
        binds.append(r.status.rawValue)
        binds.append(r.rolledBackAt)
        binds.append(r.errorMessage)
        binds.append(r.metadata)
        binds.append(r.strataVersion)
        binds.append(r.dirty)
    }

    /// A log entry's values, in ``LogEntry/columnNames`` order; without `execution_time_ms` when
    /// the statement takes it from the run.
    private static func bind(_ e: LogEntry, into binds: inout PostgresBindings, elapsed: Bool = true) {
        for text in [e.version, e.event.rawValue, e.description] { binds.append(text) }
        binds.append(e.checksum)
        for text in [e.actor, e.hostname, e.at] { binds.append(text) }
        if elapsed { binds.append(e.executionTimeMs.map(Int64.init)) }
        binds.append(e.message)
        binds.append(e.strataVersion)
    }

    /// A history row read with ``selectHistory``.
    func record(_ row: PostgresRow) throws(StrataError) -> HistoryRecord {
        let cells = row.makeRandomAccess()
        let version = try text(cells, 0) ?? ""
        guard let kind = MigrationKind(rawValue: try text(cells, 2) ?? "") else {
            throw invalid("type", try text(cells, 2), version: version)
        }
        guard let status = HistoryStatus(rawValue: try text(cells, 10) ?? "") else {
            throw invalid("status", try text(cells, 10), version: version)
        }
        return HistoryRecord(
            version: version, description: try text(cells, 1) ?? "", kind: kind, script: try text(cells, 3) ?? "",
            checksum: try text(cells, 4), downSQL: try text(cells, 5), appliedBy: try text(cells, 6) ?? "",
            hostname: try text(cells, 7) ?? "", appliedAt: try text(cells, 8) ?? "",
            executionTimeMs: Int(try integer(cells, 9) ?? 0), status: status, rolledBackAt: try text(cells, 11),
            errorMessage: try text(cells, 12), metadata: try text(cells, 13), strataVersion: try text(cells, 14) ?? "",
            dirty: try decode(cells, 15, Bool?.self) ?? false)
    }

    /// A log row read with ``selectLog``.
    func entry(_ row: PostgresRow) throws(StrataError) -> LogEntry {
        let cells = row.makeRandomAccess()
        let version = try text(cells, 1) ?? ""
        guard let event = LogEntry.Event(rawValue: try text(cells, 2) ?? "") else {
            throw StrataError(.database, "the log table \(logTable) has an unknown event '\(try text(cells, 2) ?? "NULL")' "
                              + "for version \(version)")
        }
        return LogEntry(
            id: try integer(cells, 0), version: version, event: event, description: try text(cells, 3) ?? "",
            checksum: try text(cells, 4), actor: try text(cells, 5) ?? "", hostname: try text(cells, 6) ?? "",
            at: try text(cells, 7) ?? "", executionTimeMs: try integer(cells, 8).map { Int($0) },
            message: try text(cells, 9), strataVersion: try text(cells, 10) ?? "")
    }

    private func text(_ cells: PostgresRandomAccessRow, _ i: Int) throws(StrataError) -> String? {
        try decode(cells, i, String?.self)
    }

    private func integer(_ cells: PostgresRandomAccessRow, _ i: Int) throws(StrataError) -> Int64? {
        try decode(cells, i, Int64?.self)
    }

    private func decode<T: PostgresDecodable>(_ cells: PostgresRandomAccessRow, _ i: Int, _ type: T.Type) throws(StrataError) -> T {
        do {
            return try cells[i].decode(T.self)
        } catch {
            throw StrataError(.database, "cannot read column \(cells[i].columnName) of \(historyTable) or \(logTable) "
                              + "(type \(cells[i].dataType))",
                              hint: "the table may belong to another tool or an incompatible Strata; configure another history table name")
        }
    }

    private func invalid(_ column: String, _ value: String?, version: String) -> StrataError {
        StrataError(.database,
                    "the history table \(historyTable) has an unknown \(column) '\(value ?? "NULL")' for version \(version)",
                    hint: "the table may belong to another tool; configure another history table name")
    }
}
