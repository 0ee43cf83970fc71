/// Finds statements that cannot run inside a transaction, so the runner can run their migration
/// outside one (with a warning) instead of failing.
///
/// SQLite: `VACUUM`. PostgreSQL: `CREATE/DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`,
/// `VACUUM`, `ALTER SYSTEM`, `CREATE/DROP DATABASE`, `CREATE/DROP TABLESPACE`.
public enum TransactionCompatibility {
    /// The first statement of `script` that cannot run in a transaction on `engine`, described
    /// with its location, or `nil` when every statement can.
    public static func firstNonTransactionalStatement(in script: MigrationScript,
                                                      engine: DatabaseEngine) -> String? {
        // Cheap pre-filter: most scripts contain none of the keywords at all.
        let keywords = engine == .sqlite ? ["VACUUM"] : ["CONCURRENTLY", "VACUUM", "SYSTEM", "DATABASE", "TABLESPACE"]
        guard keywords.contains(where: { ByteSearch.containsIgnoringASCIICase(script.sql, $0) }) else { return nil }
        for statement in script.statements(dialect: engine.dialect) {
            let words = leadingWords(statement.text, count: 4)
            if let name = classify(words, engine: engine) {
                return "\(name) at \(statement.location) cannot run inside a transaction"
            }
        }
        return nil
    }

    private static func classify(_ w: [String], engine: DatabaseEngine) -> String? {
        guard let first = w.first else { return nil }
        if first == "VACUUM" { return "VACUUM" }
        guard engine == .postgres else { return nil }
        let rest = Array(w.dropFirst())
        switch first {
        case "CREATE", "DROP":
            if rest.first == "DATABASE" { return "\(first) DATABASE" }
            if rest.first == "TABLESPACE" { return "\(first) TABLESPACE" }
            if rest.prefix(3).contains("INDEX") && rest.prefix(3).contains("CONCURRENTLY") {
                return "\(first) INDEX CONCURRENTLY"
            }
        case "REINDEX":
            if rest.prefix(3).contains("CONCURRENTLY") { return "REINDEX CONCURRENTLY" }
        case "ALTER":
            if rest.first == "SYSTEM" { return "ALTER SYSTEM" }
        default:
            break
        }
        return nil
    }

    /// The first `count` words of a statement, uppercased (comments and parentheses end words).
    static func leadingWords(_ text: String, count: Int) -> [String] {
        var words: [String] = []
        var current = ""
        for ch in text.unicodeScalars {
            if ch.properties.isAlphabetic || ch == "_" || ("0"..."9").contains(ch) {
                current.unicodeScalars.append(ch)
            } else {
                if !current.isEmpty {
                    words.append(current.uppercased())
                    current = ""
                    if words.count == count { return words }
                }
                if ch == "(" || ch == ";" { break }
            }
        }
        if !current.isEmpty && words.count < count { words.append(current.uppercased()) }
        return words
    }
}
