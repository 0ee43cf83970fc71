import Strata

/// A temporary PL/pgSQL function, `pg_temp.strata_run_script(text[])`, that runs a migration's
/// statements on the server, so that a migration and its history records are one statement
/// instead of one per statement of the script.
///
/// PostgresNIO speaks only the extended protocol, one statement per query, and every query costs
/// a round trip and the client's work to encode and decode it. A transactional migration of three
/// statements therefore took six queries (`BEGIN`, the statements, the history row with its log
/// entry, `COMMIT`). With the function it takes three: `BEGIN`,
/// ``PostgresHistorySQL/runAndRecord(_:record:entry:)`` — which calls the function with the
/// statements as a bound `text[]` (no quoting of the script) and writes the history row and the log
/// entry with the milliseconds the function measured — and `COMMIT`. The function `EXECUTE`s each
/// statement as written, in order, as the statement-by-statement path sends them. The transaction
/// stays the client's: a runner killed before its `COMMIT` leaves nothing behind.
///
/// It is created, per connection, the first time a migration can use it, in the session's own
/// temporary schema: it is gone when the connection closes, and no other session sees it (a
/// connection leased from an application's pool drops it when given back).
///
/// Not every migration can run inside a function; those run statement by statement as before:
/// - a migration with its own timeouts, a verify script, or Swift code;
/// - a migration with a statement outside ``runsInFunction(_:)`` (transaction control such as
///   `SAVEPOINT`, `COPY`, `VACUUM`, `CALL`, cursors, prepared statements…);
/// - every migration of a session whose `statement_timeout` is set (inside the function the
///   timeout would apply to the whole migration instead of to each statement), of a server that
///   logs statements (`log_statement` other than `none`, which logs only the function's call, not
///   the statements it runs), or where the function cannot be created (no `TEMPORARY` privilege on
///   the database, no PL/pgSQL).
///
/// When the statement fails with a server error, the transaction is rolled back and the migration
/// is run again statement by statement: that run reports the failing statement and its
/// `file:line:column` exactly as before (or succeeds, when what failed was only the function's
/// context, for example `SELECT … INTO`). A lost connection, or a cancel, termination or shutdown by
/// the server's operator, ends the run as before instead.
enum PostgresScriptFunction {
    /// The function's qualified name.
    static let name = "pg_temp.strata_run_script"

    /// The history and log columns the function's parameters give, in order: every column but
    /// `execution_time_ms`, which the function measures.
    private static let historyColumns = HistoryRecord.columnNames.filter { $0 != elapsedColumn }
    private static let logColumns = LogEntry.columnNames.filter { $0 != elapsedColumn }
    private static let elapsedColumn = "execution_time_ms"

    /// The call, one statement: `$1` the statements (`text[]`), then the history row's values and
    /// the log entry's (each without `execution_time_ms`), then whether to write the log entry. It
    /// returns the whole milliseconds the statements took, which both rows record.
    static let call = "SELECT \(name)("
        + (1...(2 + historyColumns.count + logColumns.count)).map { "$\($0)" }.joined(separator: ", ") + ")"

    /// Creates (or replaces) the function for the history tables of `sql`. It runs the
    /// statements with `EXECUTE`, then writes the history row (an upsert, as
    /// ``PostgresHistorySQL/upsert`` does) and the log entry; PL/pgSQL prepares those two
    /// `INSERT`s once per session.
    static func createStatement(_ sql: PostgresHistorySQL) -> String {
        // $1 the statements, $2… the given columns in order, then the log flag.
        let types = ["text[]"] + (historyColumns + logColumns).map { $0 == "dirty" ? "boolean" : "text" } + ["boolean"]
        var next = 2
        func values(_ columns: [String]) -> String {
            columns.map { column -> String in
                guard column != elapsedColumn else { return "elapsed" }
                defer { next += 1 }
                return "$\(next)"
            }.joined(separator: ", ")
        }
        let historyValues = values(HistoryRecord.columnNames)
        let logValues = values(LogEntry.columnNames)
        let withLog = "$\(types.count)"
        let hc = HistoryRecord.columnNames, lc = LogEntry.columnNames
        let body = """
            DECLARE
                started timestamptz := clock_timestamp();
                piece text;
                elapsed bigint;
            BEGIN
                FOREACH piece IN ARRAY $1 LOOP
                    EXECUTE piece;
                END LOOP;
                elapsed := floor(extract(epoch FROM clock_timestamp() - started) * 1000);
                INSERT INTO \(sql.history) (\(hc.joined(separator: ", "))) VALUES (\(historyValues))
                    ON CONFLICT (version) DO UPDATE SET \(hc.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "));
                IF \(withLog) THEN
                    INSERT INTO \(sql.log) (\(lc.joined(separator: ", "))) VALUES (\(logValues));
                END IF;
                RETURN elapsed;
            END
            """
        // The body names the configured tables, so its quote must be one they do not contain.
        var tag = "$strata$"
        while body.contains(tag) { tag = "$strata_" + tag.dropFirst() }
        return "CREATE OR REPLACE FUNCTION \(name)(\(types.joined(separator: ", "))) RETURNS bigint LANGUAGE plpgsql AS "
            + tag + "\n" + body + "\n" + tag
    }

    /// Drops the function (for a connection given back to an application's pool).
    static let dropStatement = "DROP FUNCTION IF EXISTS \(name)"

    /// Whether the function is known to exist on the session's connection.
    enum State: Sendable {
        /// Not created yet (or possibly dropped, for example by a script's `DISCARD TEMP`).
        case unknown
        /// Created on this connection.
        case ready
        /// Not usable on this connection: every migration runs statement by statement.
        case unavailable
    }

    /// The first words of the statements that run inside the function as they run on their own:
    /// DDL, DML, `DO` blocks, privileges, comments, settings and locks.
    private static let statementKinds: Set<String> = [
        "ALTER", "COMMENT", "CREATE", "DELETE", "DO", "DROP", "GRANT", "INSERT", "LOCK", "MERGE",
        "REFRESH", "RESET", "REVOKE", "SELECT", "SET", "TRUNCATE", "UPDATE", "WITH",
    ]

    /// Whether every statement can run inside the function. Anything else — transaction control,
    /// `COPY`, `CALL`, `VACUUM`, `ANALYZE`, cursors, `PREPARE`/`EXECUTE`, `DISCARD`, `LISTEN` —
    /// keeps the statement-by-statement path.
    static func runsInFunction(_ statements: [SQLStatement]) -> Bool {
        statements.allSatisfy { statement in
            guard let first = statement.firstKeywords(1).first else { return false }
            return statementKinds.contains(first)
        }
    }
}
