import PostgresNIO
import Strata

extension PostgresDriver {
    /// The server and session as Strata sees them (see ``PostgresSessionFacts``). Reads only
    /// catalogs and settings; writes nothing.
    /// - Throws: ``StrataError`` `.database` when the server cannot be reached or read.
    public func sessionFacts() async throws -> PostgresSessionFacts {
        let (connection, sql) = try await session.open()
        do {
            let row = try await connection.query("""
                SELECT current_setting('server_version'), current_setting('server_version_num')::int8,
                       current_user::text, current_database()::text,
                       EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(sql.schema)),
                       CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(sql.schema))
                            THEN has_schema_privilege(\(sql.schema), 'CREATE')
                            ELSE has_database_privilege(current_database(), 'CREATE') END,
                       coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false),
                       pg_is_in_recovery()
                """, logger: logger).collect().first
            guard let row else { throw StrataError(.database, "the server returned no session facts") }
            let (version, number, user, database, exists, canCreate, superuser, recovery) =
                try row.decode((String, Int64, String, String, Bool, Bool, Bool, Bool).self)
            return PostgresSessionFacts(serverVersion: version, serverVersionNumber: Int(number), user: user, database: database,
                                        schema: sql.schema, schemaExists: exists, canCreateInSchema: canCreate,
                                        isSuperuser: superuser, inRecovery: recovery)
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot read the session's facts")
        }
    }

    /// Who holds Strata's runner lock on this schema and history table right now
    /// (`PostgreSQL backend pid 4242, application 'strata runner pid 17 on ci-3', user deploy, …`,
    /// from `pg_locks` and `pg_stat_activity`), or `nil` when it is free. Takes nothing.
    /// - Throws: ``StrataError`` `.database` when the server cannot be read.
    public func runnerLockHolder() async throws -> String? {
        let (connection, sql) = try await session.open()
        do {
            return try await PostgresAdvisoryLock.holder(PostgresAdvisoryLock.key(schema: sql.schema, historyTable: historyTable),
                                                         connection: connection, logger: logger)
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot read the advisory locks")
        }
    }
}
