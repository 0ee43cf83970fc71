/// Reads the header comment block at the top of an up script (seed 000's template, seed 004):
///
/// ```sql
/// -- Migration: Add Email Notifications
/// -- Version: 004
/// -- Description: Add email notification preferences
/// -- ============================================================================
/// ```
///
/// Only `--` lines and blank lines before the first other line count.
enum HeaderComments {
    /// The `key: value` pairs of the leading comment block, keys lowercased, first occurrence kept.
    static func fields(of text: String) -> [String: String] {
        var fields: [String: String] = [:]
        // Line by line, stopping at the first line that is not a comment: the rest of the script
        // is never looked at.
        var rest = text[...]
        var isFirst = true
        while !rest.isEmpty {
            // Line ends found by bytes (LF, CR LF, lone CR are always Character boundaries).
            let utf8 = rest.utf8
            let end = utf8.firstIndex(where: { $0 == 10 || $0 == 13 }) ?? utf8.endIndex
            var rawLine = rest[rest.startIndex..<end]
            if end == utf8.endIndex {
                rest = rest[end...]
            } else {
                var next = utf8.index(after: end)
                if utf8[end] == 13, next < utf8.endIndex, utf8[next] == 10 { next = utf8.index(after: next) }
                rest = rest[next...]
            }
            if isFirst {
                isFirst = false
                if rawLine.hasPrefix("\u{FEFF}") { rawLine = rawLine.dropFirst() }
            }
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty { continue }
            guard line.hasPrefix("--") else { break }
            let comment = line.dropFirst(2).trimmingWhitespace()
            guard let colon = comment.firstIndex(of: ":") else { continue }
            let key = comment[comment.startIndex..<colon].trimmingWhitespace().lowercased()
            guard !key.isEmpty, key.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0 == " " || $0 == "_" })
            else { continue }
            let value = String(comment[comment.index(after: colon)...].trimmingWhitespace())
            if fields[key] == nil { fields[key] = value }
        }
        return fields
    }

    /// The description a header gives, if any.
    ///
    /// `-- Migration: <title>` is preferred; when the title is just an identifier (seed 004 writes
    /// `-- Migration: add_user_preferences`) and a `-- Description:` is given, the description is
    /// used instead. Unfilled template placeholders such as `[Human-readable title]` are skipped.
    static func description(of text: String) -> String? {
        let fields = fields(of: text)
        func usable(_ value: String?) -> String? {
            guard let value, !value.isEmpty else { return nil }
            if value.hasPrefix("[") && value.hasSuffix("]") { return nil }
            return value
        }
        let title = usable(fields["migration"])
        let description = usable(fields["description"])
        if let title {
            let identifierLike = title.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" || $0 == "-"
            }
            if identifierLike, let description { return description }
            return title
        }
        return description
    }

    /// A name with underscores and dashes turned into spaces: `add_user_settings` → `add user settings`.
    static func humanize(_ name: String) -> String {
        String(name.map { $0 == "_" || $0 == "-" ? " " : $0 })
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    fileprivate func trimmingWhitespace() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" || self[start] == "\r" {
            start = index(after: start)
        }
        while end > start {
            let before = index(before: end)
            if self[before] == " " || self[before] == "\t" || self[before] == "\r" { end = before } else { break }
        }
        return self[start..<end]
    }
}
