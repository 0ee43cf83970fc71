/// One entry of `sqlite_master`: a table, index, view or trigger.
public struct SQLiteSchemaObject: Sendable, Hashable, CustomStringConvertible {
    /// `table`, `index`, `view` or `trigger`.
    public var type: String
    /// The object's name.
    public var name: String
    /// The table it belongs to (its own name for a table or view).
    public var tableName: String
    /// The `CREATE` statement as stored; `nil` for automatic indexes.
    public var sql: String?

    /// Creates an entry.
    public init(type: String, name: String, tableName: String, sql: String?) {
        self.type = type
        self.name = name
        self.tableName = tableName
        self.sql = sql
    }

    /// `type name` (for example `index idx_users_email`).
    public var description: String { "\(type) \(name)" }
}

/// One row of `PRAGMA foreign_key_check`: a child row whose parent row does not exist.
public struct SQLiteForeignKeyViolation: Sendable, Hashable, CustomStringConvertible {
    /// The child table.
    public var table: String
    /// The child row's rowid; `nil` for a `WITHOUT ROWID` table.
    public var rowid: Int64?
    /// The parent table the row refers to.
    public var parent: String
    /// Which of the child table's foreign keys (0-based, as `PRAGMA foreign_key_list` numbers them).
    public var foreignKeyIndex: Int

    /// Creates a violation.
    public init(table: String, rowid: Int64?, parent: String, foreignKeyIndex: Int) {
        self.table = table
        self.rowid = rowid
        self.parent = parent
        self.foreignKeyIndex = foreignKeyIndex
    }

    /// `orders rowid 3 references customers` (or `… a row without rowid references …`).
    public var description: String {
        if let rowid { return "\(table) rowid \(rowid) references \(parent)" }
        return "\(table) (a row of a WITHOUT ROWID table) references \(parent)"
    }
}
