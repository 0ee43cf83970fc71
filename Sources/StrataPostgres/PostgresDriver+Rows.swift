import PostgresNIO
import Strata

extension PostgresDriver {
    /// Runs one query in a `READ ONLY` transaction (rolled back afterwards, so nothing can be
    /// written) and returns every row, each value in PostgreSQL's own text form (a cast to
    /// `text`: `true`/`false` for booleans; `nil` for NULL). Used to read other tools' history tables.
    ///
    /// The query runs once as given; when it returns rows, it runs again wrapped as
    /// `SELECT c1::text, … FROM (<query>) AS q(c1, …)` so the server converts every value.
    /// - Throws: ``StrataError`` `.database` with the server's message when the query fails or
    ///   would write.
    public func rows(_ sql: String) async throws -> [[String?]] {
        let (connection, _) = try await session.open()
        var query = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        while query.hasSuffix(";") { query = String(query.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        var result: [[String?]] = []
        try await transaction(connection, readOnly: true) {
            let first = try await connection.query(PostgresQuery(unsafeSQL: query), logger: self.logger).collect()
            guard let width = first.first?.count, width > 0 else { return }
            let names = (1...width).map { "c\($0)" }
            let wrapped = "SELECT \(names.map { "q.\($0)::text" }.joined(separator: ", ")) FROM (\(query)) AS q(\(names.joined(separator: ", ")))"
            do {
                _ = try await connection.query(PostgresQuery(unsafeSQL: "SAVEPOINT strata_rows"), logger: self.logger).collect()
                for row in try await connection.query(PostgresQuery(unsafeSQL: wrapped), logger: self.logger).collect() {
                    result.append(row.map { try? $0.decode(String?.self) ?? nil })
                }
            } catch {
                // Not a query that can be wrapped (SHOW, a statement with its own ORDER BY is fine):
                // convert the binary values here instead.
                _ = try await connection.query(PostgresQuery(unsafeSQL: "ROLLBACK TO SAVEPOINT strata_rows"), logger: self.logger).collect()
                result = first.map { row in row.map(PostgresValueText.text) }
            }
        }
        return result
    }

    /// The columns of a table or view in ``schema``, in order; `nil` when there is none of that
    /// name (an exact match first, else the only case-insensitive one). Creates nothing.
    public func tableColumns(_ table: String) async throws -> [String]? {
        let (connection, sql) = try await session.open()
        do {
            let found = try await connection.query("""
                SELECT c.oid::int8, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = \(sql.schema) AND lower(c.relname) = lower(\(table))
                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                """, logger: logger).collect().map { try $0.decode((Int64, String).self) }
            guard let oid = found.first(where: { $0.1 == table })?.0 ?? (found.count == 1 ? found[0].0 : nil) else {
                return nil
            }
            var columns: [String] = []
            for row in try await connection.query("""
                SELECT attname::text FROM pg_attribute
                WHERE attrelid = \(oid)::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum
                """, logger: logger).collect() {
                columns.append(try row.decode(String.self))
            }
            return columns
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot read the columns of \(table)")
        }
    }

    /// Runs a migration's verify script in a `READ ONLY` transaction that is rolled back, and
    /// returns the first rows it returns (none means the verification passed), for `strata verify`.
    ///
    /// - Parameters:
    ///   - script: The verify script.
    ///   - limit: How many rows to return at most (at least 1).
    /// - Throws: ``StrataError`` `.verificationFailed`, located in the script, when a statement
    ///   fails (a write fails with SQLSTATE 25006) or is a transaction statement; `.database` when
    ///   the database cannot be read.
    public func verifyRows(_ script: MigrationScript, limit: Int = 5) async throws -> PostgresVerifyResult {
        let (connection, _) = try await session.open()
        let runner = PostgresScriptRunner(connection: connection, logger: logger)
        do {
            _ = try await connection.query("BEGIN READ ONLY", logger: logger).collect()
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot start a read-only transaction")
        }
        do {
            let result = try await runner.verifyRows(script, limit: max(1, limit))
            await rollback(connection)
            return result
        } catch {
            await rollback(connection)
            throw error
        }
    }
}
