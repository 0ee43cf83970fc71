/// Quoting of names and text for SQL that Strata writes itself (history tables, queries of other
/// tools' tables). Values are bound as parameters wherever the engine allows; quoting is for
/// identifiers and for DDL, which takes no parameters.
///
/// ```swift
/// SQLQuoting.identifier("my \"history\"")   // "my ""history"""  (with the outer quotes)
/// SQLQuoting.literal("it's")                 // 'it''s'
/// ```
public enum SQLQuoting {
    /// `name` as an SQL identifier: in double quotes, inner quotes doubled.
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `text` as an SQL string literal: in single quotes, inner quotes doubled.
    public static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
