import Logging
import PostgresNIO
import Strata

/// Runs SQL scripts on one connection, statement by statement: PostgresNIO speaks only the
/// extended protocol, which takes one statement per query, so scripts are split with
/// ``SQLSplitter`` (PostgreSQL dialect: dollar quotes, nested comments, `BEGIN ATOMIC`) and each
/// piece is sent as it is written. Every result is drained, so errors raised while rows stream
/// (timeouts, division by zero) are never lost.
struct PostgresScriptRunner: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// How a script's own transaction statements are treated.
    enum TransactionPolicy {
        /// Strata holds a transaction: balanced `BEGIN … COMMIT` pairs of the script are skipped,
        /// any other transaction statement is an error.
        case absorb
        /// No surrounding transaction: the script's statements run as written.
        case passThrough
    }

    /// The transaction statement a script statement is, if any: `BEGIN`, `START TRANSACTION`,
    /// `COMMIT`, `END`, `ROLLBACK`, `ABORT`; not `ROLLBACK TO`, `COMMIT PREPARED`,
    /// `ROLLBACK PREPARED`, `SAVEPOINT` or `RELEASE`.
    static func transactionControl(_ statement: SQLStatement) -> ScriptTransactionStatements.Control? {
        let words = statement.firstKeywords(3)
        switch words.first {
        case "BEGIN": return .begin
        case "START": return words.dropFirst().first == "TRANSACTION" ? .begin : nil
        case "COMMIT", "END": return words.contains("PREPARED") ? nil : .commit
        case "ROLLBACK", "ABORT": return words.contains("TO") || words.contains("PREPARED") ? nil : .rollback
        default: return nil
        }
    }

    /// Runs every statement of a migration's script; rows are drained and ignored.
    /// - Returns: Whether the script left a transaction of its own open (only with `.passThrough`).
    /// - Throws: ``StrataError`` `.migrationFailed` located at the failing statement (the
    ///   server's position inside it when given), with the SQLSTATE.
    ///
    /// The statements to send are worked out first (absorbed transaction statements checked, and
    /// errors there raised, before anything is sent), then sent as one ``PostgresQueryChain``:
    /// each only after the one before succeeded, as when awaiting them one by one.
    @discardableResult
    func run(_ script: MigrationScript, policy: TransactionPolicy) async throws(StrataError) -> Bool {
        let (toSend, openInPassThrough) = try Self.statementsToSend(script, policy: policy)
        try await run(toSend, of: script)
        return openInPassThrough
    }

    /// Sends statements of `script` (as ``statementsToSend(_:policy:)`` chose them) as one
    /// ``PostgresQueryChain``.
    func run(_ toSend: [SQLStatement], of script: MigrationScript) async throws(StrataError) {
        let queries = toSend.map { PostgresQuery(unsafeSQL: $0.text) }
        if let failure = await PostgresQueryChain.run(queries, on: connection, logger: logger) {
            throw PostgresErrors.statementError(failure.error, code: .migrationFailed, script: script,
                                                statement: toSend[failure.index])
        }
    }

    /// The statements of `script` to send, in order, and whether the script leaves a transaction of
    /// its own open (only with `.passThrough`). With `.absorb` the script's balanced transaction
    /// statements are left out, and misplaced ones are errors raised here, before anything is sent.
    static func statementsToSend(_ script: MigrationScript,
                                 policy: TransactionPolicy) throws(StrataError) -> (statements: [SQLStatement], leavesOpen: Bool) {
        var own = ScriptTransactionStatements()
        var openInPassThrough = false
        var toSend: [SQLStatement] = []
        for statement in script.statements(dialect: .postgres) {
            let control = transactionControl(statement)
            if let control, policy == .absorb {
                try own.absorb(control, at: statement.utf8Range.lowerBound, in: script, hint: transactionControlHint)
                continue
            }
            toSend.append(statement)
            if let control { openInPassThrough = control == .begin }
        }
        if policy == .absorb { try own.finish(in: script) }
        return (toSend, openInPassThrough)
    }

    /// Runs a verify script: the first row any statement returns fails the verification.
    func verify(_ script: MigrationScript) async throws(StrataError) {
        let result = try await verifyRows(script, limit: 1)
        guard let row = result.rows.first else { return }
        throw StrataError(
            .verificationFailed, "the verify query returned a row: \(row)", location: row.location,
            hint: "a verify query must return no rows when the migration is right; the migration was rolled back")
    }

    /// Runs every statement of a verify script and returns the first `limit` rows.
    func verifyRows(_ script: MigrationScript, limit: Int) async throws(StrataError) -> PostgresVerifyResult {
        var rows: [PostgresVerifyRow] = []
        var truncated = false
        for statement in script.statements(dialect: .postgres) {
            if let control = Self.transactionControl(statement) {
                throw StrataError(
                    .verificationFailed, "a verify script cannot use \(control.keyword)", location: statement.location,
                    hint: "a verify script holds queries only: remove the transaction statements")
            }
            let result = try await execute(statement, of: script, code: .verificationFailed)
            for row in result {
                if rows.count == limit {
                    truncated = true
                    break
                }
                rows.append(PostgresVerifyRow(location: statement.location, row: row))
            }
        }
        return PostgresVerifyResult(rows: rows, truncated: truncated)
    }

    /// Sends one statement and drains its rows.
    @discardableResult
    func execute(_ statement: SQLStatement, of script: MigrationScript,
                 code: StrataError.Code) async throws(StrataError) -> [PostgresRow] {
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: statement.text), logger: logger).collect()
        } catch {
            throw PostgresErrors.statementError(error, code: code, script: script, statement: statement)
        }
    }

    static let transactionControlHint = "Strata runs each migration in a transaction of its own: remove the script's "
        + "transaction statements, or add `-- strata:no-transaction` at the top to run it as written"
}
