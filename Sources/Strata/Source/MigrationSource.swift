/// Where migrations come from: anything that can list them. ``Migrator/add(_:)`` merges the
/// migrations of every source it is given, ordered by version.
///
/// Strata provides ``MigrationDirectory`` (a directory on disk, any layout) and
/// ``BundledMigrations`` (a folder of resources shipped inside the app). Migrations written in code
/// are registered on the ``Migrator`` directly. To load migrations from elsewhere (a database, a
/// generated list), conform a type and build ``Migration`` values:
///
/// ```swift
/// struct GeneratedMigrations: MigrationSource {
///     func load() throws(StrataError) -> LoadedMigrations {
///         let up = MigrationScript(path: "generated/001", sql: "CREATE TABLE t (id INTEGER);")
///         let m = Migration(version: MigrationVersion("001"), name: "create_t", description: "create t",
///                           layout: .code, sourcePath: "generated/001", up: up)
///         return LoadedMigrations(layout: .code, migrations: [m])
///     }
/// }
/// ```
public protocol MigrationSource: Sendable {
    /// Reads the migrations, ordered by version, with distinct versions.
    /// - Throws: ``StrataError`` (exit 2) when the migrations cannot be read or are malformed.
    func load() throws(StrataError) -> LoadedMigrations
}

extension MigrationDirectory: MigrationSource {}
