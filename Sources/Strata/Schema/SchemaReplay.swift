/// Builds, on an empty scratch database, the schema that replaying a database's applied
/// migrations produces: what `strata diff` compares the live database with.
public enum SchemaReplay {
    /// Applies on `driver` (an empty scratch database) every migration whose history row in
    /// `records` is in effect, in version order (repeatable ones last).
    /// - Returns: warnings for applied versions whose files are gone (the replay lacks them).
    /// - Throws: ``StrataError`` when a migration fails on the scratch database.
    public static func replay(_ migrations: [Migration], records: [HistoryRecord], on driver: any DatabaseDriver,
                              historyTable: String = StrataInfo.defaultHistoryTable) async throws -> [String] {
        let planner = Planner(migrations: migrations, records: records, engine: driver.engine, historyTable: historyTable)
        let applied = migrations.filter { planner.record(for: $0)?.isInEffect == true }
        let known = Set(applied.map(\.id))
        var warnings: [String] = []
        for record in planner.inEffect where !known.contains(record.version) && !applied.contains(where: { $0.version == record.parsedVersion }) {
            warnings.append("version \(record.version) is applied but its file \(record.script) is gone; the replay does not include it")
        }
        let migrator = Migrator(driver: driver, migrations: applied, historyTable: historyTable)
        _ = try await migrator.run(.up(target: nil, allowOutOfOrder: true))
        return warnings
    }
}
