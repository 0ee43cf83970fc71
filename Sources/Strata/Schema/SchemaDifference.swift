/// One difference between two schema snapshots, by object.
///
/// Reads as `column users.nickname: added (TEXT)` or
/// `index users_email: changed (was UNIQUE ON users (email), now ON users (email))`.
public struct SchemaDifference: Sendable, Hashable, CustomStringConvertible {
    /// The kind of object that differs.
    public enum ObjectKind: String, Sendable, Hashable {
        case table, column, index, trigger, view, constraint, option
        /// Another engine object (PostgreSQL sequence, function, type…).
        case other
    }

    /// How the object changed from the first snapshot to the second.
    public enum Change: String, Sendable, Hashable {
        /// Only in the second snapshot.
        case added
        /// Only in the first snapshot.
        case removed
        /// In both, with different definitions.
        case changed
    }

    /// The kind of object.
    public var kind: ObjectKind
    /// Its name; `table.column` for columns, `table: CONSTRAINT` for constraints and options.
    public var name: String
    /// How it changed.
    public var change: Change
    /// Its definition in the first snapshot, if there.
    public var before: String?
    /// Its definition in the second snapshot, if there.
    public var after: String?

    /// Creates a difference.
    public init(kind: ObjectKind, name: String, change: Change, before: String? = nil, after: String? = nil) {
        self.kind = kind
        self.name = name
        self.change = change
        self.before = before
        self.after = after
    }

    public var description: String {
        switch change {
        case .added: "\(kind.rawValue) \(name): added" + (after.map { " (\($0))" } ?? "")
        case .removed: "\(kind.rawValue) \(name): removed" + (before.map { " (was \($0))" } ?? "")
        case .changed: "\(kind.rawValue) \(name): changed (was \(before ?? "?"), now \(after ?? "?"))"
        }
    }
}
