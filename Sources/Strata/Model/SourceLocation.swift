/// A position in a migration file: path, 1-based line and 1-based column.
///
/// Its description reads like a compiler's, `migrations/003_add_email.sql:12:5`, so editors and
/// terminals can jump to it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path as Strata shows it (relative to the working directory when possible).
    public var file: String
    /// The 1-based line.
    public var line: Int
    /// The 1-based column, counted in characters (Unicode scalars).
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}
