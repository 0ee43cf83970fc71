/// Rewrites the `?` placeholders of ``MigrationDatabase``'s engine-neutral calls into
/// PostgreSQL's `$1`, `$2`, …, leaving alone the `?` inside string literals, quoted identifiers,
/// comments and dollar-quoted bodies.
///
/// `SELECT * FROM t WHERE a = ? AND b = '?'` becomes `SELECT * FROM t WHERE a = $1 AND b = '?'`.
/// A statement without any `?` is left as written, so `$1` placeholders work too; JSON operators
/// spelled with `?` (`?`, `?|`, `?&`) must then be written as their functions
/// (`jsonb_exists`, …) in a statement that has arguments.
enum PostgresPlaceholders {
    /// The statement with `$n` placeholders, and how many `?` were rewritten.
    static func rewrite(_ sql: String) -> (sql: String, count: Int) {
        let chars = Array(sql.unicodeScalars)
        var out = String.UnicodeScalarView()
        var count = 0
        var i = 0
        func isIdentifier(_ c: Unicode.Scalar) -> Bool {
            c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c)
        }
        func copy(until end: Int) {
            out.append(contentsOf: chars[i..<min(end, chars.count)])
            i = min(end, chars.count)
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "'":
                // E'…' strings take backslash escapes.
                let escapes = i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e") && (i < 2 || !isIdentifier(chars[i - 2]))
                var j = i + 1
                while j < chars.count {
                    if escapes && chars[j] == "\\" { j += 2; continue }
                    if chars[j] == "'" {
                        if j + 1 < chars.count && chars[j + 1] == "'" { j += 2; continue }
                        break
                    }
                    j += 1
                }
                copy(until: j + 1)
            case "\"":
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += 1 }
                copy(until: j + 1)
            case "-" where next == "-":
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                copy(until: j)
            case "/" where next == "*":
                var depth = 0
                var j = i
                while j < chars.count {
                    if chars[j] == "/" && j + 1 < chars.count && chars[j + 1] == "*" { depth += 1; j += 2; continue }
                    if chars[j] == "*" && j + 1 < chars.count && chars[j + 1] == "/" {
                        depth -= 1
                        j += 2
                        if depth == 0 { break }
                        continue
                    }
                    j += 1
                }
                copy(until: j)
            case "$" where i == 0 || !isIdentifier(chars[i - 1]):
                var j = i + 1
                while j < chars.count && isIdentifier(chars[j]) && !(j == i + 1 && ("0"..."9").contains(chars[j])) { j += 1 }
                guard j < chars.count, chars[j] == "$" else {
                    copy(until: i + 1)
                    continue
                }
                let tag = Array(chars[i...j])
                var k = j + 1
                while k < chars.count && !(chars[k] == "$" && Array(chars[k..<min(k + tag.count, chars.count)]) == tag) { k += 1 }
                copy(until: k + tag.count)
            case "?":
                count += 1
                out.append(contentsOf: "$\(count)".unicodeScalars)
                i += 1
            default:
                out.append(c)
                i += 1
            }
        }
        return (String(out), count)
    }
}
