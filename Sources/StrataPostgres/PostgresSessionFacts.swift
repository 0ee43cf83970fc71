/// What a PostgreSQL session looks like to Strata, for `strata doctor` and for applications that
/// check their database before migrating: the server, who is connected where, and whether
/// Strata can create its tables and run migrations there.
///
/// ```swift
/// let facts = try await driver.sessionFacts()
/// print("PostgreSQL \(facts.serverVersion) as \(facts.user) on \(facts.database), schema \(facts.schema)")
/// if !facts.canCreateInSchema { print("this role cannot create tables in \(facts.schema)") }
/// ```
public struct PostgresSessionFacts: Sendable, Hashable {
    /// `SHOW server_version`, for example `15.18 (Debian 15.18-0+deb12u1)`.
    public var serverVersion: String
    /// `server_version_num`, for example `150018`: compare with `major * 10000`.
    public var serverVersionNumber: Int
    /// `current_user`.
    public var user: String
    /// `current_database()`.
    public var database: String
    /// The schema of Strata's history tables (``PostgresDriver/schema``).
    public var schema: String
    /// Whether that schema exists already (the first run creates it when the URL's `search_path`
    /// names a new one).
    public var schemaExists: Bool
    /// Whether ``user`` may create tables in ``schema`` (`has_schema_privilege(…, 'CREATE')`), or,
    /// when the schema does not exist yet, create it (`has_database_privilege(…, 'CREATE')`).
    public var canCreateInSchema: Bool
    /// Whether ``user`` is a superuser (rolsuper).
    public var isSuperuser: Bool
    /// Whether the server is a standby in recovery (`pg_is_in_recovery()`): read-only, no migrations.
    public var inRecovery: Bool

    /// Creates facts (for tests; the driver reads them with ``PostgresDriver/sessionFacts()``).
    public init(serverVersion: String, serverVersionNumber: Int, user: String, database: String, schema: String,
                schemaExists: Bool, canCreateInSchema: Bool, isSuperuser: Bool, inRecovery: Bool) {
        self.serverVersion = serverVersion
        self.serverVersionNumber = serverVersionNumber
        self.user = user
        self.database = database
        self.schema = schema
        self.schemaExists = schemaExists
        self.canCreateInSchema = canCreateInSchema
        self.isSuperuser = isSuperuser
        self.inRecovery = inRecovery
    }
}
