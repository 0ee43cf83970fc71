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

    /// Creates options; the defaults are one transaction and foreign keys checked before commit.
    public init(transactional: Bool = true, nonTransactionalReason: String? = nil,
                foreignKeys: ForeignKeys = .checkBeforeCommit) {
        self.transactional = transactional
        self.nonTransactionalReason = nonTransactionalReason
        self.foreignKeys = foreignKeys
    }
}
