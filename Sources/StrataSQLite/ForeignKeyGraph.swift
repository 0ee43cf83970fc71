import Strata

/// Which tables of the main schema have foreign keys, and to which parent tables: what the
/// per-migration foreign-key check needs to pick the tables to check.
///
/// Reading it means scanning every table's SQL, which costs in proportion to the schema (1,000
/// migrations' tables made that scan a tenth of a run's time). So the driver keeps the graph
/// between migrations and, after a migration, only reads the foreign keys of the tables it
/// touched. The graph is kept only while it is known to match the schema:
/// - it remembers the `PRAGMA schema_version` it matches, and is thrown away when another
///   connection (or anything the driver did not follow) changed the schema;
/// - it is read again in full after a migration that renamed a table (a renamed table's new name
///   is not among the touched ones, and renaming rewrites the references to it) or that wrote to
///   `sqlite_master` itself.
struct ForeignKeyGraph {
    /// A table with foreign keys: its name as written in the schema, and its parents, lowercased.
    struct Child {
        var name: String
        var parents: Set<String>
    }

    /// Child tables in `sqlite_master` order (new ones last).
    private(set) var children: [Child] = []
    /// Index in ``children`` by lowercased name.
    private var index: [String: Int] = [:]
    /// The `schema_version` the graph matches; `nil` until the transaction that built it commits.
    var schemaVersion: Int64?

    /// Reads every foreign key of the main schema.
    static func load(_ connection: OpaquePointer) throws(StrataError) -> ForeignKeyGraph {
        // A foreign key needs the REFERENCES keyword, so the LIKE filter only spares the pragma
        // for tables that cannot have one.
        let query = """
            SELECT m.name, f."table" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f
            WHERE m.type = 'table' AND m.sql LIKE '%references%'
            """
        var graph = ForeignKeyGraph()
        try RawQuery.run(connection, query) { (row: RawQuery.Row) throws(StrataError) in
            guard let child = row.text(0) else { return }
            graph.add(child, parent: row.text(1))
        }
        return graph
    }

    private mutating func add(_ child: String, parent: String?) {
        let key = child.lowercased()
        let position: Int
        if let existing = index[key] {
            position = existing
        } else {
            position = children.count
            children.append(Child(name: child, parents: []))
            index[key] = position
        }
        if let parent { children[position].parents.insert(parent.lowercased()) }
    }

    /// Brings the graph up to date after a script that touched `touched`: reads the foreign keys of
    /// each touched table again (a dropped table has none). Returns `false` when that is not
    /// enough (a table was renamed, or the schema table was written) and the graph must be read
    /// in full.
    mutating func update(_ connection: OpaquePointer, touched: TouchedTables) throws(StrataError) -> Bool {
        if touched.schemaEdited { return false }
        for table in touched.altered where try !Self.exists(connection, table) {
            return false  // altered and gone: renamed
        }
        for table in touched.names {
            remove(table)
            // Names are lowercased here; the check looks tables up case-insensitively.
            try RawQuery.run(connection, "SELECT \"table\" FROM pragma_foreign_key_list(?, 'main')", [table]) {
                (row: RawQuery.Row) throws(StrataError) in
                add(table, parent: row.text(0))
            }
        }
        return true
    }

    private mutating func remove(_ table: String) {
        guard let position = index.removeValue(forKey: table.lowercased()) else { return }
        children.remove(at: position)
        for i in position..<children.count { index[children[i].name.lowercased()] = i }
    }

    /// The tables whose foreign keys a script that touched `touched` may have broken: every child
    /// table that is itself touched or refers to a touched table.
    func tablesToCheck(touched: TouchedTables) -> [String] {
        children.filter { child in
            touched.contains(child.name) || child.parents.contains { touched.names.contains($0) }
        }.map(\.name)
    }

    /// Whether a table of that name exists in the main schema.
    static func exists(_ connection: OpaquePointer, _ table: String) throws(StrataError) -> Bool {
        var found = false
        try RawQuery.run(connection, "SELECT 1 FROM pragma_table_info(?, 'main') LIMIT 1", [table]) {
            (_: RawQuery.Row) throws(StrataError) in found = true
        }
        return found
    }

    /// The connection's `PRAGMA schema_version`.
    static func schemaVersion(_ connection: OpaquePointer) throws(StrataError) -> Int64 {
        var version: Int64 = 0
        try RawQuery.run(connection, "PRAGMA schema_version") { (row: RawQuery.Row) throws(StrataError) in
            version = row.int64(0) ?? 0
        }
        return version
    }
}
