/// The file layout a migrations directory uses (SPEC §2). Strata detects it from the names.
public enum MigrationLayout: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `V001__add_user_settings/up.sql` + `down.sql` (+ `metadata.yaml`, `verify.sql`); also
    /// diesel's `2018-01-14-171611_create_tables/up.sql`.
    case dir
    /// `001_add_email.sql` + `001_add_email.down.sql` (+ `.verify.sql`); may stand beside `updown`.
    case flat
    /// `20241227_143000_add_user_preferences.sql` + `…_rollback.sql` (seed 004).
    case timestamp
    /// `1_add_email.up.sql` + `1_add_email.down.sql` (golang-migrate, sqlx).
    case updown
    /// One file with `-- migrate:up`/`-- migrate:down` (dbmate) or `-- +goose Up`/`Down` sections.
    case sections
    /// `V1_2__add_email.sql`, `U1_2__add_email.sql`, `R__refresh_views.sql` (Flyway).
    case flyway
    /// Not a directory layout: registered in code with ``Migrator/registerMigration(_:_:description:sql:down:file:line:)``
    /// or ``Migrator/registerMigration(_:_:revision:description:file:line:up:down:)``.
    case code

    /// The layout's name, for example `dir`.
    public var description: String { rawValue }
}
