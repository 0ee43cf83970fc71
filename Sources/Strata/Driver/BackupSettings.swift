/// Whether and how the ``Migrator`` backs up a database before changing it (SQLite: an online,
/// integrity-checked copy; see `SQLiteBackups`). Drivers without backups ignore it.
///
/// ```swift
/// var configuration = Migrator.Configuration()
/// configuration.backups = BackupSettings(directory: "/var/backups/app", keep: 5)
/// configuration.backups = .disabled            // for example for an in-memory test database
/// ```
public struct BackupSettings: Sendable, Hashable {
    /// Whether to back up before a change (default `true`).
    public var isEnabled: Bool
    /// Where backups go: `nil` for a `backups` directory beside the database; a relative path is
    /// resolved against the database's directory.
    public var directory: String?
    /// How many backups of the database to keep (default 10, at least 1).
    public var keep: Int
    /// Whether to gzip backups (needs the `gzip` program).
    public var compress: Bool

    /// Creates settings; the defaults are enabled, `backups/` beside the database, keep 10, no gzip.
    public init(isEnabled: Bool = true, directory: String? = nil, keep: Int = 10, compress: Bool = false) {
        self.isEnabled = isEnabled
        self.directory = directory
        self.keep = keep
        self.compress = compress
    }

    /// No backups.
    public static let disabled = BackupSettings(isEnabled: false)
}
