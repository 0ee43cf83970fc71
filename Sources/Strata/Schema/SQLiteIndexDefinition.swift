/// What a SQLite `CREATE INDEX` statement says that the pragmas do not: the text of expression
/// keys and the `WHERE` predicate of a partial index, both normalised.
public struct SQLiteIndexDefinition: Sendable, Hashable {
    /// Each key of the column list, normalised (`LOWER(EMAIL)`, `CREATED_AT DESC`).
    public var columns: [String]
    /// The normalised predicate after `WHERE`, for a partial index.
    public var predicate: String?

    /// Reads a `CREATE INDEX` statement.
    public init(_ sql: String) {
        let tokens = StatementTokens(sql, dialect: .sqlite)
        columns = []
        predicate = nil
        guard let on = tokens.find(["ON"], from: 0, topLevel: true),
              let open = tokens.tokens[on...].firstIndex(where: { $0.isPunctuation("(") }) else { return }
        let close = tokens.closing(open)
        columns = tokens.commaSeparated(from: open + 1, to: close - 1).map { SQLText.join(tokens.tokens[$0]) }
        if let whereAt = tokens.find(["WHERE"], from: close, topLevel: true) {
            predicate = SQLText.join(tokens.tokens[(whereAt + 1)..<tokens.end])
        }
    }
}
