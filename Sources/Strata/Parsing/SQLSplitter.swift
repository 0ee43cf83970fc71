/// Splits SQL scripts into statements. (Placeholder: being replaced by the full splitter.)
public enum SQLSplitter {
    /// The statements of `sql`, in order; comment-only and empty pieces are left out.
    public static func split(_ sql: String, dialect: SQLDialect = .generic) -> [SQLStatement] {
        let bytes = Array(sql.utf8)
        var result: [SQLStatement] = []
        var start = 0
        var i = 0
        var inQuote: UInt8? = nil
        func flush(_ end: Int) {
            var s = start
            while s < end, bytes[s] == 32 || bytes[s] == 10 || bytes[s] == 9 || bytes[s] == 13 { s += 1 }
            if s < end {
                let text = String(decoding: bytes[s..<end], as: UTF8.self)
                result.append(SQLStatement(text: text, utf8Range: s..<end, location: SourceLocation(file: "", line: 1, column: 1)))
            }
            start = end
        }
        while i < bytes.count {
            let b = bytes[i]
            if let q = inQuote { if b == q { inQuote = nil } }
            else if b == 39 || b == 34 { inQuote = b }
            else if b == 59 { flush(i + 1) }
            i += 1
        }
        flush(bytes.count)
        return result
    }
}
