import GRDB
import GRDBSQLite
import Strata

/// A row a verify script returned: with the query's column names and the statement's location.
public struct SQLiteVerifyRow: Sendable, Hashable, CustomStringConvertible {
    /// Where the statement that returned the row begins (file, line, column).
    public var location: SourceLocation
    /// The result columns' names.
    public var columns: [String]
    /// The values as text (SQLite's own conversion; `nil` for NULL; a blob as `<blob of N bytes>`).
    public var values: [String?]
    /// The values as the `sqlite3` shell's quote mode shows them: `NULL`, numbers as they are,
    /// text in single quotes.
    public var quotedValues: [String]

    /// Creates a row; `quotedValues` defaults to `values` with text quoted.
    public init(location: SourceLocation, columns: [String], values: [String?], quotedValues: [String]? = nil) {
        self.location = location
        self.columns = columns
        self.values = values
        self.quotedValues = quotedValues ?? values.map { value in
            value.map { "'" + $0.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'" }
                ?? "NULL"
        }
    }

    /// `name=value` pairs, for example `id=3, email='a@x', deleted_at=NULL`.
    public var description: String {
        zip(columns, quotedValues).map { "\($0)=\($1)" }.joined(separator: ", ")
    }
}

/// What a verify script returned.
public struct SQLiteVerifyResult: Sendable, Hashable {
    /// The first rows, at most the limit given to ``SQLiteDriver/verifyRows(_:limit:)``.
    public var rows: [SQLiteVerifyRow]
    /// Whether more rows than ``rows`` were returned (they were not read).
    public var truncated: Bool

    /// Creates a result.
    public init(rows: [SQLiteVerifyRow], truncated: Bool) {
        self.rows = rows
        self.truncated = truncated
    }

    /// Whether the script returned no row: the verification passed.
    public var passed: Bool { rows.isEmpty }
}

extension SQLiteDriver {
    /// Runs a migration's verify script read-only and returns the first rows it returns (none
    /// means the verification passed), for `strata verify`.
    ///
    /// Every statement runs, in order, inside one read transaction with `PRAGMA query_only` on,
    /// so the script sees one consistent state of the database and can change nothing; a
    /// statement that would write fails with an error instead of running. Statements after the
    /// limit is reached are still prepared (a syntax error is reported) but not stepped further.
    ///
    /// - Parameters:
    ///   - script: The verify script.
    ///   - limit: How many rows to return at most (at least 1).
    /// - Throws: ``StrataError`` `.verificationFailed`, located in the script, when a statement
    ///   cannot be prepared or fails, writes, or is a transaction statement; `.database` when the
    ///   database cannot be read.
    public func verifyRows(_ script: MigrationScript, limit: Int = 5) async throws -> SQLiteVerifyResult {
        let limit = max(1, limit)
        return try await reading { db in
            let connection = try Self.connection(db)
            let runner = ScriptRunner(connection: connection, busyTimeout: self.busyTimeout)
            var rows: [SQLiteVerifyRow] = []
            var truncated = false
            do {
                try runner.forEachStatement(script, code: .verificationFailed) { stmt, start, end, bytes in
                    let first = SQLScan.skipTrivia(bytes, from: start, to: end)
                    let location = script.location(ofUTF8Offset: first)
                    if let control = SQLScan.transactionControl(bytes, from: first, to: end) {
                        throw StrataError(
                            .verificationFailed, "a verify script cannot use \(control.keyword)", location: location,
                            hint: "a verify script holds queries only: remove the transaction statements")
                    }
                    if sqlite3_stmt_readonly(stmt) == 0 {
                        throw StrataError(
                            .verificationFailed, "a verify script can only read, and this statement writes",
                            location: location,
                            hint: "a verify script holds queries that return the rows that are wrong: "
                                + "move changes to the migration itself")
                    }
                    if truncated { return }
                    while true {
                        let rc = sqlite3_step(stmt)
                        if rc == SQLITE_DONE { return }
                        guard rc == SQLITE_ROW else {
                            throw runner.currentError(code: .verificationFailed, script: script, at: first)
                        }
                        if rows.count == limit {
                            truncated = true
                            return
                        }
                        rows.append(Self.verifyRow(stmt, location: location))
                    }
                }
            } catch let error as StrataError {
                throw error
            } catch {
                throw StrataError(.verificationFailed, "\(error)", location: script.location(ofUTF8Offset: 0))
            }
            return SQLiteVerifyResult(rows: rows, truncated: truncated)
        }
    }

    /// The current row of `stmt`.
    private static func verifyRow(_ stmt: OpaquePointer, location: SourceLocation) -> SQLiteVerifyRow {
        let count = sqlite3_column_count(stmt)
        var columns: [String] = []
        var values: [String?] = []
        var quoted: [String] = []
        for i in 0..<count {
            columns.append(sqlite3_column_name(stmt, i).map { String(cString: $0) } ?? "column \(i + 1)")
            quoted.append(ScriptRunner.render(stmt, i))
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_NULL: values.append(nil)
            case SQLITE_BLOB: values.append("<blob of \(sqlite3_column_bytes(stmt, i)) bytes>")
            default: values.append(sqlite3_column_text(stmt, i).map { String(cString: $0) } ?? "")
            }
        }
        return SQLiteVerifyRow(location: location, columns: columns, values: values, quotedValues: quoted)
    }
}
