/// The database engines Strata drives.
public enum DatabaseEngine: String, Sendable, Hashable {
    /// SQLite, the embedded default.
    case sqlite
    /// PostgreSQL.
    case postgres

    /// The splitter dialect for this engine.
    public var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}
