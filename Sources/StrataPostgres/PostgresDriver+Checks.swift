import PostgresNIO
import Strata

extension PostgresDriver {
    /// Indexes PostgreSQL marks invalid, such as one left by a `CREATE INDEX CONCURRENTLY` that
    /// failed: `schema.index on table`, sorted. Such an index is maintained on every write but
    /// never used by queries.
    public func invalidIndexes() async throws -> [String] {
        try await names("""
            SELECT n.nspname || '.' || c.relname || ' on ' || t.relname
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid ORDER BY 1
            """)
    }

    /// Constraints added `NOT VALID` and never validated: `schema.table: constraint`, sorted.
    /// Rows that existed before such a constraint was added may break it.
    public func unvalidatedConstraints() async throws -> [String] {
        try await names("""
            SELECT n.nspname || '.' || t.relname || ': ' || c.conname
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE NOT c.convalidated ORDER BY 1
            """)
    }

    private func names(_ query: String) async throws(StrataError) -> [String] {
        let (connection, _) = try await session.open()
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: query), logger: logger).collect()
                .map { try $0.decode(String.self) }
        } catch {
            throw PostgresErrors.databaseError(error)
        }
    }
}
