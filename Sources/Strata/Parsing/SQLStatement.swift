/// One statement of a script, with where it is.
public struct SQLStatement: Sendable, Hashable {
    /// The statement from its first significant character through its terminating `;` (if any).
    public var text: String
    /// The UTF-8 byte range of ``text`` in the script it was split from.
    public var utf8Range: Range<Int>
    /// Where ``text`` begins. ``SQLSplitter`` reports it relative to the script (line 1, column 1,
    /// empty file name); ``MigrationScript/statements(dialect:)`` rebases it onto the file.
    public var location: SourceLocation

    /// Creates a statement.
    public init(text: String, utf8Range: Range<Int>, location: SourceLocation) {
        self.text = text
        self.utf8Range = utf8Range
        self.location = location
    }
}
