/// What a user asked the migrator to do; the ``Planner`` turns it into a ``Plan``.
public enum MigrationRequest: Sendable, Hashable {
    /// How far `down` goes.
    public enum DownExtent: Sendable, Hashable {
        /// The newest `n` applied migrations.
        case steps(Int)
        /// Everything newer than this version (the version itself stays applied).
        case target(MigrationVersion)
        /// Every applied migration.
        case all
    }

    /// Apply pending migrations in order, up to and including `target` when given.
    case up(target: MigrationVersion?, allowOutOfOrder: Bool)
    /// Roll back, newest first.
    case down(DownExtent)
    /// Go up or down to exactly this version.
    case to(MigrationVersion)
    /// Roll back the newest migration and apply it again.
    case redo
    /// Roll back one migration named by version or name; with `force` even when newer ones are applied.
    case rollback(String, force: Bool)

    /// Whether the request applies migrations (as opposed to only rolling back).
    public var isUpward: Bool {
        if case .up = self { return true }
        return false
    }
}
