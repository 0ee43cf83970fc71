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
        var result: [SchemaDifference] = []
        result += compare(before.others, after.others, key: { "\($0.kind) \($0.name)" }) { a, b in
            a.normalizedDefinition == b.normalizedDefinition ? [] :
                [SchemaDifference(kind: .other, name: "\(a.kind) \(a.name)", change: .changed,
                                  before: a.normalizedDefinition, after: b.normalizedDefinition)]
        } describe: { object, change in
            SchemaDifference(kind: .other, name: "\(object.kind) \(object.name)", change: change,
                             before: change == .removed ? object.normalizedDefinition : nil,
                             after: change == .added ? object.normalizedDefinition : nil)
        }
        result += compare(before.tables, after.tables, key: \.name, same: tableDifferences) { table, change in
            let summary = "\(table.columns.count) column\(table.columns.count == 1 ? "" : "s")"
            return SchemaDifference(kind: .table, name: table.name, change: change,
                                    before: change == .removed ? summary : nil, after: change == .added ? summary : nil)
        }
        result += compare(before.indexes, after.indexes, key: \.name) { a, b in
            a.specification.uppercased() == b.specification.uppercased() ? [] :
                [SchemaDifference(kind: .index, name: a.name, change: .changed, before: a.specification, after: b.specification)]
        } describe: { index, change in
            SchemaDifference(kind: .index, name: index.name, change: change,
                             before: change == .removed ? index.specification : nil, after: change == .added ? index.specification : nil)
        }
        result += objects(before.views, after.views, kind: .view)
        result += objects(before.triggers, after.triggers, kind: .trigger)
        return result
    }

    private static func tableDifferences(_ a: SchemaSnapshot.Table, _ b: SchemaSnapshot.Table) -> [SchemaDifference] {
        var result = compare(a.columns, b.columns, key: \.name) { x, y in
            x.specification.uppercased() == y.specification.uppercased() ? [] :
                [SchemaDifference(kind: .column, name: "\(a.name).\(x.name)", change: .changed,
                                  before: x.specification, after: y.specification)]
        } describe: { column, change in
            SchemaDifference(kind: .column, name: "\(a.name).\(column.name)", change: change,
                             before: change == .removed ? column.specification : nil,
                             after: change == .added ? column.specification : nil)
        }
        result += sets(a.constraints, b.constraints, kind: .constraint, table: a.name)
        result += sets(a.options, b.options, kind: .option, table: a.name)
        return result
    }

    private static func sets(_ a: [String], _ b: [String], kind: SchemaDifference.ObjectKind, table: String) -> [SchemaDifference] {
        let left = Set(a.map { $0.uppercased() }), right = Set(b.map { $0.uppercased() })
        return a.filter { !right.contains($0.uppercased()) }.map { SchemaDifference(kind: kind, name: "\(table): \($0)", change: .removed) }
            + b.filter { !left.contains($0.uppercased()) }.map { SchemaDifference(kind: kind, name: "\(table): \($0)", change: .added) }
    }

    private static func objects(_ a: [SchemaSnapshot.Object], _ b: [SchemaSnapshot.Object], kind: SchemaDifference.ObjectKind) -> [SchemaDifference] {
        compare(a, b, key: \.name) { x, y in
            x.normalizedDefinition == y.normalizedDefinition ? [] :
                [SchemaDifference(kind: kind, name: x.name, change: .changed, before: x.normalizedDefinition, after: y.normalizedDefinition)]
        } describe: { object, change in
            SchemaDifference(kind: kind, name: object.name, change: change)
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
