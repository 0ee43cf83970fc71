/// SQL text normalised for comparison: comments dropped, whitespace collapsed, keywords and
/// unquoted identifiers uppercased, quoted text kept as written.
///
/// ```swift
/// SQLText.normalized("create  index i on t(a) -- note\n where a > 0")
/// // "CREATE INDEX I ON T (A) WHERE A > 0"
/// ```
public enum SQLText {
    /// The normalised form of `sql` (a trailing `;` is dropped).
    public static func normalized(_ sql: String, dialect: SQLDialect = .generic) -> String {
        let tokens = StatementTokens(sql, dialect: dialect).tokens.filter { $0.kind != .semicolon }
        return join(tokens[...])
    }

    /// Tokens joined with single spaces, no space after `(` or `.` and none before `)`, `,` or `.`.
    static func join(_ tokens: ArraySlice<StatementTokens.Token>) -> String {
        var out = ""
        var previous: StatementTokens.Token?
        for token in tokens {
            let text = token.kind == .word ? token.upper : token.text
            if let previous {
                let tight = token.isPunctuation(")") || token.isPunctuation(",") || token.isPunctuation(".")
                    || previous.isPunctuation("(") || previous.isPunctuation(".")
                if !tight { out += " " }
            }
            out += text
            previous = token
        }
        return out
    }
}
