/// SQL text normalised for comparison: comments dropped, whitespace collapsed, keywords and
/// unquoted identifiers uppercased, quoted text kept as written.
///
/// ```swift
/// SQLText.normalized("create  index i on t (a) -- note\n where a>=0")
/// // "CREATE INDEX I ON T(A) WHERE A >= 0"
/// ```
public enum SQLText {
    /// The normalised form of `sql` (a trailing `;` is dropped).
    public static func normalized(_ sql: String, dialect: SQLDialect = .generic) -> String {
        var tokens = StatementTokens(sql, dialect: dialect).tokens
        if tokens.last?.kind == .semicolon { tokens.removeLast() }
        return join(tokens[...])
    }

    /// Tokens joined with single spaces: none after `(` or `.`, none before `(`, `)`, `,`, `.` or
    /// `;`, and none inside an operator written as one (`>=`, `||`, `::`).
    static func join(_ tokens: ArraySlice<StatementTokens.Token>) -> String {
        var out = ""
        var previous: StatementTokens.Token?
        for token in tokens {
            let text = token.kind == .word ? token.upper : token.text
            if let previous {
                let adjacentOperators = token.kind == .punctuation && previous.kind == .punctuation
                    && previous.offset + previous.text.utf8.count == token.offset
                    && !"(),;".contains(previous.text) && !"(),;".contains(token.text)
                let tight = token.isPunctuation("(") || token.isPunctuation(")") || token.isPunctuation(",")
                    || token.isPunctuation(".") || token.kind == .semicolon || adjacentOperators
                    || previous.isPunctuation("(") || previous.isPunctuation(".")
                if !tight { out += " " }
            }
            out += text
            previous = token
        }
        return out
    }
}
