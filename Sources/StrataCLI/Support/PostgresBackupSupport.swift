import Foundation
import Strata
import StrataPostgres

/// `backup`, `backups`, `restore` and the pre-change backup for PostgreSQL databases, with
/// `pg_dump -Fc` and `pg_restore` (SPEC §5 on PostgreSQL). The output has the same shape as for
/// SQLite.
enum PostgresBackupSupport {
    /// The backups of the context's database, configured from `strata.yml` (`backups.dir`,
    /// default `backups` in the working directory; `backups.keep`, default 10).
    static func backups(_ context: CommandContext) throws(StrataError) -> PostgresBackups {
        let settings = context.config.backups
        if let keep = settings.keep, keep < 1 {
            throw StrataError(.configuration, "backups.keep must be at least 1 (it is \(keep))",
                              hint: "set `backups: { keep: 10 }` in strata.yml")
        }
        if settings.compress == true {
            context.console.note("note: backups.compress does not apply to PostgreSQL: pg_dump -Fc archives are already compressed")
        }
        return PostgresBackups(settings: try DriverRegistry.postgresSettings(context.database), directory: settings.dir,
                               keep: settings.keep ?? 10,
                               searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    /// Warns that no backup will be taken before a change when the database is PostgreSQL and
    /// `pg_dump` is not on the PATH (the driver's ``PostgresDriver/backUp(reason:currentVersion:settings:)``
    /// then returns `nil`). Called when a change is about to happen, before the backup.
    static func warnIfNoBackup(_ context: CommandContext, enabled: Bool) {
        guard enabled, context.database.engine == .postgres,
              let backups = try? backups(context), !backups.isAvailable else { return }
        context.console.warning("pg_dump was not found on the PATH, so no backup was taken before this change "
            + "(install the PostgreSQL client programs, or pass --no-backup to silence this)")
    }

    /// The database's current version for a backup's name (`unknown` when it cannot be read).
    static func currentVersion(_ context: CommandContext) async -> String? {
        guard let driver = try? context.openDriver(mutating: false) else { return "unknown" }
        defer { Task { await driver.close() } }
        guard let records = try? await driver.history() else { return "unknown" }
        return Planner(migrations: [], records: records, engine: .postgres, historyTable: context.historyTable).currentVersion
    }

    /// `strata backup [--output F]`.
    static func backup(_ context: CommandContext, output: String?) async throws {
        let backups = try backups(context)
        let version = await currentVersion(context)
        let file: PostgresBackup
        if let output {
            file = try backups.create(at: output, label: version, reason: "manual")
        } else {
            file = try backups.create(label: version, reason: "manual")
        }
        let console = context.console
        console.json(.object([("database", .string(context.databaseLabel)), ("backup", json(file))]))
        console.line("Backed up \(context.databaseLabel) (version \(file.versionLabel ?? "0")) to \(file.path)")
        console.line("  \(BackupSupport.size(file.size)), pg_dump custom format")
        if output == nil { console.progress("Keeping the newest \(backups.keep) backups in \(backups.directory)") }
    }

    /// `strata backups`: rows of file, size, version and time, newest first.
    static func list(_ context: CommandContext) throws -> (directory: String, keep: Int, rows: [[String]]) {
        let backups = try backups(context)
        let files = try backups.list()
        context.console.json(.object([
            ("database", .string(context.databaseLabel)),
            ("backups", .array(files.map(json))),
        ]))
        return (backups.directory, backups.keep,
                files.map { [$0.fileName, BackupSupport.size($0.size), $0.versionLabel ?? "?", $0.createdAtText] })
    }

    /// `strata restore FILE`: a safety dump, then the whole database replaced in one transaction.
    static func restore(_ context: CommandContext, file: String) async throws {
        let backups = try backups(context)
        try context.confirmIfProtected("""
            Restore \(context.databaseLabel) from \(file).
            Every schema of the database is replaced; the current state is dumped to \(backups.directory) first.
            """)
        let version = await currentVersion(context)
        let result = try await RunLock.with(context) {
            try backups.restore(from: file, currentVersionLabel: version)
        }
        let console = context.console
        console.json(.object([
            ("database", .string(context.databaseLabel)),
            ("restored", json(result.restored)),
            ("safety_backup", json(result.safetyBackup)),
        ]))
        console.line("Restored \(context.databaseLabel) from \(result.restored.path)"
                     + (result.restored.versionLabel.map { " (taken at version \($0))" } ?? ""))
        console.line("The database as it was (version \(result.safetyBackup.versionLabel ?? "0")) is saved in \(result.safetyBackup.path)")
        console.progress("Next: `strata status` shows the restored version and what is pending")
    }

    /// `{"path", "size", "version", "created_at", "compressed"}`, as for SQLite backups.
    static func json(_ file: PostgresBackup) -> JSONValue {
        BackupSupport.json(path: file.path, size: file.size, version: file.versionLabel, createdAt: file.createdAtText,
                           compressed: true)
    }
}
