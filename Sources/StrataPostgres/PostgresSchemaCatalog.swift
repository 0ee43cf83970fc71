import Foundation
import Logging
import PostgresNIO
import Strata

/// Reads one schema's objects from `pg_catalog` into a ``SchemaSnapshot``: the catalog queries
/// and how their rows become tables, indexes, views, triggers and other objects.
///
/// Every query takes the schema name as `$1` and returns text only (names, `format_type`, the
/// `pg_get_*def` functions with pretty printing, so names visible on the search path are not
/// qualified). Objects that belong to an extension, Strata's own history and log tables and the
/// log's trigger function are left out; nothing depends on OIDs, so equal schemas in two
/// databases give equal snapshots. Reads only.
struct PostgresSchemaCatalog {
    /// The schema read.
    let schema: String
    /// Strata's tables and trigger function, left out.
    let historyTable: String
    let logTable: String
    let connection: PostgresConnection
    let logger: Logger

    /// The snapshot, read in the caller's (read-only, repeatable-read) transaction.
    func snapshot() async throws -> SchemaSnapshot {
        let sequences = try await self.sequences()
        let tables = try await self.tables(ownedSequences: sequences.owned)
        let others = try await extensions() + types() + sequences.objects + functions()
        return SchemaSnapshot(engine: .postgres, tables: tables, indexes: try await indexes(), views: try await views(),
                              triggers: try await triggers(), others: others)
    }

    // MARK: Tables

    private func tables(ownedSequences: [String: [String]]) async throws -> [SchemaSnapshot.Table] {
        struct Shape { var quoted = "", persistence = "", options = "", partitionKey: String?, parent: String?, bound: String? }
        var shapes: [(String, Shape)] = []
        for row in try await rows("""
            SELECT c.relname::text, quote_ident(c.relname), c.relpersistence::text,
                   coalesce(array_to_string(c.reloptions, ', '), ''),
                   CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                   (SELECT quote_ident(p.relname) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                    WHERE i.inhrelid = c.oid AND c.relispartition),
                   CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid, true) END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT IN ($2, $3)
              AND \(notExtensionMember("pg_class", "c.oid"))
            ORDER BY c.relname
            """, extra: [historyTable, logTable]) {
            shapes.append((row[0] ?? "", Shape(quoted: row[1] ?? "", persistence: row[2] ?? "p", options: row[3] ?? "",
                                               partitionKey: row[4], parent: row[5], bound: row[6])))
        }
        let columns = try await self.columns()
        let constraints = try await self.constraints()
        return shapes.map { name, shape in
            let tableColumns = columns[name] ?? []
            let tableConstraints = constraints[name] ?? []
            var options: [String] = []
            if shape.persistence == "u" { options.append("UNLOGGED") }
            if !shape.options.isEmpty { options.append("WITH (\(shape.options))") }
            if let key = shape.partitionKey { options.append("PARTITION BY \(key)") }
            if let parent = shape.parent { options.append("PARTITION OF \(parent) \(shape.bound ?? "DEFAULT")") }

            // Inline: columns and the constraints that need no other table; deferred: foreign
            // keys, NOT VALID constraints, sequence ownership.
            let inline = tableConstraints.filter { $0.type != "f" && !$0.definition.hasSuffix("NOT VALID") && $0.local }
            let later = tableConstraints.filter { ($0.type == "f" || $0.definition.hasSuffix("NOT VALID")) && $0.local }
            var body: [String]
            var definition = "CREATE \(shape.persistence == "u" ? "UNLOGGED " : "")TABLE \(shape.quoted)"
            if let parent = shape.parent {
                body = inline.map { "CONSTRAINT \($0.quotedName) \($0.definition)" }
                definition += " PARTITION OF \(parent)"
                if !body.isEmpty { definition += " (\n" + body.map { "    " + $0 }.joined(separator: ",\n") + "\n)" }
                definition += " \(shape.bound ?? "DEFAULT")"
            } else {
                body = tableColumns.map { "\($0.quotedName) \($0.sql)" } + inline.map { "CONSTRAINT \($0.quotedName) \($0.definition)" }
                definition += " (\n" + body.map { "    " + $0 }.joined(separator: ",\n") + "\n)"
            }
            if let key = shape.partitionKey { definition += " PARTITION BY \(key)" }
            if !shape.options.isEmpty { definition += " WITH (\(shape.options))" }
            var deferred = later.map { "ALTER TABLE \(shape.quoted) ADD CONSTRAINT \($0.quotedName) \($0.definition);" }
            deferred += (ownedSequences[name] ?? []).map { $0 + ";" }
            return SchemaSnapshot.Table(
                name: name, columns: tableColumns.map(\.column),
                constraints: tableConstraints.map { "CONSTRAINT \($0.quotedName) \($0.definition)" }, options: options,
                definition: definition, deferredDefinition: deferred.isEmpty ? nil : deferred.joined(separator: "\n"))
        }
    }

    private struct CatalogColumn {
        var column: SchemaSnapshot.Column
        var quotedName: String
        /// Everything after the name in `CREATE TABLE`.
        var sql: String
    }

    /// Columns by table, in table order.
    private func columns() async throws -> [String: [CatalogColumn]] {
        var result: [String: [CatalogColumn]] = [:]
        for row in try await rows("""
            SELECT c.relname::text, a.attname::text, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                   a.attnotnull::text,
                   CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid, true) END,
                   CASE WHEN a.attcollation <> t.typcollation THEN
                       (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname)
                                    ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
                        FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation)
                   END,
                   CASE WHEN a.attidentity = 'a' THEN 'ALWAYS AS IDENTITY'
                        WHEN a.attidentity = 'd' THEN 'BY DEFAULT AS IDENTITY'
                        WHEN a.attgenerated = 's' THEN 'ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid, true) || ') STORED'
                   END
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """) {
            let column = SchemaSnapshot.Column(name: row[1] ?? "", type: row[3] ?? "", notNull: row[4] == "true",
                                               defaultValue: row[5], collation: row[6], generated: row[7])
            var sql = column.type
            if let collation = column.collation { sql += " COLLATE \(collation)" }
            if let generated = column.generated { sql += " GENERATED \(generated)" }
            if let value = column.defaultValue { sql += " DEFAULT \(value)" }
            if column.notNull { sql += " NOT NULL" }
            result[row[0] ?? "", default: []].append(CatalogColumn(column: column, quotedName: row[2] ?? "", sql: sql))
        }
        return result
    }

    private struct CatalogConstraint {
        var quotedName: String
        /// `p`, `u`, `f`, `c`, `x`.
        var type: String
        var definition: String
        /// Defined on this table (not only inherited from a partitioned parent).
        var local: Bool
    }

    /// Table constraints by table (constraint triggers are triggers).
    private func constraints() async throws -> [String: [CatalogConstraint]] {
        var result: [String: [CatalogConstraint]] = [:]
        for row in try await rows("""
            SELECT c.relname::text, quote_ident(con.conname), con.contype::text, pg_get_constraintdef(con.oid, true),
                   con.conislocal::text
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND con.contype IN ('p', 'u', 'f', 'c', 'x')
            ORDER BY c.relname, con.conname
            """) {
            result[row[0] ?? "", default: []].append(CatalogConstraint(quotedName: row[1] ?? "", type: row[2] ?? "",
                                                                         definition: row[3] ?? "", local: row[4] == "true"))
        }
        return result
    }

    // MARK: Indexes, views, triggers

    /// Indexes created explicitly: not those behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint,
    /// nor a partition's copy of its parent's index.
    private func indexes() async throws -> [SchemaSnapshot.Index] {
        try await rows("""
            SELECT i.relname::text, t.relname::text, x.indisunique::text, am.amname::text,
                   pg_get_indexdef(i.oid, 0, true), pg_get_expr(x.indpred, x.indrelid, true)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = i.relnamespace JOIN pg_am am ON am.oid = i.relam
            WHERE n.nspname = $1 AND t.relname NOT IN ($2, $3) AND NOT i.relispartition
              AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.oid AND con.conrelid = t.oid
                              AND con.contype IN ('p', 'u', 'x'))
              AND \(notExtensionMember("pg_class", "t.oid"))
            ORDER BY i.relname
            """, extra: [historyTable, logTable]).map { row in
            let definition = row[4] ?? ""
            let method = row[3] ?? "btree"
            return SchemaSnapshot.Index(name: row[0] ?? "", table: row[1] ?? "", unique: row[2] == "true",
                                        columns: Self.keyColumns(of: definition, method: method), predicate: row[5],
                                        method: method == "btree" ? nil : method, definition: definition)
        }
    }

    /// The key list of `CREATE INDEX … USING method (a, lower(b) DESC) INCLUDE (…) WHERE …`,
    /// split at its top-level commas.
    static func keyColumns(of definition: String, method: String) -> [String] {
        guard let start = definition.range(of: " USING \(method) (") else { return [definition] }
        var columns: [String] = []
        var current = "", depth = 0, quote: Character?
        for character in definition[start.upperBound...] {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                current.append(character)
            case "(":
                depth += 1
                current.append(character)
            case ")" where depth == 0:
                columns.append(current.trimmingCharacters(in: .whitespaces))
                return columns
            case ")":
                depth -= 1
                current.append(character)
            case "," where depth == 0:
                columns.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            default:
                current.append(character)
            }
        }
        return [definition]
    }

    /// Views and materialized views.
    private func views() async throws -> [SchemaSnapshot.Object] {
        try await rows("""
            SELECT c.relname::text, quote_ident(c.relname), c.relkind::text, pg_get_viewdef(c.oid, true)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') AND \(notExtensionMember("pg_class", "c.oid"))
            ORDER BY c.relname
            """).map { row in
            var body = (row[3] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if body.hasSuffix(";") { body.removeLast() }
            let kind = row[2] == "m" ? "MATERIALIZED VIEW" : "VIEW"
            return SchemaSnapshot.Object(kind: "view", name: row[0] ?? "", definition: "CREATE \(kind) \(row[1] ?? "") AS\n\(body)",
                                         normalizedDefinition: SQLText.normalized("CREATE \(kind) \(row[1] ?? "") AS \(body)", dialect: .postgres))
        }
    }

    /// Triggers, named `table.trigger` (trigger names are unique per table only); not the
    /// internal ones behind foreign keys, nor a partition's copy of its parent's.
    private func triggers() async throws -> [SchemaSnapshot.Object] {
        try await rows("""
            SELECT c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid, true)
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND NOT t.tgisinternal AND t.tgparentid = 0 AND c.relname NOT IN ($2, $3)
              AND \(notExtensionMember("pg_class", "c.oid"))
            ORDER BY c.relname, t.tgname
            """, extra: [historyTable, logTable]).map { row in
            let definition = row[2] ?? ""
            return SchemaSnapshot.Object(kind: "trigger", name: "\(row[0] ?? "").\(row[1] ?? "")", table: row[0],
                                         definition: definition, normalizedDefinition: SQLText.normalized(definition, dialect: .postgres))
        }
    }

    // MARK: Other objects

    /// Extensions installed in the schema.
    private func extensions() async throws -> [SchemaSnapshot.Object] {
        try await rows("""
            SELECT e.extname::text, quote_ident(e.extname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE n.nspname = $1 ORDER BY e.extname
            """).map { row in
            SchemaSnapshot.Object(kind: "extension", name: row[0] ?? "", definition: "CREATE EXTENSION IF NOT EXISTS \(row[1] ?? "")")
        }
    }

    /// Enum types, then domains, then composite types.
    private func types() async throws -> [SchemaSnapshot.Object] {
        try await rows("""
            SELECT t.typname::text, quote_ident(t.typname), t.typtype::text,
                   CASE t.typtype
                   WHEN 'e' THEN 'AS ENUM (' || coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                                          FROM pg_enum e WHERE e.enumtypid = t.oid), '') || ')'
                   WHEN 'd' THEN 'AS ' || format_type(t.typbasetype, t.typtypmod)
                       || CASE WHEN t.typdefault IS NOT NULL THEN ' DEFAULT ' || t.typdefault ELSE '' END
                       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                       || coalesce((SELECT string_agg(' CONSTRAINT ' || quote_ident(con.conname) || ' ' || pg_get_constraintdef(con.oid, true), '' ORDER BY con.conname)
                                    FROM pg_constraint con WHERE con.contypid = t.oid), '')
                   ELSE 'AS (' || coalesce((SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                            FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')'
                   END
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = $1 AND \(notExtensionMember("pg_type", "t.oid"))
              AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
            ORDER BY CASE t.typtype WHEN 'e' THEN 0 WHEN 'd' THEN 1 ELSE 2 END, t.typname
            """).map { row in
            let statement = row[2] == "d" ? "DOMAIN" : "TYPE"
            return SchemaSnapshot.Object(kind: row[2] == "d" ? "domain" : "type", name: row[0] ?? "",
                                         definition: "CREATE \(statement) \(row[1] ?? "") \(row[3] ?? "")")
        }
    }

    /// Sequences (not the ones behind identity columns), and for each table the `ALTER SEQUENCE
    /// … OWNED BY` of the sequences its columns own (a `serial` column's).
    private func sequences() async throws -> (objects: [SchemaSnapshot.Object], owned: [String: [String]]) {
        var objects: [SchemaSnapshot.Object] = []
        var owned: [String: [String]] = [:]
        for row in try await rows("""
            SELECT c.relname::text, quote_ident(c.relname), format_type(s.seqtypid, NULL), s.seqstart::text,
                   s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle::text,
                   owner.relname::text, quote_ident(owner.relname) || '.' || quote_ident(a.attname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
            LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
                                  AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
            LEFT JOIN pg_class owner ON owner.oid = d.refobjid
            LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE n.nspname = $1 AND c.relkind = 'S'
              AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid
                              AND i.deptype IN ('i', 'e'))
            ORDER BY c.relname
            """) {
            let quoted = row[1] ?? ""
            var definition = "CREATE SEQUENCE \(quoted) AS \(row[2] ?? "bigint") START WITH \(row[3] ?? "1") INCREMENT BY \(row[4] ?? "1")"
                + " MINVALUE \(row[5] ?? "1") MAXVALUE \(row[6] ?? "") CACHE \(row[7] ?? "1")"
            if row[8] == "true" { definition += " CYCLE" }
            var normalized = SQLText.normalized(definition, dialect: .postgres)
            if let table = row[9], let column = row[10] {
                let ownership = "ALTER SEQUENCE \(quoted) OWNED BY \(column)"
                owned[table, default: []].append(ownership)
                normalized += " OWNED BY \(column)"
            }
            objects.append(SchemaSnapshot.Object(kind: "sequence", name: row[0] ?? "", definition: definition,
                                                 normalizedDefinition: normalized))
        }
        return (objects, owned)
    }

    /// Functions and procedures (`pg_get_functiondef`, the schema prefix of the name dropped),
    /// named with their argument types; not aggregates, nor Strata's log trigger function.
    private func functions() async throws -> [SchemaSnapshot.Object] {
        try await rows("""
            SELECT p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind::text,
                   quote_ident(n.nspname), pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = $1 AND p.prokind IN ('f', 'p') AND p.proname <> $2
              AND \(notExtensionMember("pg_proc", "p.oid"))
            ORDER BY 1
            """, extra: [logTable + "_append_only"]).map { row in
            let kind = row[1] == "p" ? "PROCEDURE" : "FUNCTION"
            var definition = (row[3] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let qualified = "CREATE OR REPLACE \(kind) \(row[2] ?? "")."
            if definition.hasPrefix(qualified) {
                definition = "CREATE OR REPLACE \(kind) " + definition.dropFirst(qualified.count)
            }
            return SchemaSnapshot.Object(kind: kind.lowercased(), name: row[0] ?? "", definition: definition,
                                         normalizedDefinition: SQLText.normalized(definition, dialect: .postgres))
        }
    }

    // MARK: Queries

    /// A condition: the object is not part of an extension.
    private func notExtensionMember(_ catalog: String, _ oid: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '\(catalog)'::regclass AND e.objid = \(oid) AND e.deptype = 'e')"
    }

    /// The rows of a catalog query (`$1` the schema, then `extra`), every column text.
    private func rows(_ sql: String, extra: [String] = []) async throws -> [[String?]] {
        var binds = PostgresBindings()
        binds.append(schema)
        for value in extra { binds.append(value) }
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
                .map { row in try row.map { try $0.decode(String?.self) } }
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot read the schema \(schema) from the catalogs")
        }
    }
}
