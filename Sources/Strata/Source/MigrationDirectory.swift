/// A directory of migration files on disk, in any of the layouts of SPEC §2.
///
/// The layout is detected from the names in it: `V001__name/` directories (`dir`),
/// `001_name.sql` + `001_name.down.sql` (`flat`), `1_name.up.sql` + `1_name.down.sql` (`updown`),
/// `20241227_143000_name.sql` + `…_rollback.sql` (`timestamp`), one-file dbmate/goose migrations
/// (`sections`), and Flyway's `V1__name.sql`, `U1__name.sql`, `R__name.sql` (`flyway`).
///
/// ```swift
/// let loaded = try MigrationDirectory(path: "migrations").load()
/// print(loaded.layout ?? "empty")            // dir
/// for migration in loaded.migrations {
///     print(migration.id, migration.description)  // 001 initial schema
/// }
/// loaded.warnings.forEach { print("warning: \($0)") }
/// ```
///
/// Loading is strict: a directory that mixes layouts, names that look like migrations but break
/// the layout's rule, two migrations with one version, a down script without its up script, a
/// script that is not UTF-8, a malformed `metadata.yaml`, or a symbolic link that leads outside
/// the directory are errors (exit 2). Files that are not migrations (`README.md`, `.gitkeep`,
/// `*.sha256`, `schema.sql`, `strata.sum`, …) are ignored and listed in
/// ``LoadedMigrations/warnings``.
public struct MigrationDirectory: Sendable, Hashable {
    /// The directory as the user gave it, for example `"migrations"`; every path in the loaded
    /// migrations and in errors starts with it (`migrations/001_add_email.sql`).
    public var path: String

    /// A directory at `path` (relative to the working directory, or absolute).
    public init(path: String) {
        self.path = path
    }

    /// Whether the directory exists.
    public var exists: Bool {
        SourceFileSystem.type(of: path) == .directory
    }

    /// `path/name`, as Strata shows paths inside the directory.
    ///
    /// ```swift
    /// MigrationDirectory(path: "db/migrations/").displayPath(of: "001_x.sql") // "db/migrations/001_x.sql"
    /// ```
    public func displayPath(of relativePath: String) -> String {
        SourceFileSystem.join(path, relativePath)
    }

    /// Reads every migration in the directory.
    ///
    /// - Returns: The detected layout, the migrations sorted by version (repeatable ones last, by
    ///   name), and warnings about ignored files.
    /// - Throws: ``StrataError`` with code ``StrataError/Code/invalidSource`` (missing directory,
    ///   mixed layouts, bad names, down without up), ``StrataError/Code/duplicateVersion``,
    ///   ``StrataError/Code/invalidFile`` (not UTF-8, a directory where a file belongs, a link
    ///   outside the directory, malformed sections or directives) or
    ///   ``StrataError/Code/invalidMetadata`` (bad `metadata.yaml`).
    public func load() throws(StrataError) -> LoadedMigrations {
        try DirectoryLoader(directory: self).load()
    }
}

/// The result of ``MigrationDirectory/load()``.
public struct LoadedMigrations: Sendable, Hashable {
    /// The detected layout; `nil` for a directory without migrations.
    public var layout: MigrationLayout?
    /// For the `sections` layout: whether the files use dbmate's or goose's annotations.
    public var sectionFlavor: SectionParser.Flavor?
    /// The migrations, sorted by version; repeatable migrations (no version) come last, by name.
    public var migrations: [Migration]
    /// Things the user should know that do not stop loading, such as ignored files, one per line.
    public var warnings: [String]
    /// The paths of the entries that were ignored because they are not migrations.
    public var ignored: [String]

    /// Creates a result.
    public init(layout: MigrationLayout?, sectionFlavor: SectionParser.Flavor? = nil, migrations: [Migration],
                warnings: [String] = [], ignored: [String] = []) {
        self.layout = layout
        self.sectionFlavor = sectionFlavor
        self.migrations = migrations
        self.warnings = warnings
        self.ignored = ignored
    }

    /// The versioned migrations (everything but repeatable ones), in order.
    public var versioned: [Migration] { migrations.filter { $0.version != nil } }

    /// The newest version, or `nil` when there are no versioned migrations.
    public var latestVersion: MigrationVersion? { migrations.compactMap(\.version).max() }
}
