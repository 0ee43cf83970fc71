import Testing
@testable import Strata

@Suite("Maintenance: Adoption")
struct AdoptionTests {
    typealias F = MaintenanceFixtures
    typealias Field = ForeignHistoryTable.Field

    /// A result row of `ForeignHistoryTable.query`.
    static func row(_ values: [Field: String]) -> [String?] {
        Field.allCases.map { values[$0] }
    }

    static func table(_ name: String, _ columns: String) -> ForeignHistoryTable {
        ForeignHistoryTable(name: name, columns: columns.split(separator: ",").map { String($0).filter { $0 != " " } })!
    }

    let ms = ["001", "002", "003", "004"].map { MaintenanceFixtures.migration($0) }

    func adopt(_ table: ForeignHistoryTable, _ rows: [[String?]], migrations: [Migration]? = nil,
               records: [HistoryRecord] = [], skipMissing: Bool = false) throws(StrataError) -> MaintenancePlan {
        try Adoption(table: table, rows: rows, migrations: migrations ?? ms, records: records, skipMissing: skipMissing,
                     identity: F.identity, now: F.now).plan()
    }

    // MARK: Detection

    @Test("formats are told apart by their columns", arguments: [
        ("schema_migrations", "version, dirty", ForeignHistoryFormat.golangMigrate),
        ("schema_migrations", "version", .dbmate),
        ("schema_migrations", "version, name, applied_at", .namedSchemaMigrations),
        ("schema_migrations", "id, version, description, applied_at, checksum, execution_time_ms, status", .statusSchemaMigrations),
        ("goose_db_version", "id, version_id, is_applied, tstamp", .goose),
        ("flyway_schema_history", "installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success", .flyway),
        ("schema_version", "installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success", .flyway),
        ("_sqlx_migrations", "version, description, installed_on, success, checksum, execution_time", .sqlx),
        ("schema_version", "version, description, applied_at, applied_by, rollback_sql", .schemaVersion),
        ("schema_version", "version, description, applied_at", .schemaVersion),
        ("migration_history", "version, description, checksum, applied_at, execution_time_ms, status, rollback_at, applied_by, metadata, error_message, hostname", .migrationHistory),
    ])
    func detection(name: String, columns: String, format: ForeignHistoryFormat) {
        #expect(Self.table(name, columns).format == format)
    }

    @Test func tablesWithoutAVersionAreNotRecognised() {
        #expect(ForeignHistoryTable(name: "schema_migrations", columns: ["id", "name"]) == nil)
    }

    @Test func queryReadsExistingColumnsAndNullOtherwise() {
        let t = Self.table("goose_db_version", "id, version_id, is_applied, tstamp")
        #expect(t.query == #"SELECT "version_id", NULL, "tstamp", NULL, NULL, "is_applied", NULL, NULL, "id", NULL, NULL, NULL, NULL, NULL FROM "goose_db_version" ORDER BY "id""#)
    }

    // MARK: Tools' rules

    @Test func golangMigrateCoversEveryVersionUpToItsCurrentOne() throws {
        let t = Self.table("schema_migrations", "version, dirty")
        let plan = try adopt(t, [Self.row([.version: "3", .dirty: "0"])])
        #expect(plan.changes.map(\.version) == ["001", "002", "003"])
        #expect(F.upserts(plan).allSatisfy { $0.status == .applied && $0.kind == .sql && $0.appliedBy == "tester" })
        #expect(F.logEntries(plan).allSatisfy { $0.event == .adopted && $0.message!.contains("schema_migrations") })
        #expect(plan.warnings.isEmpty)
    }

    @Test func golangMigrateDirtyIsRefused() {
        let t = Self.table("schema_migrations", "version, dirty")
        #expect { try adopt(t, [Self.row([.version: "2", .dirty: "true"])]) } throws: {
            guard let e = $0 as? StrataError else { return false }
            return e.code == .validationFailed && e.message.contains("dirty") && (e.hint ?? "").contains("force")
        }
    }

    @Test func golangMigrateNilVersionAdoptsNothing() throws {
        let t = Self.table("schema_migrations", "version, dirty")
        #expect(try adopt(t, [Self.row([.version: "-1", .dirty: "0"])]).isEmpty)
    }

    @Test func dbmateMatchesVersionsNumericallyAndRecordsMissingOnes() throws {
        let t = Self.table("schema_migrations", "version")
        let plan = try adopt(t, [Self.row([.version: "1"]), Self.row([.version: "0002"]), Self.row([.version: "9"])])
        #expect(plan.changes.map(\.version) == ["001", "002", "9"])
        let missing = F.upserts(plan)[2]
        #expect(missing.checksum == nil && missing.script == "schema_migrations[9]" && missing.status == .applied)
        #expect(plan.warnings.contains { $0.contains("missing") && $0.contains("9") })
        #expect(plan.changes[2].message.contains("no migration file"))
        let entries = Planner(migrations: ms, records: F.upserts(plan), engine: .sqlite).entries()
        #expect(entries.first { $0.version == "9" }?.state == .missing)
    }

    @Test func skipMissingLeavesThemOutWithAWarning() throws {
        let t = Self.table("schema_migrations", "version")
        let plan = try adopt(t, [Self.row([.version: "1"]), Self.row([.version: "9"])], skipMissing: true)
        #expect(plan.changes.map(\.version) == ["001"])
        #expect(plan.warnings.contains { $0.contains("9") && $0.contains("skip") })
    }

    @Test func versionsAlreadyInEffectAreLeftAlone() throws {
        let t = Self.table("schema_migrations", "version")
        let plan = try adopt(t, [Self.row([.version: "1"]), Self.row([.version: "2"])], records: [F.record(ms[0])])
        #expect(plan.changes.map(\.version) == ["002"])
        #expect(plan.warnings.contains { $0.contains("001") })
    }

    @Test func schemaVersionKeepsRollbackSQLAndSourceDetails() throws {
        let t = Self.table("schema_version", "version, description, applied_at, applied_by, rollback_sql")
        let plan = try adopt(t, [
            Self.row([.version: "1", .description: "Init", .appliedAt: "2024-03-01 10:00:00", .appliedBy: "migration_script",
                      .downSQL: "DROP TABLE init;"]),
            Self.row([.version: "2", .description: "Two", .downSQL: "  "]),
        ])
        let rows = F.upserts(plan)
        #expect(rows[0].downSQL == "DROP TABLE init;" && rows[0].appliedBy == "migration_script"
                && rows[0].appliedAt == "2024-03-01T10:00:00.000Z" && rows[0].checksum == ms[0].checksum)
        // An empty rollback_sql falls back to the file's down script.
        #expect(rows[1].downSQL == "DROP TABLE t;\n" && rows[1].appliedAt == F.now)
    }

    @Test func statusTablesAdoptOnlySuccessfulRows() throws {
        let seed3 = Self.table("schema_migrations", "id, version, description, applied_at, checksum, execution_time_ms, status")
        let plan = try adopt(seed3, [
            Self.row([.version: "1.0.0", .status: "applied", .order: "1", .executionTime: "12"]),
            Self.row([.version: "2", .status: "failed", .order: "2"]),
            Self.row([.version: "3", .status: "rolled_back", .order: "3"]),
        ])
        #expect(plan.changes.map(\.version) == ["001"])
        #expect(F.upserts(plan)[0].executionTimeMs == 12)
        #expect(plan.warnings.contains { $0.contains("failed") })

        let seed2 = Self.table("migration_history", "version, description, checksum, applied_at, execution_time_ms, status, rollback_at, applied_by, metadata, error_message, hostname")
        let plan2 = try adopt(seed2, [
            Self.row([.version: "1", .status: "completed", .hostname: "db1", .metadata: "{\"a\":1}", .appliedBy: "migrate.py"]),
            Self.row([.version: "2", .status: "rolled_back"]),
        ])
        let r = F.upserts(plan2)
        #expect(r.count == 1 && r[0].hostname == "db1" && r[0].metadata == "{\"a\":1}" && r[0].appliedBy == "migrate.py")
    }

    @Test func gooseNewestRowPerVersionDecides() throws {
        let t = Self.table("goose_db_version", "id, version_id, is_applied, tstamp")
        let plan = try adopt(t, [
            Self.row([.order: "1", .version: "0", .success: "1"]),
            Self.row([.order: "2", .version: "1", .success: "1"]),
            Self.row([.order: "3", .version: "2", .success: "1"]),
            Self.row([.order: "4", .version: "3", .success: "1"]),
            Self.row([.order: "5", .version: "3", .success: "0"]),
        ])
        #expect(plan.changes.map(\.version) == ["001", "002"])
    }

    @Test func flywayRules() throws {
        let t = Self.table("flyway_schema_history", "installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success")
        let migrations = ms + [F.repeatable("views")]
        let plan = try adopt(t, [
            Self.row([.order: "1", .version: "2", .type: "BASELINE", .description: "<< Flyway Baseline >>", .success: "1"]),
            Self.row([.order: "2", .version: "3", .type: "SQL", .script: "V3__x.sql", .success: "1", .appliedBy: "deploy",
                      .executionTime: "40", .appliedAt: "2024-05-06 07:08:09.5"]),
            Self.row([.order: "3", .version: "4", .type: "SQL", .script: "V4__x.sql", .success: "1"]),
            Self.row([.order: "4", .version: "4", .type: "UNDO_SQL", .script: "U4__x.sql", .success: "1"]),
            Self.row([.order: "5", .type: "SQL", .script: "R__views.sql", .success: "1"]),
        ], migrations: migrations)
        #expect(plan.changes.map(\.version) == ["001", "002", "003", "R__views"])
        let rows = F.upserts(plan)
        #expect(rows[0].status == .baselined && rows[0].kind == .baseline && rows[1].status == .baselined)
        #expect(rows[2].status == .applied && rows[2].appliedBy == "deploy" && rows[2].executionTimeMs == 40
                && rows[2].appliedAt == "2024-05-06T07:08:09.500Z")
        #expect(rows[3].kind == .repeatable && rows[3].checksum == migrations[4].checksum)
        let planner = Planner(migrations: migrations, records: rows, engine: .sqlite)
        #expect(try planner.plan(.up(target: nil, allowOutOfOrder: false)).steps.map(\.version) == ["004"])
    }

    @Test func flywayFailedRowIsRefused() {
        let t = Self.table("flyway_schema_history", "installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success")
        #expect { try adopt(t, [Self.row([.order: "1", .version: "1", .type: "SQL", .success: "0"])]) } throws: {
            ($0 as? StrataError)?.code == .validationFailed
        }
    }

    @Test func sqlxConvertsNanosecondsAndRefusesPartialRows() throws {
        let t = Self.table("_sqlx_migrations", "version, description, installed_on, success, checksum, execution_time")
        let plan = try adopt(t, [Self.row([.version: "1", .success: "1", .executionTime: "5000000"])])
        #expect(F.upserts(plan)[0].executionTimeMs == 5)
        #expect { try adopt(t, [Self.row([.version: "1", .success: "0"])]) } throws: {
            ($0 as? StrataError)?.message.contains("partially applied") ?? false
        }
    }

    @Test func unparseableVersionsAreSkippedWithAWarning() throws {
        let t = Self.table("schema_migrations", "version")
        let plan = try adopt(t, [Self.row([.version: "abc"])])
        #expect(plan.isEmpty && plan.warnings.count == 1)
    }

    // MARK: Timestamps

    @Test("timestamps become ISO-8601 UTC", arguments: [
        ("2024-01-15 10:30:00", "2024-01-15T10:30:00.000Z"),
        ("2024-01-15T10:30:00Z", "2024-01-15T10:30:00.000Z"),
        ("2024-01-15 10:30:00.123456", "2024-01-15T10:30:00.123Z"),
        ("2024-01-15 10:30:00.1", "2024-01-15T10:30:00.100Z"),
        ("2024-03-01 01:00:00+02", "2024-02-29T23:00:00.000Z"),
        ("2024-12-31 23:30:00-01:00", "2025-01-01T00:30:00.000Z"),
        ("yesterday", "yesterday"),
        ("2024-01-15", "2024-01-15"),
    ])
    func timestamps(input: String, expected: String) {
        #expect(AdoptedTimestamp.normalize(input) == expected)
    }
}
