import ArgumentParser
import Foundation
import Strata
import StrataSQLite

extension StrataCommand {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Take a backup of the database now.",
            discussion: """
            SQLite: an online backup, consistent even while other processes write, checked with PRAGMA \
            integrity_check, to the backups directory (backups.dir in strata.yml, default `backups` \
            beside the database) as <name>_pre_v<version>_<UTC time>.db. PostgreSQL: pg_dump -Fc to \
            <database>_pre_v<version>_<UTC time>.dump in backups.dir (default `backups` in the current \
            directory). The newest backups.keep (default 10) are kept. Example: strata backup --compress
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Option(help: ArgumentHelp("Write the backup to exactly this file instead of the backups directory (no pruning).",
                                   valueName: "file"))
        var output: String?
        @Flag(help: "Compress the backup with gzip (default: backups.compress in strata.yml).") var compress = false

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                if context.database.engine == .postgres {
                    return try await PostgresBackupSupport.backup(context, output: output)
                }
                let backups = try BackupSupport.backups(context, compress: compress ? true : nil)
                let path = backups.databasePath
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StrataError(.database, "database \(path) does not exist, so there is nothing to back up",
                                      hint: "check the database given with --database (or the config file)")
                }
                let version = await BackupSupport.currentVersion(context)
                let file: BackupFile
                if let output {
                    file = try await backups.create(at: output, label: version, compress: backups.compress, reason: "manual")
                } else {
                    file = try await backups.create(label: version, reason: "manual")
                }
                let console = context.console
                console.json(.object([
                    ("database", .string(context.databaseLabel)),
                    ("backup", BackupSupport.json(file)),
                ]))
                console.line("Backed up \(context.databaseLabel) (version \(file.versionLabel ?? "0")) to \(file.path)")
                console.line("  \(BackupSupport.size(file.size))\(file.compressed ? ", gzip" : ""), integrity check ok")
                if output == nil {
                    console.progress("Keeping the newest \(backups.keep) backups in \(backups.directory)")
                }
            }
        }
    }

    struct Backups: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backups",
            abstract: "List the backups of the database, newest first.",
            discussion: "Example: strata backups --format json")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let console = context.console
                let listing: (directory: String, keep: Int, rows: [[String]])
                if context.database.engine == .postgres {
                    listing = try PostgresBackupSupport.list(context)
                } else {
                    let backups = try BackupSupport.backups(context, compress: nil)
                    let files = try backups.list()
                    console.json(.object([
                        ("database", .string(context.databaseLabel)),
                        ("backups", .array(files.map(BackupSupport.json))),
                    ]))
                    listing = (backups.directory, backups.keep,
                               files.map { f in [f.fileName, BackupSupport.size(f.size), f.versionLabel ?? "?", f.createdAtText] })
                }
                let (directory, keep, rows) = listing
                console.line("Backups of \(context.databaseLabel) in \(directory) (\(rows.count), keeping the newest \(keep)):")
                if rows.isEmpty {
                    console.line("  (none; `strata backup` takes one)")
                    return
                }
                var table = TextTable([TextTable.Column("FILE"), TextTable.Column("SIZE", alignRight: true),
                                       TextTable.Column("VERSION"), TextTable.Column("CREATED (UTC)")], indent: "  ")
                for row in rows { table.add(row) }
                console.table(table)
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Replace the database with a backup.",
            discussion: """
            SQLite: the file (.db, or .db.gz) must pass PRAGMA integrity_check; the current database is \
            backed up first (reason pre-restore), then replaced atomically, and its stale -wal and \
            -shm files are removed. PostgreSQL: a pg_dump first, then every schema is replaced by the \
            .dump file's contents in one transaction (pg_restore through psql). Stop the applications \
            using the database first. \
            Example: strata restore backups/app_pre_v003_20261121T104000123Z.db
            """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Argument(help: ArgumentHelp("The backup file to restore.", valueName: "file")) var file: String

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                if context.database.engine == .postgres {
                    return try await PostgresBackupSupport.restore(context, file: file)
                }
                let backups = try BackupSupport.backups(context, compress: nil)
                let path = backups.databasePath
                let exists = FileManager.default.fileExists(atPath: path)
                try context.confirmIfProtected("""
                    Restore \(context.databaseLabel) from \(file).
                    \(exists ? "The current database is backed up to \(backups.directory) first, then replaced." : "The database does not exist yet; it is created from the backup.")
                    """)
                let version = exists ? await BackupSupport.currentVersion(context) : nil
                // Refuses (exit 4 after --lock-timeout) while another runner is migrating.
                let result = try await RunLock.with(context) {
                    try await backups.restore(from: file, currentVersionLabel: version)
                }
                let console = context.console
                console.json(.object([
                    ("database", .string(context.databaseLabel)),
                    ("restored", BackupSupport.json(result.restored)),
                    ("safety_backup", result.safetyBackup.map(BackupSupport.json) ?? .null),
                ]))
                let restored = result.restored
                console.line("Restored \(context.databaseLabel) from \(restored.path)"
                             + (restored.versionLabel.map { " (taken at version \($0), \(restored.createdAtText))" } ?? ""))
                if let safety = result.safetyBackup {
                    if safety.damaged {
                        console.warning("the database being replaced failed its integrity check; its files were copied as they were to \(safety.path)")
                    } else {
                        console.line("The database as it was (version \(safety.versionLabel ?? "0")) is saved in \(safety.path)")
                    }
                }
                console.progress("Next: `strata status` shows the restored version and what is pending")
            }
        }
    }
}

/// Shared pieces of `backup`, `backups` and `restore`.
enum BackupSupport {
    /// The backups of the context's SQLite database, configured from `strata.yml` (`backups`).
    /// - Throws: ``StrataError`` `.configuration` for PostgreSQL (not supported yet) and a bad `keep`.
    /// (The backup before a change is the library's: `DatabaseDriver.backUp`, called by `Migrator`.)
    static func backups(_ context: CommandContext, compress: Bool?) throws(StrataError) -> SQLiteBackups {
        guard context.database.engine == .sqlite, let path = context.database.path else {
            throw StrataError(.configuration, "backups are not supported for PostgreSQL yet (\(context.database.redacted))",
                              hint: "use pg_dump and pg_restore; `strata backup`, `backups` and `restore` work with SQLite databases")
        }
        let settings = context.config.backups
        if let keep = settings.keep, keep < 1 {
            throw StrataError(.configuration, "backups.keep must be at least 1 (it is \(keep))",
                              hint: "set `backups: { keep: 10 }` in strata.yml")
        }
        return SQLiteBackups(databasePath: path, directory: settings.dir, keep: settings.keep ?? 10,
                             compress: compress ?? settings.compress ?? false,
                             busyTimeout: context.lockTimeout)
    }

    /// The database's current version for a backup's name: `nil` when nothing is applied,
    /// `unknown` when the history cannot be read (a damaged database, for example).
    static func currentVersion(_ context: CommandContext) async -> String? {
        guard let path = context.database.path else { return nil }
        do {
            let driver = try SQLiteDriver.open(path: path, historyTable: context.historyTable,
                                               logTable: StrataInfo.logTable(forHistoryTable: context.historyTable),
                                               createIfMissing: false, readOnly: true,
                                               busyTimeout: context.lockTimeout)
            let records: [HistoryRecord]
            do {
                records = try await driver.history()
            } catch {
                await driver.close()
                return "unknown"
            }
            await driver.close()
            return Planner(migrations: [], records: records, engine: .sqlite, historyTable: context.historyTable).currentVersion
        } catch {
            return "unknown"
        }
    }

    /// `{"path", "size", "version", "created_at", "compressed"}`.
    static func json(_ file: BackupFile) -> JSONValue {
        json(path: file.path, size: file.size, version: file.versionLabel, createdAt: file.createdAtText,
             compressed: file.compressed)
    }

    /// `{"path", "size", "version", "created_at", "compressed"}` of any engine's backup.
    static func json(path: String, size: Int, version: String?, createdAt: String, compressed: Bool) -> JSONValue {
        .object([
            ("path", .string(path)),
            ("size", .int(size)),
            ("version", .optional(version)),
            ("created_at", .string(createdAt)),
            ("compressed", .bool(compressed)),
        ])
    }

    /// `812 B`, `12.0 KiB`, `3.4 MiB`.
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" { return String(format: "%.1f", value) + " " + unit }
            value /= 1024
        }
        return "\(bytes) B"
    }
}
