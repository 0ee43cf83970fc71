/// A database location as given on the command line or in `strata.yml` (SPEC §4).
///
/// Accepted forms: `sqlite:path/to.db`, `sqlite:///abs/path.db`, `sqlite://relative.db`, a bare
/// path ending in `.db`, `.sqlite` or `.sqlite3`; `postgres://` or `postgresql://` URLs (including
/// `?host=/socket/dir`). ``redacted`` never shows a password.
///
/// ```swift
/// let url = try DatabaseURL.parse("postgres://app:secret@db:5432/app")
/// url.redacted   // "postgres://app:***@db:5432/app"
/// ```
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// The engine the URL names.
    public var engine: DatabaseEngine
    /// The text as given.
    public var raw: String
    /// For SQLite: the file path.
    public var path: String?

    /// Parses a database URL or path.
    /// - Throws: ``StrataError`` with code `configuration` for anything else.
    public static func parse(_ text: String) throws(StrataError) -> DatabaseURL {
        let t = text.trimmingWhitespace
        let lower = t.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            return DatabaseURL(engine: .postgres, raw: t, path: nil)
        }
        if lower.hasPrefix("sqlite:") {
            var rest = String(t.dropFirst("sqlite:".count))
            if rest.hasPrefix("//") {
                rest.removeFirst(2)   // sqlite:///abs → /abs ; sqlite://rel.db → rel.db
            }
            if let q = rest.firstIndex(of: "?") { rest = String(rest[..<q]) }
            guard !rest.isEmpty else {
                throw StrataError(.configuration, "database URL '\(t)' names no file", hint: "write sqlite:path/to/app.db")
            }
            return DatabaseURL(engine: .sqlite, raw: t, path: rest)
        }
        if !t.contains("://") && [".db", ".sqlite", ".sqlite3"].contains(where: { lower.hasSuffix($0) }) {
            return DatabaseURL(engine: .sqlite, raw: t, path: t)
        }
        throw StrataError(.configuration, "unsupported database URL '\(redact(t))'",
                          hint: "use sqlite:path/to/app.db, a path ending in .db/.sqlite/.sqlite3, or postgres://user@host/db")
    }

    /// The URL with any password replaced by `***`.
    public var redacted: String { DatabaseURL.redact(raw) }

    /// The URL without its password.
    public var description: String { redacted }

    /// Replaces the password of a `scheme://user:password@host` URL, and `password=` query values, with `***`.
    ///
    /// The password is taken to run to the *last* `@`, so that one typed without percent-encoding
    /// (`postgres://app:p@ss/w0rd@db/app`) is hidden whole rather than in part.
    public static func redact(_ text: String) -> String {
        var s = text
        // Query values first: a password there may hold an `@` that the rule below would cut at.
        for key in ["password=", "pass="] {
            var searchStart = s.startIndex
            while let r = s.range(of: key, options: [.caseInsensitive], range: searchStart..<s.endIndex) {
                let end = s[r.upperBound...].firstIndex(of: "&") ?? s.endIndex
                s.replaceSubrange(r.upperBound..<end, with: "***")
                searchStart = s.index(r.upperBound, offsetBy: 3, limitedBy: s.endIndex) ?? s.endIndex
            }
        }
        if let scheme = s.range(of: "://") {
            let afterScheme = s[scheme.upperBound...]
            if let at = afterScheme.lastIndex(of: "@"),
               let colon = afterScheme[..<at].firstIndex(of: ":") {
                s.replaceSubrange(s.index(after: colon)..<at, with: "***")
            }
        }
        return s
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
