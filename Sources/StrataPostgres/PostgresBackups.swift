import Foundation
import Strata
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One backup of a PostgreSQL database: a `pg_dump -Fc` archive.
public struct PostgresBackup: Sendable, Hashable {
    /// The file's path.
    public var path: String
    /// The file's size in bytes.
    public var size: Int
    /// The version the database was at, from the file name (`0` for none, `unknown` when the
    /// history could not be read).
    public var versionLabel: String?
    /// When it was taken (UTC, ISO-8601 with milliseconds), from the file name.
    public var createdAtText: String
    /// Why it was taken (`pre-migration`, `pre-restore`, `manual`), for backups made in this process.
    public var reason: String?

    /// Creates a description of a backup.
    public init(path: String, size: Int, versionLabel: String?, createdAtText: String, reason: String? = nil) {
        self.path = path
        self.size = size
        self.versionLabel = versionLabel
        self.createdAtText = createdAtText
        self.reason = reason
    }

    /// The file name without its directory.
    public var fileName: String { (path as NSString).lastPathComponent }
}

/// Backups of one PostgreSQL database with the PostgreSQL client programs: `pg_dump -Fc` to
/// create them, `pg_restore` (through `psql`) to restore one.
///
/// ```swift
/// let backups = PostgresBackups(settings: settings, directory: "backups", keep: 10,
///                               searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "")
/// if backups.isAvailable {
///     let file = try backups.create(label: "003", reason: "pre-migration")
///     // backups/app_pre_v003_20261121T104000123Z.dump
/// }
/// ```
///
/// - Names are `<database>_pre_v<version>_<UTC YYYYMMDDTHHMMSSmmmZ>.dump`; after each backup only
///   the newest ``keep`` of that database remain.
/// - Each dump is written to a hidden file created with mode `0600` and renamed when `pg_dump`
///   succeeded; hidden files left by interrupted backups are deleted after an hour
///   (``BackupTemporaryFiles``). The connection goes to the programs through `PGHOST`, `PGPORT`, `PGUSER`,
///   `PGDATABASE`, `PGSSLMODE` and `PGPASSWORD` in their environment, never on their command line.
/// - ``restore(from:currentVersionLabel:)`` replaces the whole database: a safety dump first,
///   then, in one transaction, every schema is dropped and the archive's contents recreated.
public struct PostgresBackups: Sendable {
    /// The database.
    public let settings: PostgresConnectionSettings
    /// Where backups go (created with mode `0700`).
    public let directory: String
    /// How many backups of this database to keep.
    public let keep: Int
    /// `pg_dump`, when found on the search path.
    public let pgDump: String?
    /// `pg_restore`, when found.
    public let pgRestore: String?
    /// `psql`, when found (restores run the archive through it in one transaction).
    public let psql: String?

    /// Configures backups.
    /// - Parameters:
    ///   - settings: The database.
    ///   - directory: The backups directory (default `backups`).
    ///   - keep: How many to keep (values below 1 count as 1).
    ///   - searchPath: Where to look for the client programs (the `PATH` value).
    public init(settings: PostgresConnectionSettings, directory: String? = nil, keep: Int = 10, searchPath: String) {
        self.settings = settings
        self.directory = (directory?.isEmpty ?? true) ? "backups" : directory!
        self.keep = max(1, keep)
        pgDump = PostgresClientPrograms.find("pg_dump", in: searchPath)
        pgRestore = PostgresClientPrograms.find("pg_restore", in: searchPath)
        psql = PostgresClientPrograms.find("psql", in: searchPath)
    }

    /// Whether `pg_dump` was found, so backups can be taken.
    public var isAvailable: Bool { pgDump != nil }

    // MARK: - Create

    /// Dumps the database into ``directory`` and prunes old backups to ``keep``.
    /// - Throws: ``StrataError`` `.configuration` when `pg_dump` is missing or the directory
    ///   cannot be written; `.database` when `pg_dump` fails (its message, password-free).
    public func create(label version: String?, reason: String) throws(StrataError) -> PostgresBackup {
        try create(label: version, reason: reason, protecting: [])
    }

    private func create(label version: String?, reason: String, protecting: Set<String>) throws(StrataError) -> PostgresBackup {
        try makeDirectory(directory)
        let label = Self.sanitize(version)
        let stamp = Self.stamp()
        let path = (directory as NSString).appendingPathComponent("\(Self.stem(settings.database))_pre_v\(label)_\(stamp).dump")
        let backup = try dump(to: path, label: label, stamp: stamp, reason: reason)
        _ = try? prune(protecting: protecting.union([path]))
        return backup
    }

    /// Dumps the database to exactly `destination` (no pruning); an existing file is replaced.
    public func create(at destination: String, label version: String?, reason: String) throws(StrataError) -> PostgresBackup {
        let parent = (destination as NSString).deletingLastPathComponent
        if !parent.isEmpty { try makeDirectory(parent) }
        return try dump(to: destination, label: Self.sanitize(version), stamp: Self.stamp(), reason: reason)
    }

    private func dump(to path: String, label: String, stamp: String, reason: String) throws(StrataError) -> PostgresBackup {
        guard let pgDump else {
            throw StrataError(.configuration, "pg_dump was not found on the PATH, so no backup can be taken",
                              hint: "install the PostgreSQL client programs (Debian: apt-get install postgresql-client)")
        }
        let parent = (path as NSString).deletingLastPathComponent
        let temp = BackupTemporaryFiles.path(in: parent.isEmpty ? "." : parent, for: (path as NSString).lastPathComponent)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw StrataError(.configuration, "cannot create the backup file \(temp): \(String(cString: strerror(errno)))",
                              hint: "check that \(parent.isEmpty ? "." : parent) is writable")
        }
        fchmod(fd, 0o600)
        close(fd)
        let result = PostgresClientPrograms.run(pgDump, ["--format=custom", "--no-password", "--file=\(temp)"], environment: clientEnvironment)
        guard result.status == 0 else {
            unlink(temp)
            throw StrataError(.database, "pg_dump could not back up \(settings.redactedURL): \(Self.firstLines(result.stderr))",
                              hint: PostgresErrors.clientProgramHint(result.stderr, settings: settings)
                                  ?? "check that pg_dump's version is at least the server's, and that the user may read every table")
        }
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw StrataError(.configuration, "cannot name the backup \(path): \(String(cString: strerror(errno)))")
        }
        return PostgresBackup(path: path, size: Self.fileSize(path), versionLabel: label,
                              createdAtText: Self.isoText(stamp: stamp) ?? Timestamp.now(), reason: reason)
    }

    // MARK: - List and prune

    /// This database's backups in ``directory``, newest first; empty when there is none.
    public func list() throws(StrataError) -> [PostgresBackup] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            // Missing: no backups yet. Present but unreadable, or not a directory: an error.
            guard FileManager.default.fileExists(atPath: directory) else { return [] }
            throw StrataError(.configuration, "cannot read the backups directory \(directory)",
                              hint: "`backups.dir` in strata.yml must name a directory this user can read")
        }
        let prefix = "\(Self.stem(settings.database))_pre_v"
        var found: [(PostgresBackup, String)] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".dump") {
            let core = name.dropFirst(prefix.count).dropLast(".dump".count)
            guard let underscore = core.lastIndex(of: "_") else { continue }
            let stamp = String(core[core.index(after: underscore)...])
            guard let created = Self.isoText(stamp: stamp) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            found.append((PostgresBackup(path: path, size: Self.fileSize(path), versionLabel: String(core[..<underscore]),
                                         createdAtText: created), stamp))
        }
        found.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.path > $1.0.path }
        return found.map(\.0)
    }

    /// Deletes all but the newest ``keep`` backups (never those in `protecting`), and the
    /// temporary files of interrupted backups of this database untouched for an hour
    /// (``BackupTemporaryFiles``).
    @discardableResult
    public func prune(protecting: Set<String> = []) throws(StrataError) -> [String] {
        var removed = BackupTemporaryFiles.removeStale(in: directory, backupPrefix: "\(Self.stem(settings.database))_pre_v")
        for backup in try list().dropFirst(keep) where !protecting.contains(backup.path) {
            guard unlink(backup.path) == 0 else {
                throw StrataError(.configuration, "cannot delete the old backup \(backup.path): \(String(cString: strerror(errno)))")
            }
            removed.append(backup.path)
        }
        return removed
    }

    // MARK: - Restore

    /// Replaces the database's contents with an archive made by ``create(label:reason:)`` (or any
    /// `pg_dump -Fc`), after a safety dump of the current state (reason `pre-restore`).
    ///
    /// The archive is turned into SQL by `pg_restore --clean --if-exists --no-owner`, preceded by
    /// `DROP SCHEMA … CASCADE` for every schema of the database (so objects made after the backup
    /// go too), and run by `psql --single-transaction` with `ON_ERROR_STOP`: either the whole
    /// restore commits, or nothing changes.
    /// - Throws: ``StrataError`` `.configuration` when a program is missing or the file is not a
    ///   readable archive; `.database` when the restore fails (the database is unchanged).
    public func restore(from file: String, currentVersionLabel: String?) throws(StrataError)
        -> (restored: PostgresBackup, safetyBackup: PostgresBackup) {
        guard let pgRestore, let psql else {
            throw StrataError(.configuration, "pg_restore and psql are needed to restore, and \(pgRestore == nil ? "pg_restore" : "psql") was not found on the PATH",
                              hint: "install the PostgreSQL client programs (Debian: apt-get install postgresql-client)")
        }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw StrataError(.configuration, "cannot read the backup file \(file)", hint: "`strata backups` lists the backups")
        }
        let script = PostgresClientPrograms.run(pgRestore, ["--clean", "--if-exists", "--no-owner", "--file=-", file])
        guard script.status == 0 else {
            throw StrataError(.configuration, "\(file) is not a backup pg_restore can read: \(Self.firstLines(script.stderr))",
                              hint: "give a .dump file made by `strata backup` or `pg_dump -Fc`")
        }
        let safety = try create(label: currentVersionLabel, reason: "pre-restore", protecting: [file])
        let prelude = PostgresClientPrograms.run(psql, ["-X", "-q", "-A", "-t", "--no-password", "-c", Self.preludeQuery],
                               environment: clientEnvironment)
        guard prelude.status == 0 else {
            throw StrataError(.database, "cannot read the schemas of \(settings.redactedURL): \(Self.firstLines(prelude.stderr))")
        }
        let sql = ["SET client_min_messages = warning;", prelude.stdout, script.stdout].joined(separator: "\n")
        let applied = PostgresClientPrograms.run(psql, ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"],
                               environment: clientEnvironment, stdin: sql)
        guard applied.status == 0 else {
            throw StrataError(.database, "restoring \(file) failed, so nothing was changed: \(Self.firstLines(applied.stderr))",
                              hint: "the database is as it was; the safety backup is \(safety.path)")
        }
        let name = (file as NSString).lastPathComponent
        let prefix = "\(Self.stem(settings.database))_pre_v"
        var label: String?
        if name.hasPrefix(prefix), let underscore = name.dropFirst(prefix.count).lastIndex(of: "_") {
            label = String(name.dropFirst(prefix.count)[..<underscore])
        }
        let restored = PostgresBackup(path: file, size: Self.fileSize(file), versionLabel: label,
                                      createdAtText: Self.modificationText(file), reason: nil)
        return (restored, safety)
    }

    /// The statements that empty the database before a restore: every schema dropped with its
    /// contents, then `public` (which dumps assume to exist) made again with its owner and grants.
    static let preludeQuery = """
        SELECT line FROM (
            SELECT 1 AS o, nspname::text AS n, format('DROP SCHEMA IF EXISTS %I CASCADE;', nspname) AS line
            FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
            UNION ALL
            SELECT 2, '', 'CREATE SCHEMA public;' FROM pg_namespace WHERE nspname = 'public'
            UNION ALL
            SELECT 3, '', format('ALTER SCHEMA public OWNER TO %s;', nspowner::regrole) FROM pg_namespace WHERE nspname = 'public'
            UNION ALL
            SELECT 4, a.privilege_type, format('GRANT %s ON SCHEMA public TO %s;', a.privilege_type,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END)
            FROM pg_namespace, aclexplode(nspacl) AS a WHERE nspname = 'public'
        ) AS prelude ORDER BY o, n
        """

    // MARK: - Helpers

    /// The environment that points the client programs at the database (password included:
    /// the environment is private to the child process, unlike its arguments).
    var clientEnvironment: [String: String] {
        var env = ["PGUSER": settings.user, "PGDATABASE": settings.database, "PGPORT": String(settings.port),
                   "PGHOST": settings.socketDirectory ?? settings.host ?? "localhost",
                   "PGSSLMODE": settings.sslMode.rawValue, "PGAPPNAME": "strata backup",
                   "PGCONNECT_TIMEOUT": String(settings.connectTimeout)]
        if let password = settings.password { env["PGPASSWORD"] = password }
        if let root = settings.sslRootCertificate { env["PGSSLROOTCERT"] = root }
        return env
    }

    private func makeDirectory(_ path: String) throws(StrataError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StrataError(.configuration, "the backups directory \(path) is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StrataError(.configuration, "cannot create the backups directory \(path): \(error.localizedDescription)",
                              hint: "create it, or set `backups.dir` in strata.yml")
        }
    }

    /// The database name as a file-name prefix: anything but letters, digits, `.`, `_`, `-` becomes `-`.
    static func stem(_ database: String) -> String { sanitize(database) }

    /// `0` for `nil` or empty; anything but letters, digits, `.`, `_` and `-` becomes `-`.
    static func sanitize(_ version: String?) -> String {
        guard let version, !version.isEmpty else { return "0" }
        return String(version.map { c in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
        })
    }

    /// Now as `YYYYMMDDTHHMMSSmmmZ`.
    static func stamp() -> String {
        let digits = Timestamp.now().filter(\.isNumber)   // YYYYMMDDHHMMSSmmm
        return String(digits.prefix(8)) + "T" + String(digits.dropFirst(8)) + "Z"
    }

    /// `YYYYMMDDTHHMMSSmmmZ` as `YYYY-MM-DDTHH:MM:SS.mmmZ`; `nil` when it is not one.
    static func isoText(stamp: String) -> String? {
        let c = Array(stamp)
        guard c.count == 19, c[8] == "T", c[18] == "Z",
              c.enumerated().allSatisfy({ $0.offset == 8 || $0.offset == 18 || $0.element.isASCII && $0.element.isNumber })
        else { return nil }
        let s = String(c)
        func part(_ from: Int, _ count: Int) -> Substring {
            s.dropFirst(from).prefix(count)
        }
        return "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(9, 2)):\(part(11, 2)):\(part(13, 2)).\(part(15, 3))Z"
    }

    private static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    private static func modificationText(_ path: String) -> String {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
            return Timestamp.now()
        }
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        return Timestamp.format(seconds: Int(ms / 1000), milliseconds: Int(ms % 1000))
    }

    private static func firstLines(_ text: String) -> String {
        let lines = text.split(separator: "\n").prefix(3).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.isEmpty ? "no message" : lines.joined(separator: "; ")
    }
}
