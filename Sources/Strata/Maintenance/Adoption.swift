/// Plans `strata adopt`: imports another tool's history so that nothing it applied runs again.
/// Pure: the caller reads the foreign table (``ForeignHistoryTable/query``) and writes the result.
///
/// ```swift
/// let table = ForeignHistoryTable(name: "schema_migrations", columns: try await driver.tableColumns("schema_migrations")!)!
/// let plan = try Adoption(table: table, rows: try await driver.rows(table.query),
///                         migrations: loaded, records: try await driver.history()).plan()
/// try await driver.write(plan.writes)
/// ```
///
/// Rules:
/// - Versions are matched numerically (`1` = `001` = `1.0`). Each adopted version becomes a history
///   row with status `applied` (`baselined`, type `baseline`, for the versions a Flyway baseline
///   covers), `applied_at`, `applied_by`, host, duration and metadata from the foreign table when it
///   has them (else this run's), the current file's checksum and description, and as `down_sql`
///   the table's stored rollback script (seed 000's `rollback_sql`) or else the file's down script.
///   Each gets an `adopted` audit-log entry naming the source table.
/// - golang-migrate's single row and a Flyway baseline stand for every migration file up to their
///   version.
/// - A version in the foreign table without a migration file is still recorded, so it can never run
///   twice; it shows as `missing` until its file is back (or it is rolled back with the stored
///   down script). With `skipMissing` it is left out with a warning instead.
/// - Versions Strata's history already has in effect are left as they are.
/// - The foreign table is only read, never changed.
public struct Adoption: Sendable {
    /// The foreign table.
    public let table: ForeignHistoryTable
    /// Its rows, as returned by ``ForeignHistoryTable/query``.
    public let rows: [[String?]]
    /// The migrations from the source.
    public let migrations: [Migration]
    /// Strata's history rows.
    public let records: [HistoryRecord]
    /// Leave out versions that have no migration file (with a warning) instead of recording them.
    public let skipMissing: Bool
    /// Who runs it.
    public let identity: RunIdentity
    /// When, ISO-8601 UTC.
    public let now: String

    /// Creates an adoption planner.
    public init(table: ForeignHistoryTable, rows: [[String?]], migrations: [Migration], records: [HistoryRecord],
                skipMissing: Bool = false, identity: RunIdentity = .current(), now: String = Timestamp.now()) {
        self.table = table
        self.rows = rows
        self.migrations = migrations
        self.records = records
        self.skipMissing = skipMissing
        self.identity = identity
        self.now = now
    }

    /// The changes and writes.
    /// - Throws: ``StrataError`` `.validationFailed` (exit 3) when the foreign tool records a
    ///   migration that failed part-way (see ``ForeignHistoryTable/entries(from:)``).
    public func plan() throws(StrataError) -> MaintenancePlan {
        let (entries, tableWarnings) = try table.entries(from: rows)
        var plan = MaintenancePlan(warnings: tableWarnings)
        let versioned = migrations.filter { $0.version != nil }.sorted { $0.version! < $1.version! }
        var byVersion: [MigrationVersion: Migration] = [:]
        for m in versioned { byVersion[m.version!] = m }
        var inEffect = Set<String>()
        var inEffectVersions = Set<MigrationVersion>()
        for r in records where r.isInEffect {
            inEffect.insert(r.version)
            if let v = r.parsedVersion { inEffectVersions.insert(v) }
        }
        var done = Set<MigrationVersion>()
        var doneRepeatables = Set<String>()
        var alreadyRecorded: [String] = []

        // Build (entry, migration) pairs, expanding rows that cover earlier versions.
        var items: [(entry: ForeignHistoryEntry, migration: Migration?, covered: Bool)] = []
        for e in entries {
            if let name = e.repeatableName {
                guard let m = migrations.first(where: { $0.kind == .repeatable && $0.name == name }) else {
                    plan.warnings.append("\(table.name): repeatable migration \(e.version) has no file; it was not adopted")
                    continue
                }
                guard doneRepeatables.insert(m.id).inserted else { continue }
                if inEffect.contains(m.id) { alreadyRecorded.append(m.id); continue }
                items.append((e, m, false))
                continue
            }
            guard let v = MigrationVersion(e.version) else {
                plan.warnings.append("\(table.name): '\(e.version)' is not a version Strata understands; it was not adopted")
                continue
            }
            if e.coversEarlier {
                for m in versioned where m.version! < v {
                    items.append((e, m, true))
                }
            }
            items.append((e, byVersion[v], false))
        }
        for (e, m, covered) in items {
            let version = m?.version ?? MigrationVersion(e.version)
            if let version {
                guard done.insert(version).inserted else { continue }
                if inEffectVersions.contains(version) { alreadyRecorded.append(m?.id ?? e.version); continue }
            }
            if m == nil && skipMissing {
                plan.warnings.append("\(table.name): version \(e.version) has no migration file; skipped (--skip-missing)")
                continue
            }
            add(&plan, entry: e, migration: m, covered: covered)
        }
        if !alreadyRecorded.isEmpty {
            plan.warnings.append("already in the history, left as they are: \(alreadyRecorded.joined(separator: ", "))")
        }
        let missing = plan.changes.filter { c in !migrations.contains { $0.id == c.version } }
        if !missing.isEmpty {
            plan.warnings.append("\(missing.count) adopted version\(missing.count == 1 ? " has" : "s have") no migration file "
                                 + "(\(missing.map(\.version).joined(separator: ", "))): they show as missing and block `up` until the files are back; "
                                 + "use --skip-missing to leave them out")
        }
        return plan
    }

    private func add(_ plan: inout MaintenancePlan, entry e: ForeignHistoryEntry, migration m: Migration?, covered: Bool) {
        let baselined = e.isBaseline
        let version = m?.id ?? e.version
        let description = m?.description ?? e.description ?? ""
        let storedDown = e.downSQL.flatMap { MigrationScript(path: "", sql: $0).isEffectivelyEmpty ? nil : $0 }
        let record = HistoryRecord(
            version: version, description: description,
            kind: baselined ? .baseline : (m?.kind ?? .sql),
            script: m?.sourcePath ?? "\(table.name)[\(e.version)]",
            checksum: m?.checksum, downSQL: storedDown ?? m?.downScript?.sql,
            appliedBy: (covered ? nil : e.appliedBy) ?? identity.user,
            hostname: (covered ? nil : e.hostname) ?? identity.hostname,
            appliedAt: (covered ? nil : e.appliedAt.map(AdoptedTimestamp.normalize)) ?? now,
            executionTimeMs: covered ? 0 : (e.executionTimeMs ?? 0),
            status: baselined ? .baselined : .applied,
            metadata: (covered ? nil : e.metadata) ?? m?.metadata.json)
        var message = "adopted from \(table.name) (\(table.format.toolName))"
        if covered { message += baselined ? ", covered by its baseline at \(e.version)" : ", covered by its version \(e.version)" }
        if m == nil { message += "; no migration file has this version" }
        plan.changes.append(MaintenanceChange(version: version, description: description, action: .adopt, message: message))
        plan.writes.append(.upsert(record))
        plan.writes.append(.append(LogEntry(version: version, event: .adopted, description: description,
                                            checksum: m?.checksum, actor: identity.user, hostname: identity.hostname,
                                            at: now, message: message)))
    }
}

/// Turns the timestamps other tools store into Strata's ISO-8601 UTC form.
public enum AdoptedTimestamp {
    /// `2024-01-15 10:30:00`, `2024-01-15T10:30:00.123456Z` or `2024-01-15 12:30:00+02` →
    /// `2024-01-15T10:30:00.000Z` (a time without a zone is taken as UTC, as SQLite's
    /// `CURRENT_TIMESTAMP` writes it); text in any other form is kept as it is.
    public static func normalize(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= bytes.count else { return nil }
            var n = 0
            for b in bytes[i..<(i + width)] {
                guard b >= 48 && b <= 57 else { return nil }
                n = n * 10 + Int(b - 48)
            }
            i += width
            return n
        }
        func expect(_ chars: String) -> Bool {
            guard i < bytes.count, chars.utf8.contains(bytes[i]) else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect("T "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
              let second = number(2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second < 61 else { return text }
        var millis = 0
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int(bytes[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return text }
            while digits < 3 {
                millis *= 10
                digits += 1
            }
        }
        var offset = 0
        if i < bytes.count {
            if bytes[i] == UInt8(ascii: " ") { i += 1 }
            if i < bytes.count && (bytes[i] == UInt8(ascii: "Z") || bytes[i] == UInt8(ascii: "z")) {
                i += 1
            } else if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
                let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = number(2) else { return text }
                var m = 0
                if i < bytes.count && bytes[i] == UInt8(ascii: ":") { i += 1 }
                if i < bytes.count { guard let mm = number(2) else { return text }; m = mm }
                offset = sign * (h * 3600 + m * 60)
            }
            guard i == bytes.count else { return text }
        }
        // Days since 1970-01-01; earlier dates are kept as written.
        guard year >= 1970 else { return text }
        func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
        let monthDays = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var days = 0
        for y in 1970..<year { days += isLeap(y) ? 366 : 365 }
        for m in 0..<(month - 1) { days += monthDays[m] }
        days += day - 1
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Timestamp.format(seconds: seconds, milliseconds: millis)
    }
}
