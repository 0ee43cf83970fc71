import Foundation
import Strata
import StrataSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SQLite's part of `strata doctor`: the library's version and features (each probed on an
/// in-memory database), the database file and its directory (owner, mode, writable by this
/// user, SQLite header), the runner lock file (free, held, stale), and the backups directory.
struct SQLiteDiagnosis: EngineDiagnosis {
    /// A feature some migrations need, probed by running SQL that uses it.
    struct Feature: Sendable {
        var name: String
        /// The SQLite version that introduced it.
        var since: String
        var probe: String
        /// Matches migration SQL that uses the feature (upper-cased text).
        var usage: String?
        var hint: String
    }

    static let features: [Feature] = [
        Feature(name: "DROP COLUMN", since: "3.35.0", probe: "CREATE TABLE f1(a, b); ALTER TABLE f1 DROP COLUMN b;",
                usage: #"ALTER\s+TABLE\s+\S+\s+DROP\s+(COLUMN\s+)?"#,
                hint: "rebuild the table instead (create x_new, copy, drop x, rename), or upgrade SQLite"),
        Feature(name: "RENAME COLUMN", since: "3.25.0", probe: "CREATE TABLE f2(a); ALTER TABLE f2 RENAME COLUMN a TO b;",
                usage: #"RENAME\s+COLUMN"#, hint: "rebuild the table instead, or upgrade SQLite"),
        Feature(name: "RETURNING", since: "3.35.0", probe: "CREATE TABLE f3(a); INSERT INTO f3 VALUES (1) RETURNING a;",
                usage: #"\bRETURNING\b"#, hint: "query the rows in a separate statement, or upgrade SQLite"),
        Feature(name: "STRICT tables", since: "3.37.0", probe: "CREATE TABLE f4(a INTEGER) STRICT;",
                usage: #"\)\s*STRICT\b"#, hint: "drop STRICT (add CHECK constraints on types), or upgrade SQLite"),
        Feature(name: "generated columns", since: "3.31.0", probe: "CREATE TABLE f5(a, b AS (a + 1));",
                usage: #"\bGENERATED\s+ALWAYS\b"#, hint: "compute the value in a trigger or view, or upgrade SQLite"),
        Feature(name: "UPSERT", since: "3.24.0",
                probe: "CREATE TABLE f6(a PRIMARY KEY); INSERT INTO f6 VALUES (1) ON CONFLICT(a) DO NOTHING;",
                usage: #"ON\s+CONFLICT\s*\("#, hint: "use INSERT OR IGNORE / OR REPLACE, or upgrade SQLite"),
        Feature(name: "JSON functions", since: "3.38.0", probe: "SELECT json('{}');",
                usage: #"\bJSON(_[A-Z]+)?\s*\("#, hint: "use SQLite 3.38 or later, or one built with the JSON1 extension"),
    ]

    func sections(_ context: CommandContext, migrations: [Migration]) async -> [DoctorSection] {
        guard let path = context.database.path else {
            return [DoctorSection(title: "Database", checks: [DoctorCheck(name: "file", status: .failed,
                                                                          summary: "no file path in \(context.database.redacted)")])]
        }
        return [
            await engine(migrations),
            database(path),
            DoctorSection(title: "Lock", checks: [Self.lockCheck(databasePath: path)]),
            backups(context),
        ]
    }

    // MARK: - Engine

    private func engine(_ migrations: [Migration]) async -> DoctorSection {
        let memory: SQLiteDriver
        do {
            memory = try SQLiteDriver.open(path: ":memory:", createIfMissing: true)
        } catch {
            return DoctorSection(title: "Engine", checks: [ProjectDiagnosis.failure("sqlite", error, context: "cannot open SQLite")])
        }
        var checks = [DoctorCheck(name: "sqlite", status: .ok, summary: "SQLite \(memory.sqliteVersion)")]
        let sources = migrations.flatMap { m in [m.up, m.downScript].compactMap { $0 } }
        for feature in Self.features {
            var supported = true
            do {
                try await memory.executeRaw(feature.probe)
            } catch {
                supported = false
            }
            if supported {
                checks.append(DoctorCheck(name: feature.name, status: .ok, summary: "supported (since \(feature.since))"))
                continue
            }
            let users = feature.usage.map { pattern in
                sources.filter { $0.sql.uppercased().range(of: pattern, options: .regularExpression) != nil }.map(\.path)
            } ?? []
            checks.append(DoctorCheck(
                name: feature.name, status: users.isEmpty ? .warning : .failed,
                summary: "not supported (needs SQLite \(feature.since))"
                    + (users.isEmpty ? "" : "; used by \(users.count) migration file\(users.count == 1 ? "" : "s")"),
                details: Array(users.prefix(5)), hint: feature.hint))
        }
        await memory.close()
        return DoctorSection(title: "Engine", checks: checks)
    }

    // MARK: - Database file

    private func database(_ path: String) -> DoctorSection {
        var checks: [DoctorCheck] = []
        let directory = Self.directory(of: path)
        var info = stat()
        if lstat(path, &info) != 0 {
            checks.append(DoctorCheck(name: "file", status: .info, summary: "\(path) does not exist yet; `strata up` creates it"))
        } else {
            checks.append(Self.fileCheck(path, info))
            if (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFLNK {
                checks.append(Self.headerCheck(path))
            }
        }
        checks.append(Self.directoryCheck(directory))
        return DoctorSection(title: "Database", checks: checks)
    }

    static func directory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// Owner, mode and size of the database file, and whether this user may read and write it.
    static func fileCheck(_ path: String, _ linkInfo: stat) -> DoctorCheck {
        var info = linkInfo
        var notes: [String] = []
        if (linkInfo.st_mode & S_IFMT) == S_IFLNK {
            notes.append("a symbolic link to \((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")")
            guard stat(path, &info) == 0 else {
                return DoctorCheck(name: "file", status: .failed, summary: "\(path) is a broken symbolic link",
                                   hint: "point --database at the real file")
            }
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return DoctorCheck(name: "file", status: .failed, summary: "\(path) is not a regular file",
                               hint: "give the path of the database file")
        }
        let readable = access(path, R_OK) == 0
        let writable = access(path, W_OK) == 0
        let summary = "\(path): \(BackupSupport.size(Int(info.st_size))), \(describe(info)), "
            + (writable ? "readable and writable by \(currentUser())" : readable ? "read-only for \(currentUser())" : "not readable by \(currentUser())")
        return DoctorCheck(name: "file", status: writable ? .ok : .failed, summary: summary, details: notes,
                           hint: writable ? nil : "as its owner: `chmod 644 \(path)` (mutating commands need write access; SQLite also writes a journal next to it)")
    }

    /// Whether the file starts with SQLite's header, its page size and journal format.
    static func headerCheck(_ path: String) -> DoctorCheck {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return DoctorCheck(name: "format", status: .failed, summary: "cannot read \(path)",
                               hint: "give this user read access to the file")
        }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        if header.isEmpty {
            return DoctorCheck(name: "format", status: .info, summary: "empty file; SQLite treats it as a new database")
        }
        guard header.count >= 100, Array(header[0..<16]) == Array("SQLite format 3\0".utf8) else {
            return DoctorCheck(name: "format", status: .failed, summary: "\(path) is not a SQLite database (no SQLite header)",
                               hint: "check --database; to recover, `strata backups` then `strata restore <file>`")
        }
        let rawPageSize = Int(header[16]) << 8 | Int(header[17])
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        let wal = header[18] == 2 || header[19] == 2
        var details: [String] = []
        if FileManager.default.fileExists(atPath: path + "-wal") { details.append("\(path)-wal exists (WAL content not yet checkpointed, or a writer is active)") }
        if FileManager.default.fileExists(atPath: path + "-journal") {
            details.append("\(path)-journal exists: a rollback journal left by an interrupted write; SQLite rolls it back on next open")
        }
        return DoctorCheck(name: "format", status: .ok,
                           summary: "SQLite 3 database, page size \(pageSize), journal mode \(wal ? "WAL" : "rollback (delete/truncate/persist)")",
                           details: details)
    }

    /// The directory holds the journal, the lock file and the backups: it must be writable.
    static func directoryCheck(_ directory: String) -> DoctorCheck {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            return DoctorCheck(name: "directory", status: .failed, summary: "\(directory) does not exist",
                               hint: "create it: `mkdir -p \(directory)`")
        }
        let writable = access(directory, W_OK | X_OK) == 0
        return DoctorCheck(
            name: "directory", status: writable ? .ok : .failed,
            summary: "\(directory): \(describe(info)), \(writable ? "writable" : "not writable") by \(currentUser())",
            hint: writable ? nil : "SQLite writes its journal, and Strata its lock file and backups, next to the database: make \(directory) writable for \(currentUser())")
    }

    // MARK: - Lock

    /// The runner lock file: absent (free), held by a running runner, or stale.
    static func lockCheck(databasePath: String) -> DoctorCheck {
        let lockPath = SQLiteLockFile.lockPath(forDatabase: databasePath)
        var info = stat()
        guard lstat(lockPath, &info) == 0 else {
            return DoctorCheck(name: "lock", status: .ok, summary: "free (no lock file \(lockPath))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return DoctorCheck(name: "lock", status: .failed, summary: "\(lockPath) is not a regular file (Strata refuses to use it)",
                               hint: "remove it: `rm \(lockPath)`")
        }
        let fd = open(lockPath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            return DoctorCheck(name: "lock", status: .warning, summary: "\(lockPath) exists but cannot be read by \(currentUser())",
                               hint: "check who runs migrations here: `ls -l \(lockPath)`")
        }
        defer { close(fd) }
        let text = String(decoding: FileManager.default.contents(atPath: lockPath) ?? Data(), as: UTF8.self)
        let holder = LockHolder(parsing: text)
        // A shared, non-blocking flock fails exactly while a runner holds its exclusive one.
        if flock(fd, LOCK_SH | LOCK_NB) != 0 {
            return DoctorCheck(name: "lock", status: .warning, summary: "held by \(holder) (a runner is migrating now)",
                               details: ["lock file \(lockPath)"],
                               hint: "mutating commands wait up to --lock-timeout seconds for it, then exit 4")
        }
        flock(fd, LOCK_UN)
        if holder.isUnknown {
            return DoctorCheck(name: "lock", status: .info, summary: "free (an empty lock file \(lockPath) is left; the next run reuses it)")
        }
        var state = "its process is gone"
        if let pid = holder.pid, holder.hostname == nil || holder.hostname == RunIdentity.current().hostname {
            state = kill(pid, 0) == 0 || errno == EPERM ? "process \(pid) still runs but does not hold it" : "process \(pid) is gone"
        } else if let host = holder.hostname {
            state = "written on another host (\(host)); its process cannot be checked from here"
        }
        return DoctorCheck(name: "lock", status: .warning, summary: "stale: left by \(holder); \(state)",
                           details: ["lock file \(lockPath)"],
                           hint: "the next mutating command takes it over; or remove it: `rm \(lockPath)`")
    }

    // MARK: - Backups

    private func backups(_ context: CommandContext) -> DoctorSection {
        let settings: SQLiteBackups
        do {
            settings = try BackupSupport.backups(context, compress: nil)
        } catch {
            return DoctorSection(title: "Backups", checks: [ProjectDiagnosis.failure("backups", error, context: "backups settings")])
        }
        let dir = settings.directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else {
            let parent = Self.directory(of: dir)
            let creatable = access(parent, W_OK | X_OK) == 0
            return DoctorSection(title: "Backups", checks: [DoctorCheck(
                name: "directory", status: creatable ? .info : .failed,
                summary: "\(dir) does not exist yet; the first backup creates it" + (creatable ? "" : ", but \(parent) is not writable"),
                hint: creatable ? nil : "make \(parent) writable, or set backups.dir in strata.yml")])
        }
        guard isDirectory.boolValue else {
            return DoctorSection(title: "Backups", checks: [DoctorCheck(name: "directory", status: .failed,
                summary: "\(dir) is not a directory", hint: "set backups.dir in strata.yml to a directory")])
        }
        let writable = access(dir, W_OK | X_OK) == 0
        var checks = [DoctorCheck(name: "directory", status: writable ? .ok : .failed,
                                  summary: "\(dir): \(writable ? "writable" : "not writable") by \(Self.currentUser()), keeping the newest \(settings.keep)",
                                  hint: writable ? nil : "make \(dir) writable, or set backups.dir in strata.yml")]
        do {
            let files = try settings.list()
            if let newest = files.first {
                let age = Date().timeIntervalSince(newest.createdAt)
                checks.append(DoctorCheck(name: "backups", status: .ok,
                                          summary: "\(files.count) backup\(files.count == 1 ? "" : "s"); newest \(newest.fileName) (\(Self.age(age)) ago, version \(newest.versionLabel ?? "?"))"))
            } else {
                checks.append(DoctorCheck(name: "backups", status: .info, summary: "none yet; every mutating command takes one, or run `strata backup`"))
            }
        } catch {
            checks.append(ProjectDiagnosis.failure("backups", error, context: "cannot list backups"))
        }
        return DoctorSection(title: "Backups", checks: checks)
    }

    // MARK: - Formatting

    /// `owner alice, mode 0644`.
    static func describe(_ info: stat) -> String {
        "owner \(userName(info.st_uid)), mode \(String(format: "%04o", Int(info.st_mode & 0o7777)))"
    }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    static func currentUser() -> String { userName(geteuid()) }

    /// `12 s`, `5 min`, `3 h`, `4 days`.
    static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        if s < 86400 { return "\(s / 3600) h" }
        return "\(s / 86400) day\(s / 86400 == 1 ? "" : "s")"
    }
}
