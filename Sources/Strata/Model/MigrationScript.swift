/// One SQL script of a migration (its up, down or verify part) with where it came from.
///
/// For layouts that keep up and down in one file (dbmate, goose) the script is the section's text
/// and ``firstLine`` says where that section starts, so every location still points into the file.
public struct MigrationScript: Sendable, Hashable {
    /// The path of the file the script was read from, as shown to the user.
    public var path: String
    /// The SQL text of the script (of its section, for one-file layouts).
    public var sql: String
    /// The 1-based line of the file on which ``sql`` begins.
    public var firstLine: Int

    /// Creates a script.
    public init(path: String, sql: String, firstLine: Int = 1) {
        self.path = path
        self.sql = sql
        self.firstLine = firstLine
    }

    /// Whether the script has nothing but whitespace and comments.
    public var isEffectivelyEmpty: Bool {
        !SQLSplitter.containsStatement(sql)
    }

    /// The location in the file of the given UTF-8 byte offset of ``sql``.
    public func location(ofUTF8Offset offset: Int) -> SourceLocation {
        let utf8 = sql.utf8
        let clamped = max(0, min(offset, utf8.count))
        var line = firstLine
        var column = 1
        var index = utf8.startIndex
        let end = utf8.index(utf8.startIndex, offsetBy: clamped)
        while index < end {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index = utf8.index(after: index)
        }
        return SourceLocation(file: path, line: line, column: column)
    }

    /// The statements of the script, split by ``SQLSplitter`` with locations in the file.
    public func statements(dialect: SQLDialect = .generic) -> [SQLStatement] {
        var statements = SQLSplitter.split(sql, dialect: dialect)
        // The splitter locates each piece in one walk over the text (line 1, column 1 at its
        // top): only the file and the section's first line are added here.
        for k in statements.indices {
            let relative = statements[k].location
            statements[k].location = SourceLocation(file: path, line: firstLine - 1 + relative.line, column: relative.column)
        }
        return statements
    }
}
