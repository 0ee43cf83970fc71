/// How the runner executes a migration's script, from directives and `metadata.yaml`.
public struct ExecutionOptions: Sendable, Hashable {
    /// How SQLite foreign keys are handled while a migration runs.
    public enum ForeignKeys: String, Sendable, Hashable {
        /// Foreign keys off during the migration, `PRAGMA foreign_key_check` before commit (default).
        case checkBeforeCommit
        /// Foreign keys stay enforced statement by statement (`-- strata:foreign-keys immediate`).
        case immediate
    }

    /// Whether the migration and its history row run in one transaction (default `true`).
    public var transactional: Bool
    /// Why the migration runs outside a transaction, when it does: a directive or a statement.
    public var nonTransactionalReason: String?
    /// SQLite foreign-key handling.
    public var foreignKeys: ForeignKeys
    /// PostgreSQL `lock_timeout` while the migration runs (`5s`, `500ms`, `1min`, or milliseconds),
    /// from `-- strata:lock-timeout` or `lock_timeout` in `metadata.yaml`; `nil` keeps the run's
    /// or the server's setting. Ignored by SQLite.
    public var lockTimeout: String?
    /// PostgreSQL `statement_timeout` while the migration runs, from `-- strata:statement-timeout`
    /// or `statement_timeout` in `metadata.yaml`; `nil` keeps the run's or the server's setting.
    /// Ignored by SQLite.
    public var statementTimeout: String?

    /// Creates options; the defaults are one transaction, foreign keys checked before commit and
    /// no timeouts of the migration's own.
    public init(transactional: Bool = true, nonTransactionalReason: String? = nil,
                foreignKeys: ForeignKeys = .checkBeforeCommit, lockTimeout: String? = nil,
                statementTimeout: String? = nil) {
        self.transactional = transactional
        self.nonTransactionalReason = nonTransactionalReason
        self.foreignKeys = foreignKeys
        self.lockTimeout = lockTimeout
        self.statementTimeout = statementTimeout
    }
}
