import Foundation

/// The text of `strata dump`: the schema's SQL in a stable order, then one comment line per
/// applied migration, so `strata load` can build a new database that is up to date.
///
/// ```sql
/// -- Strata schema dump (sqlite). Load it into an empty database with `strata load <file>`.
///
/// CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
///
/// CREATE UNIQUE INDEX users_email ON users (email);
///
/// -- strata:applied {"version":"001","description":"create users","type":"sql",…}
/// ```
///
/// Order: other engine objects as given, tables, what tables defer (PostgreSQL foreign keys),
/// indexes, views (a view after the views it reads; on PostgreSQL views before indexes, which may
/// be on materialized views), triggers; each group by name. No timestamps or host names, so the same database always
/// gives the same bytes.
public enum SchemaDump {
    /// The comment that marks a history line.
    static let appliedPrefix = "-- strata:applied "

    /// The first statement of a PostgreSQL dump: function bodies are not checked while loading
    /// (they may read tables created after them), as `pg_dump` does.
    static let postgresPreamble = "SET LOCAL check_function_bodies = false;"

    /// One applied migration as stored in a dump.
    public struct Entry: Sendable, Hashable, Codable {
        /// The version (the history row key).
        public var version: String
        /// The description.
        public var description: String
        /// The kind of migration.
        public var type: MigrationKind
        /// The script path at apply time.
        public var script: String
        /// The checksum of the up script.
        public var checksum: String?
        /// The down script stored at apply time.
        public var downSQL: String?
        /// The metadata JSON.
        public var metadata: String?
        /// `applied` or `baselined`.
        public var status: HistoryStatus

        enum CodingKeys: String, CodingKey {
            case version, description, type, script, checksum, status, metadata
            case downSQL = "down_sql"
        }

        /// The entry of a history row.
        public init(_ record: HistoryRecord) {
            version = record.version
            description = record.description
            type = record.kind
            script = record.script
            checksum = record.checksum
            downSQL = record.downSQL
            metadata = record.metadata
            status = record.status
        }

        /// A history row for this entry, applied now by `identity`.
        public func record(appliedAt: String, identity: RunIdentity) -> HistoryRecord {
            HistoryRecord(version: version, description: description, kind: type, script: script, checksum: checksum,
                          downSQL: downSQL, appliedBy: identity.user, hostname: identity.hostname, appliedAt: appliedAt,
                          executionTimeMs: 0, status: status, metadata: metadata)
        }

        /// The entry as one line of JSON with a fixed key order.
        var json: String {
            let fields: [(String, String?)] = [
                ("version", version), ("description", description), ("type", type.rawValue), ("script", script),
                ("checksum", checksum), ("status", status.rawValue), ("metadata", metadata), ("down_sql", downSQL),
            ]
            return "{" + fields.map { "\(JSONText.quote($0.0)):\($0.1.map(JSONText.quote) ?? "null")" }.joined(separator: ",") + "}"
        }
    }

    /// The dump of `snapshot` with the history rows in effect (applied or baselined).
    public static func render(_ snapshot: SchemaSnapshot, history: [HistoryRecord]) -> String {
        var out = "-- Strata schema dump (\(snapshot.engine.rawValue)). Load it into an empty database with `strata load <file>`;\n"
        out += "-- compare a database with it using `strata diff --against <file>`. Generated; do not edit.\n"
        let tables = snapshot.tables.map(\.definition) + snapshot.tables.compactMap(\.deferredDefinition)
        let views = orderedViews(snapshot.views).map(\.definition), indexes = snapshot.indexes.map(\.definition)
        var definitions = snapshot.others.map(\.definition) + tables
        switch snapshot.engine {
        case .postgres:
            // Functions come before the tables they may read; a materialized view before its indexes.
            if !snapshot.isEmpty { out += "\n" + postgresPreamble + "\n" }
            definitions += views + indexes
        default:
            definitions += indexes + views
        }
        definitions += snapshot.triggers.map(\.definition)
        for definition in definitions {
            out += "\n" + statement(definition) + "\n"
        }
        let applied = history.filter(\.isInEffect).sorted(by: historyOrder)
        if !applied.isEmpty {
            out += "\n-- Applied migrations (\(applied.count)), read by `strata load`:\n"
            for record in applied { out += appliedPrefix + Entry(record).json + "\n" }
        }
        return out
    }

    /// Reads the history entries of a dump.
    /// - Throws: ``StrataError/Code/invalidFile`` with the line of a malformed entry.
    public static func entries(in text: String, path: String) throws(StrataError) -> [Entry] {
        var result: [Entry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.hasPrefix(appliedPrefix) {
            let json = line.dropFirst(appliedPrefix.count)
            do {
                result.append(try JSONDecoder().decode(Entry.self, from: Data(json.utf8)))
            } catch {
                throw StrataError(.invalidFile, "malformed history line in \(path)",
                                  location: SourceLocation(file: path, line: index + 1, column: 1),
                                  hint: "regenerate the file with `strata dump`")
            }
        }
        return result
    }

    /// `definition` trimmed, ending with `;`.
    private static func statement(_ definition: String) -> String {
        var text = definition.trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.hasSuffix(";") { text += ";" }
        return text
    }

    /// Versioned rows by version, then repeatable ones by key.
    static func historyOrder(_ a: HistoryRecord, _ b: HistoryRecord) -> Bool {
        switch (a.parsedVersion, b.parsedVersion) {
        case let (x?, y?): return x < y || (x == y && a.version < b.version)
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.version < b.version
        }
    }

    /// Views by name, each after the views its definition names.
    static func orderedViews(_ views: [SchemaSnapshot.Object]) -> [SchemaSnapshot.Object] {
        var remaining = views.sorted { $0.name < $1.name }
        var emitted = Set<String>()
        var result: [SchemaSnapshot.Object] = []
        let names = Set(views.map { $0.name.lowercased() })
        func dependencies(_ view: SchemaSnapshot.Object) -> Set<String> {
            let words = StatementTokens(view.definition, dialect: .generic).tokens.filter(\.isName).map(\.name)
            return Set(words).intersection(names).subtracting([view.name.lowercased()])
        }
        while !remaining.isEmpty {
            let index = remaining.firstIndex { dependencies($0).isSubset(of: emitted) } ?? 0
            let view = remaining.remove(at: index)
            emitted.insert(view.name.lowercased())
            result.append(view)
        }
        return result
    }
}
