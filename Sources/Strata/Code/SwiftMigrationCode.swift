/// The Swift closures of a migration registered in code (``MigrationKind/swift``).
///
/// Created by ``Migrator/registerMigration(_:_:revision:description:file:line:up:down:)``; the
/// ``Migrator`` hands ``up`` (or ``down``) to the driver, which runs it inside the migration's
/// transaction with a ``MigrationDatabase``.
///
/// Closures cannot be compared, so two values are equal when their ``revision`` and the presence
/// of a down closure are equal; the revision is what the history's checksum is made from
/// (see ``checksum(revision:)``).
public struct SwiftMigrationCode: Sendable, Hashable {
    /// The signature of a migration closure.
    public typealias Body = @Sendable (any MigrationDatabase) async throws -> Void

    /// The revision the caller gave: change it whenever the closure's effect changes, as you would
    /// edit a SQL file, and an applied migration shows as `changed` (exit 3 before `migrate`).
    public let revision: String
    /// Applies the migration.
    public let up: Body
    /// Rolls it back, when it can be rolled back.
    public let down: Body?

    /// Creates the code of a migration.
    public init(revision: String, up: @escaping Body, down: Body? = nil) {
        self.revision = revision
        self.up = up
        self.down = down
    }

    /// The checksum stored in the history for a Swift migration: the SHA-256 (hex) of
    /// `swift-migration-revision:` followed by the revision, so it looks like every other checksum
    /// and changes exactly when the revision does.
    ///
    /// ```swift
    /// SwiftMigrationCode.checksum(revision: "1") // "3b0c…" (64 hex digits)
    /// ```
    public static func checksum(revision: String) -> String {
        Checksum.sha256Hex(ofScript: "swift-migration-revision:" + revision)
    }

    /// Equal when the revisions are and both or neither have a down closure.
    public static func == (lhs: SwiftMigrationCode, rhs: SwiftMigrationCode) -> Bool {
        lhs.revision == rhs.revision && (lhs.down == nil) == (rhs.down == nil)
    }

    /// Hashes what ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(revision)
        hasher.combine(down == nil)
    }
}
