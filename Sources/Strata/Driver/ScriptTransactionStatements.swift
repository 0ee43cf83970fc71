/// What a driver does with a migration script's own transaction statements when it runs the
/// script inside a transaction of its own: balanced `BEGIN … COMMIT` blocks (seed files often
/// wrap themselves in one) are skipped, so the script's statements commit together with the
/// history row; anything that would end or nest Strata's transaction is an error.
///
/// ```swift
/// var own = ScriptTransactionStatements()
/// for statement in statements {
///     if let control = kind(of: statement) {            // the driver's own recognition
///         try own.absorb(control, at: offset, in: script, hint: hint)
///         continue                                      // skipped: Strata holds the transaction
///     }
///     run(statement)
/// }
/// try own.finish(in: script)
/// ```
public struct ScriptTransactionStatements: Sendable {
    /// A transaction statement.
    public enum Control: Sendable, Equatable {
        /// `BEGIN`, `BEGIN TRANSACTION`, `START TRANSACTION`, …
        case begin
        /// `COMMIT` or `END`.
        case commit
        /// `ROLLBACK` (not `ROLLBACK TO` a savepoint).
        case rollback

        /// The statement's keyword, for messages.
        public var keyword: String {
            switch self {
            case .begin: "BEGIN"
            case .commit: "COMMIT"
            case .rollback: "ROLLBACK"
            }
        }
    }

    /// The UTF-8 offset of the script's `BEGIN` whose `COMMIT` has not come yet.
    public private(set) var openBegin: Int?

    /// No block open.
    public init() {}

    /// Accepts a script's transaction statement inside Strata's transaction: a `BEGIN` when no
    /// block is open, or the `COMMIT` of the open block. The caller skips the statement.
    /// - Throws: ``StrataError`` `.migrationFailed` at `offset` for a nested `BEGIN`, a `COMMIT`
    ///   without `BEGIN` or any `ROLLBACK`, with `hint`.
    public mutating func absorb(_ control: Control, at offset: Int, in script: MigrationScript,
                                hint: String) throws(StrataError) {
        switch (control, openBegin) {
        case (.begin, nil):
            openBegin = offset
        case (.commit, .some):
            openBegin = nil
        default:
            let message = switch control {
            case .begin: "cannot start a transaction within a transaction"
            case .commit: "COMMIT without a matching BEGIN would commit part of the migration"
            case .rollback: "ROLLBACK would undo the transaction Strata runs the migration in"
            }
            throw StrataError(.migrationFailed, message, location: script.location(ofUTF8Offset: offset), hint: hint)
        }
    }

    /// Checks, after the last statement, that no `BEGIN` of the script is left open.
    /// - Throws: ``StrataError`` `.migrationFailed` at the open `BEGIN`.
    public func finish(in script: MigrationScript) throws(StrataError) {
        guard let openBegin else { return }
        throw StrataError(
            .migrationFailed, "the script's BEGIN has no matching COMMIT",
            location: script.location(ofUTF8Offset: openBegin),
            hint: "add the missing COMMIT at the end of the script, or remove the BEGIN: "
                + "Strata already runs each migration in a transaction")
    }
}
