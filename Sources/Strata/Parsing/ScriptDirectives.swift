/// Directives given in the leading comment lines of an up script (SPEC §2).
///
/// - `-- strata:no-transaction`: run outside a transaction.
/// - `-- strata:foreign-keys immediate`: keep SQLite foreign keys enforced statement by statement.
///
/// (Placeholder: being completed by the parsing work.)
public struct ScriptDirectives: Sendable, Hashable {
    /// `false` when `-- strata:no-transaction` was given.
    public var transactional: Bool = true
    /// Foreign-key handling.
    public var foreignKeys: ExecutionOptions.ForeignKeys = .checkBeforeCommit

    /// No directives.
    public init() {}

    /// Reads the directives of a script; throws for an unknown `-- strata:` directive.
    public static func parse(_ script: MigrationScript) throws(StrataError) -> ScriptDirectives {
        ScriptDirectives()
    }
}
