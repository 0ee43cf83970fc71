import GRDB
import GRDBSQLite
import Strata

extension SQLiteDriver {
    /// Runs the first statement of `sql` on a read-only connection state (GRDB's read access, so
    /// any write fails) and returns every row, each value converted to text by SQLite (`nil` for
    /// NULL). Used to read other tools' history tables.
    /// - Throws: ``StrataError`` `.database` with SQLite's message when the query fails.
    public func rows(_ sql: String) async throws -> [[String?]] {
        try await reading { db in
            var result: [[String?]] = []
            try RawQuery.run(try Self.connection(db), sql) { (row: RawQuery.Row) throws(StrataError) in
                let count = sqlite3_column_count(row.stmt)
                result.append((0..<count).map { row.text($0) })
            }
            return result
        }
    }

    /// The columns of a table in the main schema (matched case-insensitively), in order; `nil`
    /// when there is no such table. Creates nothing.
    public func tableColumns(_ table: String) async throws -> [String]? {
        try await reading { db in
            let connection = try Self.connection(db)
            guard try RawQuery.tableExists(connection, table) else { return nil }
            var columns: [String] = []
            try RawQuery.run(connection, "SELECT name FROM pragma_table_info(?) ORDER BY cid", [table]) {
                (row: RawQuery.Row) throws(StrataError) in
                if let name = row.text(0) { columns.append(name) }
            }
            return columns
        }
    }
}
