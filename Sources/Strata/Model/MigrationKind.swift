/// What kind of migration a history row describes; stored in the `type` column.
public enum MigrationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A versioned SQL migration.
    case sql
    /// A migration written as a Swift closure and registered in code.
    case swift
    /// A Flyway-style repeatable migration (`R__name.sql`), re-applied whenever it changes.
    case repeatable
    /// A row written by `strata baseline`: marked applied without running anything.
    case baseline
}
