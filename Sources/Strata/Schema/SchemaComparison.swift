/// Compares two ``SchemaSnapshot``s object by object. Names are compared case-insensitively
/// (SQLite and unquoted PostgreSQL names fold case); column order does not matter.
///
/// ```swift
/// let drift = SchemaComparison.differences(from: expected, to: live)
/// // [column users.nickname: added (TEXT)]
/// ```
public enum SchemaComparison {
    /// What changed from `before` to `after`, ordered by kind of object, then name.
    public static func differences(from before: SchemaSnapshot, to after: SchemaSnapshot) -> [SchemaDifference] {
        var result = byDefinition(before.others, after.others, kind: .other, name: { "\($0.kind) \($0.name)" },
                                  definition: \.normalizedDefinition, caseSensitive: true)
        result += compare(before.tables, after.tables, key: \.name, same: tableDifferences) { table, change in
            let summary = "\(table.columns.count) column\(table.columns.count == 1 ? "" : "s")"
            return SchemaDifference(kind: .table, name: table.name, change: change,
                                    before: change == .removed ? summary : nil, after: change == .added ? summary : nil)
        }
        result += byDefinition(before.indexes, after.indexes, kind: .index, name: \.name, definition: \.specification)
        result += byDefinition(before.views, after.views, kind: .view, name: \.name, definition: \.normalizedDefinition,
                               caseSensitive: true, showAddedOrRemoved: false)
        result += byDefinition(before.triggers, after.triggers, kind: .trigger, name: \.name, definition: \.normalizedDefinition,
                               caseSensitive: true, showAddedOrRemoved: false)
        return result
    }

    private static func tableDifferences(_ a: SchemaSnapshot.Table, _ b: SchemaSnapshot.Table) -> [SchemaDifference] {
        var result = byDefinition(a.columns, b.columns, kind: .column, name: { "\(a.name).\($0.name)" }, definition: \.specification)
        result += sets(a.constraints, b.constraints, kind: .constraint, table: a.name)
        result += sets(a.options, b.options, kind: .option, table: a.name)
        return result
    }

    private static func sets(_ a: [String], _ b: [String], kind: SchemaDifference.ObjectKind, table: String) -> [SchemaDifference] {
        let left = Set(a.map { $0.uppercased() }), right = Set(b.map { $0.uppercased() })
        return a.filter { !right.contains($0.uppercased()) }.map { SchemaDifference(kind: kind, name: "\(table): \($0)", change: .removed) }
            + b.filter { !left.contains($0.uppercased()) }.map { SchemaDifference(kind: kind, name: "\(table): \($0)", change: .added) }
    }

    /// Objects paired by name and compared by a definition (case-insensitively unless
    /// `caseSensitive`: normalised SQL keeps string literals as written).
    private static func byDefinition<T>(_ a: [T], _ b: [T], kind: SchemaDifference.ObjectKind, name: @escaping (T) -> String,
                                        definition: @escaping (T) -> String, caseSensitive: Bool = false,
                                        showAddedOrRemoved: Bool = true) -> [SchemaDifference] {
        compare(a, b, key: name) { x, y in
            let (p, q) = (definition(x), definition(y))
            let same = caseSensitive ? p == q : p.uppercased() == q.uppercased()
            return same ? [] : [SchemaDifference(kind: kind, name: name(x), change: .changed, before: p, after: q)]
        } describe: { object, change in
            let text = showAddedOrRemoved ? definition(object) : nil
            return SchemaDifference(kind: kind, name: name(object), change: change,
                                    before: change == .removed ? text : nil, after: change == .added ? text : nil)
        }
    }

    /// Pairs items by lowercased key: removed ones, then per-pair differences and added ones in key order.
    private static func compare<T>(_ a: [T], _ b: [T], key: (T) -> String,
                                   same: (T, T) -> [SchemaDifference],
                                   describe: (T, SchemaDifference.Change) -> SchemaDifference) -> [SchemaDifference] {
        var right: [String: T] = [:]
        for item in b { right[key(item).lowercased()] = item }
        var left = Set<String>()
        var result: [SchemaDifference] = []
        for item in a {
            let k = key(item).lowercased()
            left.insert(k)
            if let other = right[k] {
                result += same(item, other)
            } else {
                result.append(describe(item, .removed))
            }
        }
        for item in b where !left.contains(key(item).lowercased()) {
            result.append(describe(item, .added))
        }
        return result
    }
}
