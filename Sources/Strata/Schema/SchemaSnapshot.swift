/// A normalised model of a database schema: tables (columns, constraints, options), indexes,
/// views, triggers, and any other engine objects, each with the SQL that creates it.
///
/// Drivers build snapshots (``DatabaseDriver/schemaSnapshot()``); ``SchemaComparison`` compares
/// two of them object by object; ``rendering`` is a deterministic text form; ``SchemaDump``
/// writes the creating SQL in a stable order. Every list is sorted by name, and names are kept as
/// the database stores them.
///
/// ```swift
/// let before = try await driver.schemaSnapshot()
/// // … run a migration and its down script …
/// let after = try await driver.schemaSnapshot()
/// for difference in SchemaComparison.differences(from: before, to: after) { print(difference) }
/// ```
public struct SchemaSnapshot: Sendable, Hashable {
    /// One column of a table.
    public struct Column: Sendable, Hashable {
        /// The column name.
        public var name: String
        /// The declared type, uppercased (empty when none was declared).
        public var type: String
        /// Whether `NOT NULL` applies.
        public var notNull: Bool
        /// The default expression as the database stores it, if any.
        public var defaultValue: String?
        /// The collation when it is not the default one.
        public var collation: String?
        /// `VIRTUAL` or `STORED` for a generated column.
        public var generated: String?

        /// Creates a column.
        public init(name: String, type: String, notNull: Bool, defaultValue: String? = nil, collation: String? = nil,
                    generated: String? = nil) {
            self.name = name
            self.type = type
            self.notNull = notNull
            self.defaultValue = defaultValue
            self.collation = collation
            self.generated = generated
        }

        /// `TEXT NOT NULL DEFAULT 'x' COLLATE NOCASE`: everything but the name.
        public var specification: String {
            var parts = [type.isEmpty ? "(no type)" : type]
            if notNull { parts.append("NOT NULL") }
            if let defaultValue { parts.append("DEFAULT \(defaultValue)") }
            if let collation { parts.append("COLLATE \(collation)") }
            if let generated { parts.append("GENERATED \(generated)") }
            return parts.joined(separator: " ")
        }
    }

    /// A table.
    public struct Table: Sendable, Hashable {
        /// The table name.
        public var name: String
        /// The columns, in table order.
        public var columns: [Column]
        /// Table constraints as normalised SQL, sorted: `PRIMARY KEY (id)`, `UNIQUE (email)`,
        /// `FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`, `CHECK (…)`.
        public var constraints: [String]
        /// Table options, sorted: `WITHOUT ROWID`, `STRICT`, `AUTOINCREMENT`, `UNLOGGED`…
        public var options: [String]
        /// The SQL that creates the table (for dumps).
        public var definition: String
        /// SQL that can only run once every table exists (PostgreSQL foreign keys, sequence
        /// ownership): a dump writes it after all the tables.
        public var deferredDefinition: String?

        /// Creates a table; constraints and options are sorted.
        public init(name: String, columns: [Column], constraints: [String] = [], options: [String] = [], definition: String,
                    deferredDefinition: String? = nil) {
            self.name = name
            self.columns = columns
            self.constraints = constraints.sorted()
            self.options = options.sorted()
            self.definition = definition
            self.deferredDefinition = deferredDefinition
        }
    }

    /// An index created explicitly (indexes a database makes for constraints are part of the
    /// table's constraints instead).
    public struct Index: Sendable, Hashable {
        /// The index name.
        public var name: String
        /// The table it indexes.
        public var table: String
        /// Whether it is unique.
        public var unique: Bool
        /// The key columns or expressions, with `DESC` / `COLLATE` where not the default.
        public var columns: [String]
        /// The normalised `WHERE` predicate of a partial index.
        public var predicate: String?
        /// The access method when it is not the engine's default (PostgreSQL `gin`, `gist`…).
        public var method: String?
        /// The SQL that creates the index.
        public var definition: String

        /// Creates an index.
        public init(name: String, table: String, unique: Bool, columns: [String], predicate: String? = nil,
                    method: String? = nil, definition: String) {
            self.name = name
            self.table = table
            self.unique = unique
            self.columns = columns
            self.predicate = predicate
            self.method = method
            self.definition = definition
        }

        /// `UNIQUE ON users USING gin (email) WHERE …`: everything but the name.
        public var specification: String {
            let using = method.map { " USING \($0)" } ?? ""
            var text = "\(unique ? "UNIQUE " : "")ON \(table)\(using) (\(columns.joined(separator: ", ")))"
            if let predicate { text += " WHERE \(predicate)" }
            return text
        }
    }

    /// A view, trigger or any other object compared by its normalised definition.
    public struct Object: Sendable, Hashable {
        /// `view`, `trigger`, or an engine's own kind (`sequence`, `function`, `type`…).
        public var kind: String
        /// The object's name.
        public var name: String
        /// The table it belongs to, for a trigger.
        public var table: String?
        /// The SQL that creates it.
        public var definition: String
        /// The definition normalised for comparison (see ``SQLText/normalized(_:dialect:)``).
        public var normalizedDefinition: String

        /// Creates an object; the normalised definition is computed unless given.
        public init(kind: String, name: String, table: String? = nil, definition: String, normalizedDefinition: String? = nil) {
            self.kind = kind
            self.name = name
            self.table = table
            self.definition = definition
            self.normalizedDefinition = normalizedDefinition ?? SQLText.normalized(definition)
        }
    }

    /// The engine the snapshot was taken from.
    public var engine: DatabaseEngine
    /// Tables, by name.
    public var tables: [Table]
    /// Explicit indexes, by name.
    public var indexes: [Index]
    /// Views, by name.
    public var views: [Object]
    /// Triggers, by name.
    public var triggers: [Object]
    /// Other objects (PostgreSQL sequences, functions, types…), in the order a dump creates them.
    public var others: [Object]

    /// Creates a snapshot; tables, indexes, views and triggers are sorted by name.
    public init(engine: DatabaseEngine, tables: [Table] = [], indexes: [Index] = [], views: [Object] = [],
                triggers: [Object] = [], others: [Object] = []) {
        self.engine = engine
        self.tables = tables.sorted { $0.name < $1.name }
        self.indexes = indexes.sorted { $0.name < $1.name }
        self.views = views.sorted { $0.name < $1.name }
        self.triggers = triggers.sorted { $0.name < $1.name }
        self.others = others
    }

    /// Whether the schema has no objects at all.
    public var isEmpty: Bool {
        tables.isEmpty && indexes.isEmpty && views.isEmpty && triggers.isEmpty && others.isEmpty
    }

    /// A deterministic text form, one object per line (columns and constraints indented under
    /// their table); equal snapshots give equal text.
    ///
    /// ```text
    /// table users
    ///   column id INTEGER NOT NULL
    ///   column email TEXT
    ///   constraint PRIMARY KEY (id)
    /// index users_email UNIQUE ON users (email)
    /// ```
    public var rendering: String {
        var lines: [String] = []
        for object in others { lines.append("\(object.kind) \(object.name): \(object.normalizedDefinition)") }
        for table in tables {
            lines.append("table \(table.name)")
            for column in table.columns { lines.append("  column \(column.name) \(column.specification)") }
            for constraint in table.constraints { lines.append("  constraint \(constraint)") }
            for option in table.options { lines.append("  option \(option)") }
        }
        for index in indexes { lines.append("index \(index.name) \(index.specification)") }
        for view in views { lines.append("view \(view.name): \(view.normalizedDefinition)") }
        for trigger in triggers { lines.append("trigger \(trigger.name) ON \(trigger.table ?? "?"): \(trigger.normalizedDefinition)") }
        return lines.map { $0 + "\n" }.joined()
    }
}
