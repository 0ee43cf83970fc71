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
        var rest = Substring(text)
        if rest.hasPrefix("\u{FEFF}") { rest = rest.dropFirst() }
        // Line by line, only as far as the header goes: a migration may be 100 MB long.
        while !rest.isEmpty {
            // Bytes, not Characters: grapheme breaking of a long first line is the slow part.
            let bytes = rest.utf8
            let end = bytes.firstIndex(where: { $0 == 10 || $0 == 13 }) ?? bytes.endIndex
            let rawLine = rest[..<end]
            if end == bytes.endIndex {
                rest = rest[end...]
            } else {
                var next = bytes.index(after: end)
                if bytes[end] == 13, next < bytes.endIndex, bytes[next] == 10 { next = bytes.index(after: next) }
                rest = rest[next...]
            }
            // Only comment lines matter: stop at the first statement without looking further.
            if let first = rawLine.utf8.first(where: { $0 != 32 && $0 != 9 }), first != UInt8(ascii: "-") { break }
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
        // Byte by byte: `_` and `-` are ASCII, so the result is valid UTF-8 as the name was.
        String(decoding: name.utf8.map { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") ? UInt8(ascii: " ") : $0 },
               as: UTF8.self)
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
