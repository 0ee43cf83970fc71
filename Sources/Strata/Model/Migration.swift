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
    public var version: MigrationVersion? {
        get { storage.value.version }
        set { storage.value.version = newValue }
    }
    /// The name part of the file name, for example `add_email` (`refresh_views` for `R__refresh_views.sql`).
    public var name: String {
        get { storage.value.name }
        set { storage.value.name = newValue }
    }
    /// The human-readable description (metadata, header comment, or the name with spaces).
    public var description: String {
        get { storage.value.description }
        set { storage.value.description = newValue }
    }
    /// What kind of migration this is.
    public var kind: MigrationKind {
        get { storage.value.kind }
        set { storage.value.kind = newValue }
    }
    /// The layout it was read from.
    public var layout: MigrationLayout {
        get { storage.value.layout }
        set { storage.value.layout = newValue }
    }
    /// The file or directory that defines the migration, as shown to the user.
    public var sourcePath: String {
        get { storage.value.sourcePath }
        set { storage.value.sourcePath = newValue }
    }
    /// The up script.
    public var up: MigrationScript {
        get { storage.value.up }
        set { storage.value.up = newValue }
    }
    /// The down script, if any.
    public var down: Down {
        get { storage.value.down }
        set { storage.value.down = newValue }
    }
    /// An optional verify script: any row it returns means the migration failed.
    public var verify: MigrationScript? {
        get { storage.value.verify }
        set { storage.value.verify = newValue }
    }
    /// `metadata.yaml`, when present.
    public var metadata: MigrationMetadata {
        get { storage.value.metadata?.value ?? MigrationMetadata() }
        set { storage.value.metadata = MetadataBox(newValue) }
    }
    /// How to execute the up script.
    public var options: ExecutionOptions {
        get { storage.value.options }
        set { storage.value.options = newValue }
    }
    /// How to execute the down script (dbmate's `-- migrate:down transaction:false`, for example).
    public var downOptions: ExecutionOptions {
        get { storage.value.downOptions }
        set { storage.value.downOptions = newValue }
    }
    /// SHA-256 (hex) of the normalised up script; see ``Checksum``. For a Swift migration, made
    /// from its revision (``SwiftMigrationCode/checksum(revision:)``).
    public var checksum: String {
        get { storage.value.checksum }
        set { storage.value.checksum = newValue }
    }
    /// The closures of a Swift migration (``MigrationKind/swift``); `nil` for SQL migrations.
    public var code: SwiftMigrationCode? {
        get { storage.value.code }
        set { storage.value.code = newValue }
    }

    /// The stored values, shared between copies until one of them changes (copying a
    /// migration is then one reference count, not one per field).
    private var storage: CopyOnWriteBox<Fields>

    private struct Fields: Sendable, Hashable {
        var version: MigrationVersion?
        var name: String
        var description: String
        var kind: MigrationKind
        var layout: MigrationLayout
        var sourcePath: String
        var up: MigrationScript
        var down: Down
        var verify: MigrationScript?
        var metadata: MetadataBox?
        var options: ExecutionOptions
        var downOptions: ExecutionOptions
        var checksum: String
        var code: SwiftMigrationCode?
    }

    /// Most migrations have no `metadata.yaml`: their metadata takes one pointer, not the 170 bytes
    /// of an empty ``MigrationMetadata`` (1.6 MB at 10,000 migrations).
    private final class MetadataBox: Sendable, Hashable {
        let value: MigrationMetadata

        /// `nil` for empty metadata.
        init?(_ value: MigrationMetadata) {
            guard !value.isEmpty else { return nil }
            self.value = value
        }

        static func == (lhs: MetadataBox, rhs: MetadataBox) -> Bool { lhs === rhs || lhs.value == rhs.value }

        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    /// Creates a migration; the checksum is computed from `up` unless given.
    public init(version: MigrationVersion?, name: String, description: String, kind: MigrationKind = .sql,
                layout: MigrationLayout, sourcePath: String, up: MigrationScript, down: Down = .none,
                verify: MigrationScript? = nil, metadata: MigrationMetadata = MigrationMetadata(),
                options: ExecutionOptions = ExecutionOptions(), downOptions: ExecutionOptions = ExecutionOptions(),
                checksum: String? = nil, code: SwiftMigrationCode? = nil) {
        storage = CopyOnWriteBox(Fields(
            version: version, name: name, description: description, kind: kind, layout: layout,
            sourcePath: sourcePath, up: up, down: down, verify: verify, metadata: MetadataBox(metadata),
            options: options, downOptions: downOptions,
            checksum: checksum ?? Checksum.sha256Hex(ofScript: up.sql), code: code))
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
