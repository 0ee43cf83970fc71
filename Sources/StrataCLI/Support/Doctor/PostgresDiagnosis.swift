import Foundation
import Strata
import StrataPostgres

/// PostgreSQL's part of `strata doctor`: the server (version, standby or not), who is connected
/// to which database and schema, whether that role can create Strata's tables there, the
/// features migrations may need (each compared with the server's version, and failed when a
/// migration uses one the server lacks), the advisory runner lock (free, or held by whom), and
/// backups (`pg_dump`/`pg_restore` on the PATH, the backups directory). A server that cannot be
/// reached is one failed check with the connection error and its hint.
struct PostgresDiagnosis: EngineDiagnosis {
    /// A feature some migrations need, available from a server version on.
    struct Feature: Sendable {
        var name: String
        /// `server_version_num` of the first version that has it (`120000` for 12).
        var since: Int
        /// Matches migration SQL that uses the feature (upper-cased text).
        var usage: String?
        /// Shown when supported.
        var note: String
        var hint: String
    }

    static let features: [Feature] = [
        Feature(name: "transactional DDL", since: 0, usage: nil,
                note: "each migration's DDL commits with its history row, or not at all",
                hint: ""),
        Feature(name: "CREATE INDEX CONCURRENTLY", since: 80200, usage: #"CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY"#,
                note: "runs outside a transaction: Strata detects it, or mark the file -- strata:no-transaction",
                hint: "use a plain CREATE INDEX"),
        Feature(name: "fast ADD COLUMN … DEFAULT", since: 110000, usage: nil,
                note: "adding a column with a constant default rewrites no rows",
                hint: "on PostgreSQL 10 and older such an ALTER TABLE rewrites the table under an exclusive lock"),
        Feature(name: "generated columns", since: 120000, usage: #"GENERATED\s+ALWAYS\s+AS\s*\("#,
                note: "GENERATED ALWAYS AS (…) STORED", hint: "compute the value in a trigger, or upgrade to PostgreSQL 12"),
        Feature(name: "REINDEX CONCURRENTLY", since: 120000, usage: #"REINDEX\s+(\([^)]*\)\s*)?\w+\s+CONCURRENTLY"#,
                note: "rebuilds an index without blocking writes", hint: "create a new index concurrently and drop the old one"),
        Feature(name: "MERGE", since: 150000, usage: #"(^|;)\s*MERGE\s+INTO\b"#,
                note: "MERGE INTO … USING …", hint: "use INSERT … ON CONFLICT, or upgrade to PostgreSQL 15"),
        Feature(name: "NULLS NOT DISTINCT", since: 150000, usage: #"NULLS\s+NOT\s+DISTINCT"#,
                note: "unique constraints treating NULLs as equal", hint: "use a partial unique index, or upgrade to PostgreSQL 15"),
    ]

    func sections(_ context: CommandContext, migrations: [Migration]) async -> [DoctorSection] {
        let driver: PostgresDriver
        do {
            guard let opened = try context.openDriver(mutating: false) as? PostgresDriver else {
                return [DoctorSection(title: "Engine", checks: [DoctorCheck(
                    name: "postgresql", status: .failed, summary: "no PostgreSQL driver for \(context.database.redacted)")])]
            }
            driver = opened
        } catch {
            return [DoctorSection(title: "Engine", checks: [ProjectDiagnosis.failure("postgresql", error, context: "invalid database URL")])]
        }
        let facts: PostgresSessionFacts
        do {
            facts = try await driver.sessionFacts()
        } catch {
            await driver.close()
            return [
                DoctorSection(title: "Engine", checks: [ProjectDiagnosis.failure("postgresql", error, context: "PostgreSQL")]),
                backups(context),
            ]
        }
        let sections = [
            engine(facts, migrations),
            database(facts),
            DoctorSection(title: "Lock", checks: [await lock(driver)]),
            backups(context),
        ]
        await driver.close()
        return sections
    }

    // MARK: - Engine

    private func engine(_ facts: PostgresSessionFacts, _ migrations: [Migration]) -> DoctorSection {
        var checks = [DoctorCheck(name: "postgresql", status: .ok, summary: "PostgreSQL \(facts.serverVersion)")]
        if facts.inRecovery {
            checks.append(DoctorCheck(name: "role", status: .failed, summary: "the server is a standby in recovery: read-only",
                                      hint: "point --database at the primary server"))
        }
        let sources = UnsupportedFeatureCheck.scripts(of: migrations)
        for feature in Self.features {
            if facts.serverVersionNumber >= feature.since {
                checks.append(DoctorCheck(name: feature.name, status: .ok,
                                          summary: "supported" + (feature.since > 0 ? " (since \(Self.versionName(feature.since)))" : "")
                                              + "; \(feature.note)"))
                continue
            }
            checks.append(UnsupportedFeatureCheck.check(name: feature.name, needs: "PostgreSQL \(Self.versionName(feature.since))",
                                                         usage: feature.usage, in: sources, unusedStatus: .info, hint: feature.hint))
        }
        return DoctorSection(title: "Engine", checks: checks)
    }

    /// `120000` → `12`, `90600` → `9.6`, `80200` → `8.2`.
    static func versionName(_ number: Int) -> String {
        number >= 100000 ? "\(number / 10000)" : "\(number / 10000).\(number / 100 % 100)"
    }

    // MARK: - Database

    private func database(_ facts: PostgresSessionFacts) -> DoctorSection {
        var checks = [DoctorCheck(name: "session", status: .ok,
                                  summary: "user \(facts.user)\(facts.isSuperuser ? " (superuser)" : "") on database \(facts.database)")]
        let place = facts.schemaExists ? "schema \(facts.schema)" : "schema \(facts.schema) (does not exist yet; the first run creates it)"
        checks.append(DoctorCheck(
            name: "schema", status: facts.canCreateInSchema ? .ok : .failed,
            summary: "\(place): \(facts.user) \(facts.canCreateInSchema ? "may" : "may not") create tables there",
            hint: facts.canCreateInSchema ? nil
                : facts.schemaExists
                    ? "as the schema's owner: GRANT CREATE ON SCHEMA \(SQLQuoting.identifier(facts.schema)) TO \(SQLQuoting.identifier(facts.user));"
                    : "as the database's owner: GRANT CREATE ON DATABASE \(SQLQuoting.identifier(facts.database)) TO \(SQLQuoting.identifier(facts.user)); or create the schema first"))
        return DoctorSection(title: "Database", checks: checks)
    }

    // MARK: - Lock

    private func lock(_ driver: PostgresDriver) async -> DoctorCheck {
        do {
            guard let holder = try await driver.runnerLockHolder() else {
                return DoctorCheck(name: "lock", status: .ok, summary: "free (no session holds Strata's advisory lock)")
            }
            return DoctorCheck(name: "lock", status: .warning, summary: "held by \(holder) (a runner is migrating now)",
                               hint: "mutating commands wait up to --lock-timeout seconds for it, then exit 4; "
                                   + "a runner that died releases it when its session ends (SELECT pg_terminate_backend(pid))")
        } catch {
            return ProjectDiagnosis.failure("lock", error, context: "cannot read the advisory locks")
        }
    }

    // MARK: - Backups

    private func backups(_ context: CommandContext) -> DoctorSection {
        let backups: PostgresBackups
        do {
            backups = try PostgresBackupSupport.backups(context)
        } catch {
            return DoctorSection(title: "Backups", checks: [ProjectDiagnosis.failure("backups", error, context: "backups settings")])
        }
        var checks: [DoctorCheck] = []
        for (name, path, use) in [("pg_dump", backups.pgDump, "backups before each change and `strata backup`"),
                                  ("pg_restore", backups.pgRestore, "`strata restore`")] {
            checks.append(DoctorCheck(
                name: name, status: path == nil ? .warning : .ok,
                summary: path.map { "\($0)\(Self.programVersion($0).map { " (\($0))" } ?? "")" } ?? "not found on the PATH: no \(use)",
                hint: path == nil ? "install the PostgreSQL client programs (Debian: apt-get install postgresql-client) of the server's major version or newer" : nil))
        }
        let (directoryCheck, exists) = BackupDirectoryCheck.check(backups.directory, keep: backups.keep)
        checks.append(directoryCheck)
        guard exists else { return DoctorSection(title: "Backups", checks: checks) }
        checks.append(BackupDirectoryCheck.inventory {
            try backups.list().map { ($0.fileName, $0.createdAtText, $0.versionLabel) }
        })
        return DoctorSection(title: "Backups", checks: checks)
    }

    /// `pg_dump (PostgreSQL) 15.18` from `<program> --version`; `nil` when it cannot run.
    static func programVersion(_ path: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
