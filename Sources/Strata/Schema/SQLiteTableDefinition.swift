/// What SQLite keeps only in a table's `CREATE TABLE` text: `CHECK` constraints, column
/// collations and `AUTOINCREMENT`.
public struct SQLiteTableDefinition: Sendable, Hashable {
    /// The normalised `CHECK (…)` constraints, column-level and table-level, in order.
    public var checks: [String]
    /// Collations by lowercased column name.
    public var collations: [String: String]
    /// Whether the primary key is `AUTOINCREMENT`.
    public var autoincrement: Bool
    /// The options after the column list: `WITHOUT ROWID`, `STRICT`.
    public var options: [String]

    /// Reads a `CREATE TABLE` statement.
    public init(_ sql: String) {
        let tokens = StatementTokens(sql, dialect: .sqlite)
        checks = []
        collations = [:]
        options = []
        autoincrement = tokens.tokens.contains { $0.is("AUTOINCREMENT") }
        guard let open = tokens.tokens.firstIndex(where: { $0.isPunctuation("(") }) else { return }
        let close = tokens.closing(open) - 1
        if tokens.find(["WITHOUT", "ROWID"], from: close) != nil { options.append("WITHOUT ROWID") }
        if tokens.find(["STRICT"], from: close) != nil { options.append("STRICT") }
        let tableConstraintWords: Set<String> = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        for part in tokens.commaSeparated(from: open + 1, to: close) {
            guard let first = tokens[part.lowerBound] else { continue }
            let isColumn = !(first.kind == .word && tableConstraintWords.contains(first.upper))
            var i = part.lowerBound
            while i < part.upperBound {
                let t = tokens.tokens[i]
                if t.is("CHECK"), let paren = tokens[i + 1], paren.isPunctuation("(") {
                    let end = tokens.closing(i + 1)
                    checks.append("CHECK " + SQLText.join(tokens.tokens[(i + 1)..<end]))
                    i = end
                    continue
                }
                if isColumn, t.is("COLLATE"), let name = tokens[i + 1] {
                    collations[first.name] = name.name.uppercased()
                }
                i += 1
            }
        }
    }
}
