/// One migration as found in a source: its version, scripts, options and checksum.
///
/// Sources (``MigrationDirectory``) build these; the ``Planner`` orders them against the
/// history, and the ``Migrator`` hands their scripts (or Swift code) to a driver.
public struct Migration: Sendable, Hashable, Identifiable {
    /// What can undo a migration.
    public enum Down: Sendable, Hashable {
        /// A down script.
        case script(MigrationScript)
        /// A down script exists but is empty or comment-only: the migration cannot be rolled back.
        case irreversible(path: String)
        /// No down script at all.
        case none
    }

    /// The version; `nil` only for repeatable migrations.
    public var version: MigrationVersion?
    /// The name part of the file name, for example `add_email` (`refresh_views` for `R__refresh_views.sql`).
    public var name: String
    /// The human-readable description (metadata, header comment, or the name with spaces).
    public var description: String
    /// What kind of migration this is.
    public var kind: MigrationKind
    /// The layout it was read from.
    public var layout: MigrationLayout
    /// The file or directory that defines the migration, as shown to the user.
    public var sourcePath: String
    /// The up script.
    public var up: MigrationScript
    /// The down script, if any.
    public var down: Down
    /// An optional verify script: any row it returns means the migration failed.
    public var verify: MigrationScript?
    /// `metadata.yaml`, when present.
    public var metadata: MigrationMetadata
    /// How to execute the up script.
    public var options: ExecutionOptions
    /// How to execute the down script (dbmate's `-- migrate:down transaction:false`, for example).
    public var downOptions: ExecutionOptions
    /// SHA-256 (hex) of the normalised up script; see ``Checksum``. For a Swift migration, made
    /// from its revision (``SwiftMigrationCode/checksum(revision:)``).
    public var checksum: String
    /// The closures of a Swift migration (``MigrationKind/swift``); `nil` for SQL migrations.
    public var code: SwiftMigrationCode?

    /// Creates a migration; the checksum is computed from `up` unless given.
    public init(version: MigrationVersion?, name: String, description: String, kind: MigrationKind = .sql,
                layout: MigrationLayout, sourcePath: String, up: MigrationScript, down: Down = .none,
                verify: MigrationScript? = nil, metadata: MigrationMetadata = MigrationMetadata(),
                options: ExecutionOptions = ExecutionOptions(), downOptions: ExecutionOptions = ExecutionOptions(),
                checksum: String? = nil, code: SwiftMigrationCode? = nil) {
        self.version = version
        self.name = name
        self.description = description
        self.kind = kind
        self.layout = layout
        self.sourcePath = sourcePath
        self.up = up
        self.down = down
        self.verify = verify
        self.metadata = metadata
        self.options = options
        self.downOptions = downOptions
        self.checksum = checksum ?? Checksum.sha256Hex(ofScript: up.sql)
        self.code = code
    }

    /// The key of the migration's history row: the version as written, or `R__<name>` for a
    /// repeatable migration.
    public var id: String { version?.text ?? "R__\(name)" }

    /// The down script, if the migration has a usable one.
    public var downScript: MigrationScript? {
        if case .script(let script) = down { return script }
        return nil
    }
}
