/// The history tables of other migration tools that `strata adopt` can import (SPEC §4).
///
/// Formats are told apart by their columns (several tools call their table
/// `schema_migrations`), so detection needs the table's column names
/// (``DatabaseDriver/tableColumns(_:)``).
public enum ForeignHistoryFormat: String, Sendable, Hashable, CaseIterable {
    /// golang-migrate: `schema_migrations(version bigint, dirty boolean)`, one row holding the
    /// current version; every migration up to it counts as applied.
    case golangMigrate = "golang-migrate"
    /// dbmate and Rails: `schema_migrations(version varchar)`, one row per applied version.
    case dbmate
    /// A hand-rolled `schema_migrations(version INTEGER, name, applied_at)` (seed 001), one row
    /// per applied version.
    case namedSchemaMigrations = "schema_migrations-named"
    /// A hand-rolled `schema_migrations(id, version TEXT, description, applied_at, checksum,
    /// execution_time_ms, status)` (seed 003); only rows with status `applied` count.
    case statusSchemaMigrations = "schema_migrations-status"
    /// goose: `goose_db_version(id, version_id, is_applied, tstamp)`; the newest row of a version
    /// decides, and version 0 is goose's own.
    case goose
    /// Flyway: `flyway_schema_history(installed_rank, version, description, type, script,
    /// checksum, installed_by, installed_on, execution_time, success)`.
    case flyway
    /// sqlx: `_sqlx_migrations(version, description, installed_on, success, checksum, execution_time)`.
    case sqlx
    /// A hand-rolled `schema_version(version, description, applied_at, applied_by, rollback_sql)`
    /// (seed 000); `rollback_sql` becomes the stored down script.
    case schemaVersion = "schema_version"
    /// A hand-rolled `migration_history(version, description, checksum, applied_at,
    /// execution_time_ms, status, rollback_at, applied_by, metadata, error_message, hostname)`
    /// (seed 002); only rows with status `completed` count.
    case migrationHistory = "migration_history"

    /// The tool, for messages: `golang-migrate`, `Flyway`, ….
    public var toolName: String {
        switch self {
        case .golangMigrate: "golang-migrate"
        case .dbmate: "dbmate/Rails"
        case .namedSchemaMigrations: "schema_migrations (version, name, applied_at)"
        case .statusSchemaMigrations: "schema_migrations (version, description, status)"
        case .goose: "goose"
        case .flyway: "Flyway"
        case .sqlx: "sqlx"
        case .schemaVersion: "schema_version (version, description, rollback_sql)"
        case .migrationHistory: "migration_history (version, description, status)"
        }
    }

    /// The table names looked for when `adopt` is not told which table to read.
    public static let knownTables = ["schema_migrations", "goose_db_version", "flyway_schema_history",
                                     "_sqlx_migrations", "schema_version", "migration_history"]

    /// The format of a table, judged from its columns (and, for the plainest shapes, its name);
    /// `nil` when it is not a history table Strata can read.
    public static func detect(table: String, columns: [String]) -> ForeignHistoryFormat? {
        let c = Set(columns.map { $0.lowercased() })
        let name = table.lowercased()
        if c.isSuperset(of: ["installed_rank", "version", "success"]) { return .flyway }
        if c.isSuperset(of: ["version_id", "is_applied"]) { return .goose }
        guard c.contains("version") else { return nil }
        if c.contains("dirty") { return .golangMigrate }
        if c.isSuperset(of: ["success", "installed_on"]) { return .sqlx }
        if c.contains("rollback_sql") { return .schemaVersion }
        if c.contains("status") {
            if !c.isDisjoint(with: ["rollback_at", "hostname", "error_message", "metadata"]) || name == "migration_history" {
                return .migrationHistory
            }
            return .statusSchemaMigrations
        }
        if c.contains("name") { return .namedSchemaMigrations }
        if name == "schema_version" { return .schemaVersion }
        if name == "migration_history" { return .migrationHistory }
        return .dbmate
    }
}

/// One version as another tool's history table records it, after the tool's rules were applied
/// (only successful, still-applied versions remain).
public struct ForeignHistoryEntry: Sendable, Hashable {
    /// The version as the table writes it; for a Flyway repeatable migration `R__<name>`.
    public var version: String
    /// The description or name, when the table has one.
    public var description: String?
    /// When it was applied, as the table writes it.
    public var appliedAt: String?
    /// Who applied it, when the table says.
    public var appliedBy: String?
    /// The host, when the table says.
    public var hostname: String?
    /// Milliseconds, when the table says.
    public var executionTimeMs: Int?
    /// The stored rollback script (seed 000's `rollback_sql`).
    public var downSQL: String?
    /// JSON metadata (seed 002).
    public var metadata: String?
    /// `true` when the row stands for every version up to it (golang-migrate's current version,
    /// a Flyway baseline), not just itself.
    public var coversEarlier: Bool
    /// `true` for a Flyway baseline: the versions it covers were never run by the tool either.
    public var isBaseline: Bool
    /// The name of a Flyway repeatable migration (`refresh_views` for `R__refresh_views.sql`).
    public var repeatableName: String?

    /// Creates an entry.
    public init(version: String, description: String? = nil, appliedAt: String? = nil, appliedBy: String? = nil,
                hostname: String? = nil, executionTimeMs: Int? = nil, downSQL: String? = nil, metadata: String? = nil,
                coversEarlier: Bool = false, isBaseline: Bool = false, repeatableName: String? = nil) {
        self.version = version
        self.description = description
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.hostname = hostname
        self.executionTimeMs = executionTimeMs
        self.downSQL = downSQL
        self.metadata = metadata
        self.coversEarlier = coversEarlier
        self.isBaseline = isBaseline
        self.repeatableName = repeatableName
    }
}

/// A foreign history table found in the database: its name, columns and format, the query that
/// reads it, and the tool's rules for turning its rows into ``ForeignHistoryEntry`` values.
///
/// ```swift
/// let columns = try await driver.tableColumns("goose_db_version")!
/// let table = ForeignHistoryTable(name: "goose_db_version", columns: columns)!
/// let entries = try table.entries(from: try await driver.rows(table.query)).entries
/// ```
public struct ForeignHistoryTable: Sendable, Hashable {
    /// The table's name as found.
    public let name: String
    /// Its columns.
    public let columns: [String]
    /// Its format.
    public let format: ForeignHistoryFormat

    /// The logical fields read from every format, in the order of the query's result columns.
    enum Field: Int, CaseIterable {
        case version, description, appliedAt, appliedBy, hostname, success, status, dirty, order, type, script,
             downSQL, executionTime, metadata
    }

    /// Recognises a table; `nil` when its columns match no supported format.
    public init?(name: String, columns: [String]) {
        guard let format = ForeignHistoryFormat.detect(table: name, columns: columns) else { return nil }
        self.name = name
        self.columns = columns
        self.format = format
    }

    private func candidates(_ field: Field) -> [String] {
        switch field {
        case .version: format == .goose ? ["version_id"] : ["version"]
        case .description: ["description", "name"]
        case .appliedAt: ["applied_at", "installed_on", "tstamp"]
        case .appliedBy: ["applied_by", "installed_by"]
        case .hostname: ["hostname"]
        case .success: ["success", "is_applied"]
        case .status: ["status"]
        case .dirty: ["dirty"]
        case .order: ["installed_rank", "id"]
        case .type: format == .flyway ? ["type"] : []
        case .script: format == .flyway ? ["script"] : []
        case .downSQL: ["rollback_sql"]
        case .executionTime: ["execution_time_ms", "execution_time"]
        case .metadata: ["metadata"]
        }
    }

    private func column(_ field: Field) -> String? {
        let lower = Dictionary(columns.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        return candidates(field).lazy.compactMap { lower[$0] }.first
    }

    /// The read-only query that reads the table: one result column per logical field (`NULL`
    /// where the table lacks it), oldest row first where the table has an order column.
    public var query: String {
        let select = Field.allCases.map { column($0).map(Self.quote) ?? "NULL" }.joined(separator: ", ")
        var sql = "SELECT \(select) FROM \(Self.quote(name))"
        if let order = column(.order) { sql += " ORDER BY \(Self.quote(order))" }
        return sql
    }

    static func quote(_ identifier: String) -> String { SQLQuoting.identifier(identifier) }

    /// Applies the tool's rules to the rows of ``query``.
    /// - Returns: the versions that count as applied, in the table's order, and warnings about
    ///   rows that were left out.
    /// - Throws: ``StrataError`` `.validationFailed` (exit 3) when the tool itself records a
    ///   migration that failed part-way (golang-migrate `dirty`, sqlx `success = false`, a failed
    ///   Flyway row): the database has to be fixed first.
    public func entries(from rows: [[String?]]) throws(StrataError) -> (entries: [ForeignHistoryEntry], warnings: [String]) {
        var warnings: [String] = []
        var entries: [ForeignHistoryEntry] = []
        func value(_ row: [String?], _ field: Field) -> String? {
            guard field.rawValue < row.count, let v = row[field.rawValue] else { return nil }
            let trimmed = Self.trim(v)
            return trimmed.isEmpty ? nil : trimmed
        }
        func entry(_ row: [String?], version: String) -> ForeignHistoryEntry {
            var ms = value(row, .executionTime).flatMap { Int($0) ?? Double($0).map { Int($0) } }
            if format == .sqlx, let n = ms { ms = n / 1_000_000 }  // sqlx stores nanoseconds
            return ForeignHistoryEntry(version: version, description: value(row, .description),
                                       appliedAt: value(row, .appliedAt), appliedBy: value(row, .appliedBy),
                                       hostname: value(row, .hostname), executionTimeMs: ms,
                                       downSQL: row.count > Field.downSQL.rawValue ? row[Field.downSQL.rawValue] : nil,
                                       metadata: value(row, .metadata))
        }
        // The newest row of a version decides (rows come oldest first); first-seen order is kept.
        var latest: [String: ForeignHistoryEntry] = [:]
        var order: [String] = []
        var seen = Set<String>()
        func record(_ key: String, _ e: ForeignHistoryEntry?) {
            if seen.insert(key).inserted { order.append(key) }
            latest[key] = e
        }
        func key(_ version: String) -> String {
            guard let v = MigrationVersion(version) else { return version }
            var components = v.components
            while components.count > 1 && components.last == 0 { components.removeLast() }
            return components.map(String.init).joined(separator: ".")
        }

        switch format {
        case .golangMigrate:
            guard let row = rows.max(by: { (Int64(value($0, .version) ?? "") ?? -1) < (Int64(value($1, .version) ?? "") ?? -1) }),
                  let version = value(row, .version) else { break }
            if Self.truthy(value(row, .dirty)) {
                throw StrataError(.validationFailed,
                                  "\(name) (golang-migrate) marks version \(version) dirty: its migration failed part-way",
                                  hint: "fix the database by hand, then run `migrate force \(version)` (or the previous version) and adopt again")
            }
            if version.hasPrefix("-") { break }  // NilVersion: nothing applied
            var e = entry(row, version: version)
            e.coversEarlier = true
            entries.append(e)
        case .dbmate, .namedSchemaMigrations, .schemaVersion:
            for row in rows {
                guard let version = value(row, .version) else { continue }
                record(key(version), entry(row, version: version))
            }
        case .statusSchemaMigrations, .migrationHistory:
            for row in rows {
                guard let version = value(row, .version) else { continue }
                let status = value(row, .status)?.lowercased() ?? ""
                if ["applied", "completed", "success", "succeeded"].contains(status) {
                    record(key(version), entry(row, version: version))
                } else {
                    if status == "failed" { warnings.append("\(name): version \(version) is recorded as failed; it was not adopted and stays pending") }
                    record(key(version), nil)
                }
            }
        case .goose:
            for row in rows {
                guard let version = value(row, .version), version != "0" else { continue }
                record(key(version), Self.truthy(value(row, .success)) ? entry(row, version: version) : nil)
            }
        case .sqlx:
            for row in rows {
                guard let version = value(row, .version) else { continue }
                if !Self.truthy(value(row, .success)) {
                    throw StrataError(.validationFailed,
                                      "\(name) (sqlx) records version \(version) as partially applied (success = false)",
                                      hint: "fix the database by hand and delete or correct that row, then adopt again")
                }
                record(key(version), entry(row, version: version))
            }
        case .flyway:
            for row in rows {
                let type = value(row, .type)?.uppercased() ?? "SQL"
                if type == "SCHEMA" { continue }
                let success = Self.truthy(value(row, .success))
                guard let version = value(row, .version) else {
                    // A repeatable migration: keep its newest successful run.
                    guard success, let script = value(row, .script) else { continue }
                    let file = script.split(separator: "/").last.map(String.init) ?? script
                    var stem = file.hasSuffix(".sql") ? String(file.dropLast(4)) : file
                    if stem.hasPrefix("R__") { stem = String(stem.dropFirst(3)) }
                    var e = entry(row, version: "R__\(stem)")
                    e.repeatableName = stem
                    record("R__\(stem)", e)
                    continue
                }
                if type.hasPrefix("UNDO") || type == "DELETE" {
                    if success { record(key(version), nil) }
                    continue
                }
                guard success else {
                    throw StrataError(.validationFailed,
                                      "\(name) (Flyway) records a failed migration \(version)",
                                      hint: "fix the database by hand and run `flyway repair`, then adopt again")
                }
                var e = entry(row, version: version)
                if type.contains("BASELINE") || type == "INIT" {
                    e.coversEarlier = true
                    e.isBaseline = true
                }
                record(key(version), e)
            }
        }
        for k in order { if let e = latest[k] { entries.append(e) } }
        return (entries, warnings)
    }

    static func trim(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }

    /// Booleans as engines print them: `1`/`0`, `t`/`f`, `true`/`false`.
    static func truthy(_ text: String?) -> Bool {
        guard let t = text?.lowercased() else { return false }
        return ["1", "t", "true", "y", "yes"].contains(t)
    }
}
