/// The SQL dialect the splitter follows.
public enum SQLDialect: String, Sendable, Hashable {
    /// Understands everything below at once; safe for both engines' migration files.
    case generic
    /// SQLite: `[bracketed]` and backtick identifiers, trigger bodies `BEGIN … END`.
    case sqlite
    /// PostgreSQL: `E'…'` strings with backslash escapes, `$tag$…$tag$` dollar quotes.
    case postgres
}
