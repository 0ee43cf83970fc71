/// The contents of a migration's `metadata.yaml` (seed 002), all optional.
///
/// ```yaml
/// version: 5
/// description: "Add user_settings table for preferences"
/// author: "dev@example.com"
/// transaction: false
/// ```
/// Keys Strata does not know are kept in ``extra`` and stored with the rest as JSON in the
/// history's `metadata` column.
public struct MigrationMetadata: Sendable, Hashable {
    /// `version`: the version as the file states it (informative; the name's version counts).
    public var version: String?
    /// `description`: the migration's description, shown in status and stored in the history.
    public var description: String?
    /// `author`: who wrote it.
    public var author: String?
    /// `created`: when it was written, as given.
    public var created: String?
    /// `dependencies`: versions it depends on (informative).
    public var dependencies: [String]
    /// `tags`: free-form labels.
    public var tags: [String]
    /// `estimated_duration_ms`: how long it is expected to take.
    public var estimatedDurationMs: Int?
    /// `reversible`: whether the author considers it reversible.
    public var reversible: Bool?
    /// `notes`: free text.
    public var notes: String?
    /// `transaction: false` runs the migration outside a transaction.
    public var transaction: Bool?
    /// `lock_timeout: 5s`: PostgreSQL `lock_timeout` while the migration runs.
    public var lockTimeout: String?
    /// `statement_timeout: 1min`: PostgreSQL `statement_timeout` while the migration runs.
    public var statementTimeout: String?
    /// Every other key, as JSON text per key (for example `"\"x\""`, `"3"`, `"[1,2]"`).
    public var extra: [String: String]

    /// Empty metadata.
    public init(version: String? = nil, description: String? = nil, author: String? = nil,
                created: String? = nil, dependencies: [String] = [], tags: [String] = [],
                estimatedDurationMs: Int? = nil, reversible: Bool? = nil, notes: String? = nil,
                transaction: Bool? = nil, lockTimeout: String? = nil, statementTimeout: String? = nil,
                extra: [String: String] = [:]) {
        self.version = version
        self.description = description
        self.author = author
        self.created = created
        self.dependencies = dependencies
        self.tags = tags
        self.estimatedDurationMs = estimatedDurationMs
        self.reversible = reversible
        self.notes = notes
        self.transaction = transaction
        self.lockTimeout = lockTimeout
        self.statementTimeout = statementTimeout
        self.extra = extra
    }

    /// Whether nothing at all was given.
    public var isEmpty: Bool { self == MigrationMetadata() }

    /// The metadata as one JSON object with sorted keys, as stored in the history, or `nil` when empty.
    public var json: String? {
        if isEmpty { return nil }
        var fields: [String: String] = extra
        func quote(_ s: String) -> String { JSONText.quote(s) }
        if let version { fields["version"] = quote(version) }
        if let description { fields["description"] = quote(description) }
        if let author { fields["author"] = quote(author) }
        if let created { fields["created"] = quote(created) }
        if !dependencies.isEmpty { fields["dependencies"] = "[" + dependencies.map(quote).joined(separator: ",") + "]" }
        if !tags.isEmpty { fields["tags"] = "[" + tags.map(quote).joined(separator: ",") + "]" }
        if let estimatedDurationMs { fields["estimated_duration_ms"] = String(estimatedDurationMs) }
        if let reversible { fields["reversible"] = reversible ? "true" : "false" }
        if let notes { fields["notes"] = quote(notes) }
        if let transaction { fields["transaction"] = transaction ? "true" : "false" }
        if let lockTimeout { fields["lock_timeout"] = quote(lockTimeout) }
        if let statementTimeout { fields["statement_timeout"] = quote(statementTimeout) }
        return "{" + fields.keys.sorted().map { "\(quote($0)):\(fields[$0]!)" }.joined(separator: ",") + "}"
    }
}
