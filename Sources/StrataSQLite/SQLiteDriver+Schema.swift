import Foundation
import GRDB
import GRDBSQLite
import Strata

extension SQLiteDriver {
    /// The schema from `sqlite_master` and the `pragma_table_xinfo`, `pragma_index_list`,
    /// `pragma_index_xinfo` and `pragma_foreign_key_list` functions, without SQLite's internal
    /// objects, virtual tables' shadow tables and Strata's history tables. Reads only.
    public func schemaSnapshot() async throws -> SchemaSnapshot {
        let objects = try await schemaObjects()
        return try await reading { db in
            let connection = try Self.connection(db)
            let shadow = try Self.shadowTables(connection)
            var tables: [SchemaSnapshot.Table] = []
            var indexes: [SchemaSnapshot.Index] = []
            var views: [SchemaSnapshot.Object] = []
            var triggers: [SchemaSnapshot.Object] = []
            for object in objects {
                guard let sql = object.sql else { continue }
                switch object.type {
                case "table":
                    if shadow.contains(object.name) { continue }
                    tables.append(try Self.table(object.name, sql: sql, connection))
                case "index":
                    indexes.append(try Self.index(object, sql: sql, connection))
                case "view":
                    views.append(SchemaSnapshot.Object(kind: "view", name: object.name, definition: sql))
                case "trigger":
                    triggers.append(SchemaSnapshot.Object(kind: "trigger", name: object.name, table: object.tableName, definition: sql))
                default:
                    continue
                }
            }
            return SchemaSnapshot(engine: .sqlite, tables: tables, indexes: indexes, views: views, triggers: triggers)
        }
    }

    /// Copies this database (``backup(to:)``) or creates an empty one in a new temporary
    /// directory, opened with the same history table names; discarding it deletes the directory.
    public func makeScratchDatabase(copyingContents: Bool) async throws -> ScratchDatabase {
        let directory = try Self.scratchDirectory()
        let path = directory.appendingPathComponent("scratch.db").path
        do {
            if copyingContents { try await backup(to: path) }
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return try Self.scratch(at: path, directory: directory, historyTable: historyTable, logTable: logTable,
                                busyTimeout: busyTimeout, copied: copyingContents)
    }

    /// An empty scratch database in a new temporary directory, for when there is no database to copy.
    public static func emptyScratchDatabase(historyTable: String = StrataInfo.defaultHistoryTable,
                                            logTable: String = StrataInfo.defaultLogTable) throws -> ScratchDatabase {
        let directory = try scratchDirectory()
        return try scratch(at: directory.appendingPathComponent("scratch.db").path, directory: directory,
                           historyTable: historyTable, logTable: logTable, busyTimeout: 5, copied: false)
    }

    private static func scratchDirectory() throws(StrataError) -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-scratch-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StrataError(.database, "cannot create a scratch directory in \(FileManager.default.temporaryDirectory.path): \(error.localizedDescription)",
                              hint: "set TMPDIR to a writable directory")
        }
        return directory
    }

    private static func scratch(at path: String, directory: URL, historyTable: String, logTable: String,
                                busyTimeout: TimeInterval, copied: Bool) throws -> ScratchDatabase {
        let driver: SQLiteDriver
        do {
            driver = try open(path: path, historyTable: historyTable, logTable: logTable, createIfMissing: true,
                              busyTimeout: busyTimeout)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return ScratchDatabase(driver: driver, location: path, copiedContents: copied) {
            await driver.close()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    // MARK: Introspection

    /// Names of virtual tables' shadow tables (`pragma_table_list`, SQLite 3.37+; none before).
    private static func shadowTables(_ connection: OpaquePointer) throws(StrataError) -> Set<String> {
        var names = Set<String>()
        do {
            try RawQuery.run(connection, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'") {
                (row: RawQuery.Row) throws(StrataError) in
                if let name = row.text(0) { names.insert(name) }
            }
        } catch {
            return []
        }
        return names
    }

    private static func table(_ name: String, sql: String, _ connection: OpaquePointer) throws(StrataError) -> SchemaSnapshot.Table {
        let definition = SQLiteTableDefinition(sql)
        var columns: [SchemaSnapshot.Column] = []
        var primaryKey: [(position: Int, name: String)] = []
        try RawQuery.run(connection, "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid", [name]) {
            (row: RawQuery.Row) throws(StrataError) in
            let column = row.text(0) ?? ""
            let hidden = row.int(5) ?? 0
            if hidden == 1 { return }
            columns.append(SchemaSnapshot.Column(
                name: column, type: (row.text(1) ?? "").uppercased(), notNull: row.int(2) == 1, defaultValue: row.text(3),
                collation: definition.collations[column.lowercased()],
                generated: hidden == 2 ? "VIRTUAL" : hidden == 3 ? "STORED" : nil))
            if let position = row.int(4), position > 0 { primaryKey.append((position, column)) }
        }
        var constraints = definition.checks
        if !primaryKey.isEmpty {
            constraints.append("PRIMARY KEY (\(primaryKey.sorted { $0.position < $1.position }.map(\.name).joined(separator: ", ")))")
        }
        constraints += try foreignKeys(name, connection)
        var uniqueIndexes: [String] = []
        try RawQuery.run(connection, "SELECT name FROM pragma_index_list(?) WHERE origin = 'u'", [name]) {
            (row: RawQuery.Row) throws(StrataError) in
            if let index = row.text(0) { uniqueIndexes.append(index) }
        }
        for index in uniqueIndexes {
            constraints.append("UNIQUE (\(try indexColumns(index, sql: nil, connection).joined(separator: ", ")))")
        }
        var options = definition.options
        if definition.autoincrement { options.append("AUTOINCREMENT") }
        return SchemaSnapshot.Table(name: name, columns: columns, constraints: constraints, options: options, definition: sql)
    }

    private static func foreignKeys(_ table: String, _ connection: OpaquePointer) throws(StrataError) -> [String] {
        struct Key { var parent = "", from: [String] = [], to: [String] = [], onUpdate = "", onDelete = "", match = "" }
        var keys: [Int: Key] = [:]
        try RawQuery.run(connection, "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [table]) {
            (row: RawQuery.Row) throws(StrataError) in
            let id = row.int(0) ?? 0
            var key = keys[id] ?? Key()
            key.parent = row.text(1) ?? ""
            key.from.append(row.text(2) ?? "")
            if let to = row.text(3) { key.to.append(to) }
            key.onUpdate = row.text(4) ?? ""
            key.onDelete = row.text(5) ?? ""
            key.match = row.text(6) ?? ""
            keys[id] = key
        }
        return keys.values.map { key in
            var text = "FOREIGN KEY (\(key.from.joined(separator: ", "))) REFERENCES \(key.parent)"
            if !key.to.isEmpty { text += " (\(key.to.joined(separator: ", ")))" }
            if key.onUpdate != "NO ACTION", !key.onUpdate.isEmpty { text += " ON UPDATE \(key.onUpdate)" }
            if key.onDelete != "NO ACTION", !key.onDelete.isEmpty { text += " ON DELETE \(key.onDelete)" }
            if key.match != "NONE", !key.match.isEmpty { text += " MATCH \(key.match)" }
            return text
        }
    }

    private static func index(_ object: SQLiteSchemaObject, sql: String, _ connection: OpaquePointer) throws(StrataError) -> SchemaSnapshot.Index {
        var unique = false
        try RawQuery.run(connection, "SELECT \"unique\" FROM pragma_index_list(?) WHERE name = ?", [object.tableName, object.name]) {
            (row: RawQuery.Row) throws(StrataError) in
            unique = row.int(0) == 1
        }
        let shape = SQLiteIndexDefinition(sql)
        return SchemaSnapshot.Index(name: object.name, table: object.tableName, unique: unique,
                                    columns: try indexColumns(object.name, sql: shape, connection),
                                    predicate: shape.predicate, definition: sql)
    }

    /// The key columns of an index: names with `DESC` and non-default `COLLATE`; expressions as
    /// written in the index's SQL (normalised).
    private static func indexColumns(_ index: String, sql: SQLiteIndexDefinition?, _ connection: OpaquePointer) throws(StrataError) -> [String] {
        var columns: [String] = []
        try RawQuery.run(connection, "SELECT seqno, cid, name, \"desc\", coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", [index]) {
            (row: RawQuery.Row) throws(StrataError) in
            let seqno = row.int(0) ?? 0
            if row.int(1) == -2 {
                columns.append(sql.flatMap { seqno < $0.columns.count ? $0.columns[seqno] : nil } ?? "(expression)")
                return
            }
            var text = row.text(2) ?? ""
            if let coll = row.text(4), coll.uppercased() != "BINARY" { text += " COLLATE \(coll.uppercased())" }
            if row.int(3) == 1 { text += " DESC" }
            columns.append(text)
        }
        return columns
    }
}

extension SQLiteDriver {
    /// The version of the SQLite library Strata is linked with, for example `3.40.1`.
    public static var linkedLibraryVersion: String { String(cString: sqlite3_libversion()) }
}
