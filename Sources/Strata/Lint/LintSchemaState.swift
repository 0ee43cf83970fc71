/// What the linter knows about the schema from the migrations it has read so far: which tables
/// count as new (created in the current scope, so they hold no rows and nobody else uses them yet)
/// and which tables reference which.
struct LintSchemaState: Sendable {
    /// One foreign-key reference from a child table.
    struct Reference: Sendable, Hashable {
        var child: String
        var onDeleteCascade: Bool
    }

    /// Tables created in the current scope (lowercased names).
    var newTables: Set<String> = []
    /// Child references by parent table (lowercased names).
    var references: [String: Set<Reference>] = [:]

    /// Whether `table` existed before the current scope (and may hold rows).
    func isExisting(_ table: String) -> Bool { !newTables.contains(table) }

    /// Records `CREATE TABLE child (… REFERENCES parent …)`.
    mutating func created(_ table: String, references parents: [(parent: String, cascade: Bool)]) {
        newTables.insert(table)
        for (parent, cascade) in parents where parent != table {
            references[parent, default: []].insert(Reference(child: table, onDeleteCascade: cascade))
        }
    }

    /// Records `DROP TABLE table`: it is gone, and so are its references to parents.
    mutating func dropped(_ table: String) {
        newTables.remove(table)
        for parent in references.keys {
            references[parent] = references[parent]?.filter { $0.child != table }
        }
    }

    /// Records `ALTER TABLE old RENAME TO new`.
    mutating func renamed(_ old: String, to new: String) {
        if newTables.remove(old) != nil { newTables.insert(new) }
        for parent in references.keys {
            references[parent] = Set(references[parent]!.map { $0.child == old ? Reference(child: new, onDeleteCascade: $0.onDeleteCascade) : $0 })
        }
    }

    /// The tables that reference `table`, other than itself.
    func children(of table: String) -> [Reference] {
        (references[table] ?? []).sorted { $0.child < $1.child }
    }
}
