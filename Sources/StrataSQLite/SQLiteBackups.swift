import Foundation
import GRDBSQLite
import Strata
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One backup file of an SQLite database, as ``SQLiteBackups`` creates, lists and restores them.
public struct BackupFile: Sendable, Hashable {
    /// The file's path.
    public var path: String
    /// The file's size in bytes (of the gzip stream when ``compressed``).
    public var size: Int
    /// The version the database was at when the backup was taken, as written in the file name
    /// (`0` for a database without applied migrations, `unknown` when it could not be read);
    /// `nil` when the name does not follow Strata's pattern.
    public var versionLabel: String?
    /// When the backup was taken: from the UTC timestamp in the file name, else the file's
    /// modification time.
    public var createdAt: Date
    /// Whether the file is gzip-compressed.
    public var compressed: Bool
    /// Why the backup was taken (`pre-migration`, `pre-restore`, `manual`, …), when known: only
    /// for backups created in this process.
    public var reason: String?
    /// Whether this is a byte-for-byte copy of a database that failed `PRAGMA integrity_check`
    /// (kept by ``SQLiteBackups/restore(from:currentVersionLabel:)`` before replacing a damaged
    /// database), rather than a checked online backup.
    public var damaged: Bool

    /// Creates a description of a backup file.
    public init(path: String, size: Int, versionLabel: String?, createdAt: Date, compressed: Bool,
                reason: String? = nil, damaged: Bool = false) {
        self.path = path
        self.size = size
        self.versionLabel = versionLabel
        self.createdAt = createdAt
        self.compressed = compressed
        self.reason = reason
        self.damaged = damaged
    }

    /// ``createdAt`` as ISO-8601 UTC with milliseconds, like the history: `2026-11-21T10:40:00.123Z`.
    public var createdAtText: String {
        let ms = Int64((createdAt.timeIntervalSince1970 * 1000).rounded())
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        return Timestamp.format(seconds: Int(seconds), milliseconds: Int(ms - seconds * 1000))
    }

    /// The file name without its directory.
    public var fileName: String { (path as NSString).lastPathComponent }
}

/// Online backups of one SQLite database file, their listing and pruning, and restoring one
/// (SPEC §5).
///
/// ```swift
/// let backups = SQLiteBackups(databasePath: "data/app.db")          // data/backups/, keep 10
/// let file = try await backups.create(label: "003", reason: "pre-migration")
/// // data/backups/app_pre_v003_20261121T104000123Z.db
/// for b in try backups.list() { print(b.path, b.size, b.versionLabel ?? "?") }
/// let (restored, safety) = try await backups.restore(from: file.path, currentVersionLabel: "004")
/// ```
///
/// - Each backup is a consistent snapshot even while other processes write, copied byte for byte
///   at the speed of `cp` while a second connection checks the same locked database: in
///   rollback-journal mode under SQLite's shared lock, which no commit can pass; in WAL mode under
///   the write lock (readers go on, writers wait up to ``busyTimeout`` for the copy), as the main
///   file with the WAL's committed frames written over it. A WAL this process cannot read, or a
///   database it may not lock for writing, is copied with SQLite's online backup API instead, and
///   the copy is checked.
/// - Each backup is written to a hidden temporary file in the backups directory, created with mode
///   `0600`, checked with `PRAGMA integrity_check`, optionally gzipped (by the `gzip` program),
///   and only then given its final name with `link(2)`, which never replaces or follows an
///   existing file or symbolic link.
/// - Names are `<database name without extension>_pre_v<version>_<UTC YYYYMMDDTHHMMSSmmmZ>.db`
///   (`.db.gz` when compressed); after each backup only the newest ``keep`` files of this pattern
///   remain. Two databases with the same name without extension share their backups' pattern, so
///   give them different backup directories.
/// - Nothing here takes Strata's runner lock: callers that change the database (restore, and
///   migrations that back up first) must hold it.
public struct SQLiteBackups: Sendable {
    /// The database file.
    public let databasePath: String
    /// The directory the backups are written to (created with mode `0700` when missing).
    public let directory: String
    /// How many backups of this database to keep; at least 1.
    public let keep: Int
    /// Whether new backups in ``directory`` are gzip-compressed.
    public let compress: Bool
    /// How long to wait for another connection's write lock, in seconds.
    public let busyTimeout: TimeInterval

    /// Configures backups of one database.
    ///
    /// - Parameters:
    ///   - databasePath: The SQLite database file.
    ///   - directory: Where backups go. `nil` means a `backups` directory beside the database; a
    ///     relative path is resolved against the database's directory, not the working directory.
    ///   - keep: How many backups of this database to keep (values below 1 count as 1).
    ///   - compress: Whether to gzip new backups (needs the `gzip` program).
    ///   - busyTimeout: Seconds to wait for another connection's lock.
    public init(databasePath: String, directory: String? = nil, keep: Int = 10, compress: Bool = false,
                busyTimeout: TimeInterval = 60) {
        self.databasePath = databasePath
        self.directory = SQLiteBackups.resolveDirectory(directory, databasePath: databasePath)
        self.keep = max(1, keep)
        self.compress = compress
        self.busyTimeout = busyTimeout
    }

    /// The backups directory for a database: `directory` when absolute, else `directory` (default
    /// `backups`) inside the database's directory.
    public static func resolveDirectory(_ directory: String?, databasePath: String) -> String {
        let dir = (directory?.isEmpty ?? true) ? "backups" : directory!
        if dir.hasPrefix("/") { return dir }
        let parent = (databasePath as NSString).deletingLastPathComponent
        return parent.isEmpty ? dir : (parent as NSString).appendingPathComponent(dir)
    }

    /// The database's file name without its extension, the prefix of every backup name:
    /// `app` for `data/app.db`.
    public var databaseStem: String {
        let name = (databasePath as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        return stem.isEmpty ? name : stem
    }

    /// The file name a backup taken at `date` of a database at `version` gets.
    public func fileName(versionLabel: String?, date: Date, compressed: Bool) -> String {
        fileName(label: Self.sanitize(versionLabel), milliseconds: Self.milliseconds(date), compressed: compressed)
    }

    // MARK: - Create

    /// Takes an online backup into ``directory`` and prunes old ones to ``keep``.
    ///
    /// The copy is consistent even while other processes write (WAL content included), has mode
    /// `0600`, passed `PRAGMA integrity_check` before it was compressed, and appears under its
    /// final name only when complete. Pruning failures are ignored (the backup itself succeeded);
    /// call ``prune()`` to see them.
    ///
    /// - Parameters:
    ///   - version: The database's current version (`nil`: `0`, nothing applied). Characters other
    ///     than letters, digits, `.`, `_` and `-` become `-`.
    ///   - reason: Why (`pre-migration`, `pre-restore`, `manual`); returned in ``BackupFile/reason``.
    /// - Throws: ``StrataError`` `.database` when the database is missing, cannot be read, or the
    ///   copy fails its integrity check (the copy is deleted); `.configuration` when the backups
    ///   directory cannot be created or written, or compression is on and `gzip` is missing.
    public func create(label version: String?, reason: String) async throws(StrataError) -> BackupFile {
        try createInDirectory(label: version, reason: reason, protecting: [])
    }

    /// Takes an online backup to exactly `destination` (the `--output` of `strata backup`): no
    /// naming pattern, no pruning. An existing regular file there is replaced atomically; a
    /// directory or a symbolic link is refused.
    ///
    /// - Parameters:
    ///   - destination: The file to write; its directory is created when missing.
    ///   - version: The database's current version, returned in ``BackupFile/versionLabel``.
    ///   - compress: Whether to gzip (default: ``compress``).
    ///   - reason: Why; returned in ``BackupFile/reason``.
    /// - Throws: ``StrataError`` as ``create(label:reason:)`` does.
    public func create(at destination: String, label version: String?, compress: Bool? = nil,
                       reason: String) async throws(StrataError) -> BackupFile {
        let compressed = compress ?? self.compress
        var info = stat()
        if lstat(destination, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw StrataError(.configuration, "refusing to write the backup through the symbolic link \(destination)",
                                  hint: "give the path of a regular file, or remove the link")
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw StrataError(.configuration, "\(destination) is a directory",
                                  hint: "give a file name, for example \((destination as NSString).appendingPathComponent("\(databaseStem).db"))")
            }
        }
        let parent = Self.parentDirectory(of: destination)
        try Self.makeDirectory(parent, mode: 0o755)
        let startedAt = Self.nowMilliseconds()
        let temp = try makeCheckedCopy(in: parent, name: (destination as NSString).lastPathComponent, compressed: compressed)
        defer { Self.removeWithSidecars(temp) }
        guard rename(temp, destination) == 0 else {
            throw StrataError(.configuration, "cannot write the backup to \(destination): \(Self.errnoText())",
                              hint: "check that the directory is writable")
        }
        Self.syncDirectory(parent)
        return BackupFile(path: destination, size: Self.fileSize(destination), versionLabel: Self.sanitize(version),
                          createdAt: Self.date(milliseconds: startedAt), compressed: compressed, reason: reason)
    }

    func createInDirectory(label version: String?, reason: String, protecting: Set<String>) throws(StrataError) -> BackupFile {
        try Self.makeDirectory(directory, mode: 0o700)
        let label = Self.sanitize(version)
        let startedAt = Self.nextBackupMilliseconds()
        let temp = try makeCheckedCopy(in: directory, name: fileName(label: label, milliseconds: startedAt, compressed: compress),
                                       compressed: compress)
        defer { Self.removeWithSidecars(temp) }
        // link(2) fails when the name exists (even as a dangling symbolic link): never replaces,
        // never follows. Two backups in one millisecond take the next free millisecond (in this
        // process ``nextBackupMilliseconds()`` already gives each backup its own, whatever its
        // label, so that newest-first stays the order they were taken in).
        var stamp = startedAt
        var path = ""
        for _ in 0..<1000 {
            path = (directory as NSString).appendingPathComponent(fileName(label: label, milliseconds: stamp, compressed: compress))
            if link(temp, path) == 0 { break }
            let code = errno
            if code == EEXIST {
                stamp += 1
                path = ""
                continue
            }
            // A file system without hard links: check, then rename (the caller holds the lock).
            var info = stat()
            if lstat(path, &info) == 0 {
                stamp += 1
                path = ""
                continue
            }
            guard rename(temp, path) == 0 else {
                throw StrataError(.configuration, "cannot name the backup \(path): \(Self.errnoText())",
                                  hint: "check that \(directory) is writable")
            }
            break
        }
        guard !path.isEmpty else {
            throw StrataError(.configuration, "cannot find a free backup name in \(directory)")
        }
        Self.syncDirectory(directory)
        Self.lastBackupMilliseconds.withLock { $0 = max($0, stamp) }
        let file = BackupFile(path: path, size: Self.fileSize(path), versionLabel: label,
                              createdAt: Self.date(milliseconds: stamp), compressed: compress, reason: reason)
        _ = try? prune(protecting: protecting.union([path]))
        return file
    }

    /// Online backup to a new hidden file in `parent` (``lockedCopy(from:to:busyTimeout:)``, or when
    /// it declines ``onlineBackup(from:to:busyTimeout:)``), integrity-checked and optionally gzipped;
    /// returns the temporary file's path (the caller renames or removes it).
    private func makeCheckedCopy(in parent: String, name: String, compressed: Bool) throws(StrataError) -> String {
        var info = stat()
        guard stat(databasePath, &info) == 0 else {
            throw StrataError(.database, "database \(databasePath) does not exist, so there is nothing to back up",
                              hint: "check the path given with --database")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StrataError(.database, "database \(databasePath) is not a regular file")
        }
        let copy = Self.tempPath(in: parent, for: name)
        var keepCopy = false
        defer { if !keepCopy { Self.removeWithSidecars(copy) } }
        let fd = try Self.createExclusive(copy, mode: 0o600, forceMode: true)
        close(fd)
        let check: [String]
        var synced = false
        if let lines = try Self.lockedCopy(from: databasePath, to: copy, busyTimeout: busyTimeout, sync: !compressed) {
            check = lines
            synced = !compressed
        } else {
            try Self.onlineBackup(from: databasePath, to: copy, busyTimeout: busyTimeout)
            check = try Self.integrityCheck(copy, displayPath: "the backup of \(databasePath)", busyTimeout: busyTimeout)
        }
        guard check == ["ok"] else {
            throw StrataError(.database, "the backup of \(databasePath) failed its integrity check, so it was deleted",
                              hint: "the database itself is probably damaged: run `strata verify --full`, and restore "
                                  + "an earlier backup with `strata restore <file>` (`strata backups` lists them)",
                              details: Array(check.prefix(10)), databaseCode: "SQLITE_CORRUPT")
        }
        Self.removeSidecars(copy)
        guard compressed else {
            if !synced { Self.syncFile(copy) }
            keepCopy = true
            return copy
        }
        let gz = Self.tempPath(in: parent, for: name)
        let gzFD = try Self.createExclusive(gz, mode: 0o600, forceMode: true)
        do throws(StrataError) {
            try Self.runGzip(["-c", "-n", copy], output: gzFD, what: "compress the backup")
            fsync(gzFD)
            close(gzFD)
        } catch {
            close(gzFD)
            unlink(gz)
            throw error
        }
        return gz
    }

    // MARK: - List and prune

    /// This database's backups in ``directory`` (files named by this database's pattern, not
    /// symbolic links), newest first; empty when the directory does not exist.
    /// - Throws: ``StrataError`` `.configuration` when the directory cannot be read.
    public func list() throws(StrataError) -> [BackupFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else {
            throw StrataError(.configuration, "the backups directory \(directory) is not a directory",
                              hint: "set `backups.dir` in strata.yml to a directory")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw StrataError(.configuration, "cannot read the backups directory \(directory): \(error.localizedDescription)")
        }
        var found: [(BackupFile, Int64)] = []
        for name in names {
            guard let parsed = Self.parse(name: name, stem: databaseStem) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            found.append((BackupFile(path: path, size: Int(info.st_size), versionLabel: parsed.version,
                                     createdAt: Self.date(milliseconds: parsed.milliseconds), compressed: parsed.compressed),
                          parsed.milliseconds))
        }
        found.sort { a, b in a.1 != b.1 ? a.1 > b.1 : a.0.path > b.0.path }
        return found.map(\.0)
    }

    /// Deletes all but the newest ``keep`` backups of this database (and temporary files of
    /// interrupted backups older than an hour).
    /// - Returns: The deleted files.
    /// - Throws: ``StrataError`` `.configuration` for the first file that cannot be deleted.
    @discardableResult
    public func prune() throws(StrataError) -> [String] {
        try prune(protecting: [])
    }

    func prune(protecting: Set<String>) throws(StrataError) -> [String] {
        var removed: [String] = []
        var firstError: StrataError?
        // Compared by device and inode, so any spelling of a protected path counts.
        let protectedFiles = Set(protecting.compactMap(Self.fileIdentity))
        for file in try list().dropFirst(keep) {
            if let identity = Self.fileIdentity(file.path), protectedFiles.contains(identity) { continue }
            if unlink(file.path) == 0 {
                removed.append(file.path)
            } else if firstError == nil {
                firstError = StrataError(.configuration, "cannot delete the old backup \(file.path): \(Self.errnoText())",
                                         hint: "check the permissions of \(directory)")
            }
        }
        removed += BackupTemporaryFiles.removeStale(in: directory, backupPrefix: "\(databaseStem)_pre_v")
        if let firstError { throw firstError }
        return removed
    }

    // MARK: - Restore

    /// Replaces the database with a backup.
    ///
    /// In order: the file must exist and be an SQLite database (a gzip file, recognised by its
    /// content, is decompressed first) whose `PRAGMA integrity_check` says `ok` — it is copied to
    /// a hidden file in the database's directory and checked there; then the current database,
    /// if any, is backed up with ``create(label:reason:)`` (reason `pre-restore`; when the current
    /// database fails its own integrity check, its files are copied as they are to
    /// `<directory>/<name>_damaged_<timestamp>.db` instead, with ``BackupFile/damaged`` set); then
    /// the database's stale `-wal`, `-shm` and `-journal` files are removed and the checked copy
    /// is renamed over the database (atomic; the file and the directory are synced). The
    /// restored file keeps the old database's permissions and, when allowed, its owner.
    ///
    /// Any failure before the rename leaves the database untouched. The caller must hold Strata's
    /// runner lock, and applications using the database should be stopped: a process that keeps
    /// the old file open goes on seeing the old database.
    ///
    /// - Parameters:
    ///   - file: The backup file (`.db`, `.db.gz`, or any SQLite database file).
    ///   - currentVersionLabel: The current database's version, for the safety backup's name.
    /// - Returns: The restored file and the safety backup (`nil` when there was no database).
    /// - Throws: ``StrataError`` `.configuration` when the file is missing or unreadable, or
    ///   `gzip` is missing for a compressed file; `.database` when the file is not a valid,
    ///   undamaged SQLite database or the database cannot be replaced.
    public func restore(from file: String, currentVersionLabel: String?) async throws(StrataError)
        -> (restored: BackupFile, safetyBackup: BackupFile?) {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw StrataError(.configuration, "backup file \(file) does not exist",
                              hint: "`strata backups` lists the backups of this database")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StrataError(.configuration, "\(file) is not a regular file", hint: "give the path of a backup file")
        }
        let restored = Self.describe(file, info: info)
        let databaseDirectory = Self.parentDirectory(of: databasePath)
        try Self.makeDirectory(databaseDirectory, mode: 0o755)

        // The current database's permissions and owner carry over to the restored file.
        var current = stat()
        let databaseExists = lstat(databasePath, &current) == 0
        let candidate = Self.tempPath(in: databaseDirectory, for: (databasePath as NSString).lastPathComponent)
        defer { Self.removeWithSidecars(candidate) }
        let fd = try Self.createExclusive(candidate, mode: databaseExists ? current.st_mode & 0o777 : 0o644,
                                          forceMode: databaseExists)
        do throws(StrataError) {
            if databaseExists { _ = fchown(fd, current.st_uid, current.st_gid) }
            if restored.compressed {
                try Self.runGzip(["-d", "-c", file], output: fd, what: "decompress \(file)")
            } else {
                try Self.copyContents(of: file, to: fd, destinationPath: candidate)
            }
            fsync(fd)
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        try Self.checkRestorable(candidate, displayPath: file, busyTimeout: busyTimeout)
        Self.removeSidecars(candidate)
        Self.syncFile(candidate)

        var safety: BackupFile?
        if databaseExists {
            do throws(StrataError) {
                safety = try createInDirectory(label: currentVersionLabel, reason: "pre-restore", protecting: [file])
            } catch let error where Self.isDamage(error) {
                safety = try copyDamaged(label: currentVersionLabel)
            }
        }

        for suffix in ["-wal", "-shm", "-journal"] {
            let sidecar = databasePath + suffix
            if unlink(sidecar) != 0 && errno != ENOENT {
                throw StrataError(.database, "cannot remove \(sidecar) before the restore: \(Self.errnoText())",
                                  hint: "stop the applications using the database, check the directory's permissions, and run the restore again"
                                      + (safety.map { "; the current database is saved in \($0.path)" } ?? ""))
            }
        }
        guard rename(candidate, databasePath) == 0 else {
            throw StrataError(.database, "cannot replace \(databasePath): \(Self.errnoText())",
                              hint: "check that \(databaseDirectory) is writable"
                                  + (safety.map { "; the current database is saved in \($0.path)" } ?? ""))
        }
        Self.syncDirectory(databaseDirectory)
        return (restored, safety)
    }

    /// Whether an error from a backup means the current database is damaged.
    static func isDamage(_ error: StrataError) -> Bool {
        guard let code = error.databaseCode else { return false }
        return code.hasPrefix("SQLITE_CORRUPT") || code == "SQLITE_NOTADB"
    }

    /// Copies a damaged database's files (and its WAL, so SQLite still finds it) as they are.
    private func copyDamaged(label: String?) throws(StrataError) -> BackupFile {
        try Self.makeDirectory(directory, mode: 0o700)
        var stamp = Self.nowMilliseconds()
        var path = ""
        var fd: Int32 = -1
        for _ in 0..<1000 {
            path = (directory as NSString).appendingPathComponent("\(databaseStem)_damaged_\(Self.stamp(stamp)).db")
            fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
            stamp += 1
        }
        guard fd >= 0 else {
            throw StrataError(.configuration, "cannot create \(path): \(Self.errnoText())",
                              hint: "check that \(directory) is writable")
        }
        fchmod(fd, 0o600)
        do throws(StrataError) {
            try Self.copyContents(of: databasePath, to: fd, destinationPath: path)
            fsync(fd)
            close(fd)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        var info = stat()
        if stat(databasePath + "-wal", &info) == 0 {
            let walFD = open(path + "-wal", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if walFD >= 0 {
                fchmod(walFD, 0o600)
                try? Self.copyContents(of: databasePath + "-wal", to: walFD, destinationPath: path + "-wal")
                fsync(walFD)
                close(walFD)
            }
        }
        Self.syncDirectory(directory)
        return BackupFile(path: path, size: Self.fileSize(path), versionLabel: Self.sanitize(label),
                          createdAt: Self.date(milliseconds: stamp), compressed: false, reason: "pre-restore", damaged: true)
    }

    /// Refuses a file that is not an undamaged SQLite database.
    private static func checkRestorable(_ path: String, displayPath: String, busyTimeout: TimeInterval) throws(StrataError) {
        let hint = "choose another backup (`strata backups` lists them); the database was not changed"
        let header = readPrefix(path, count: 100)
        guard !header.isEmpty else {
            throw StrataError(.database, "\(displayPath) is empty, not an SQLite database", hint: hint)
        }
        guard header.count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw StrataError(.database, "\(displayPath) is not an SQLite database", hint: hint, databaseCode: "SQLITE_NOTADB")
        }
        let lines: [String]
        do throws(StrataError) {
            lines = try integrityCheck(path, displayPath: displayPath, busyTimeout: busyTimeout)
        } catch {
            throw StrataError(.database, "\(displayPath) cannot be read as an SQLite database: \(error.message)",
                              hint: hint, databaseCode: error.databaseCode)
        }
        guard lines == ["ok"] else {
            throw StrataError(.database, "\(displayPath) failed its integrity check", hint: hint,
                              details: Array(lines.prefix(10)), databaseCode: "SQLITE_CORRUPT")
        }
    }

    // MARK: - Names

    func fileName(label: String, milliseconds: Int64, compressed: Bool) -> String {
        "\(databaseStem)_pre_v\(label)_\(Self.stamp(milliseconds)).db" + (compressed ? ".gz" : "")
    }

    /// `0` for `nil` or empty; anything but letters, digits, `.`, `_` and `-` becomes `-`.
    static func sanitize(_ version: String?) -> String {
        guard let version, !version.isEmpty else { return "0" }
        return String(version.map { c in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
        })
    }

    /// Splits a backup name; with a `stem`, only that database's names match.
    static func parse(name: String, stem: String?) -> (version: String, milliseconds: Int64, compressed: Bool)? {
        var rest = Substring(name)
        let compressed: Bool
        if rest.hasSuffix(".db.gz") {
            compressed = true
            rest = rest.dropLast(6)
        } else if rest.hasSuffix(".db") {
            compressed = false
            rest = rest.dropLast(3)
        } else {
            return nil
        }
        guard let underscore = rest.lastIndex(of: "_"),
              let ms = parseStamp(rest[rest.index(after: underscore)...]) else { return nil }
        let head = rest[..<underscore]
        let version: Substring
        if let stem {
            let prefix = stem + "_pre_v"
            guard head.hasPrefix(prefix) else { return nil }
            version = head.dropFirst(prefix.count)
        } else {
            guard let marker = head.range(of: "_pre_v", options: .backwards) else { return nil }
            version = head[marker.upperBound...]
        }
        guard !version.isEmpty, sanitize(String(version)) == version else { return nil }
        return (String(version), ms, compressed)
    }

    /// A file's description: version and time from a Strata name, else its modification time;
    /// compressed when it starts with the gzip magic bytes.
    static func describe(_ path: String, info: stat) -> BackupFile {
        let name = (path as NSString).lastPathComponent
        let parsed = parse(name: name, stem: nil)
        let magic = readPrefix(path, count: 2)
        return BackupFile(path: path, size: Int(info.st_size), versionLabel: parsed?.version,
                          createdAt: parsed.map { date(milliseconds: $0.milliseconds) } ?? modificationDate(path) ?? Date(),
                          compressed: magic == [0x1F, 0x8B])
    }

    // MARK: - Time

    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    }

    /// The newest timestamp a backup of this process was named with.
    private static let lastBackupMilliseconds = Mutex<Int64>(0)

    /// Now, or one millisecond after the last backup this process named when that is later: two
    /// backups taken within one millisecond (under different version labels, so their names
    /// differ anyway) still list in the order they were taken.
    static func nextBackupMilliseconds() -> Int64 {
        let now = nowMilliseconds()
        return lastBackupMilliseconds.withLock { last in
            last = max(now, last + 1)
            return last
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// `YYYYMMDDTHHMMSSmmmZ` in UTC.
    static func stamp(_ milliseconds: Int64) -> String {
        var t = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return pad(Int(parts.tm_year) + 1900, 4) + pad(Int(parts.tm_mon) + 1, 2) + pad(Int(parts.tm_mday), 2) + "T"
            + pad(Int(parts.tm_hour), 2) + pad(Int(parts.tm_min), 2) + pad(Int(parts.tm_sec), 2)
            + pad(Int(milliseconds % 1000), 3) + "Z"
    }

    static func parseStamp(_ text: Substring) -> Int64? {
        let chars = Array(text.utf8)
        guard chars.count == 19, chars[8] == UInt8(ascii: "T"), chars[18] == UInt8(ascii: "Z") else { return nil }
        var digits: [Int] = []
        for (i, c) in chars.enumerated() where i != 8 && i != 18 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            digits.append(Int(c - UInt8(ascii: "0")))
        }
        func number(_ from: Int, _ count: Int) -> Int { digits[from..<from + count].reduce(0) { $0 * 10 + $1 } }
        var parts = tm()
        parts.tm_year = Int32(number(0, 4) - 1900)
        parts.tm_mon = Int32(number(4, 2) - 1)
        parts.tm_mday = Int32(number(6, 2))
        parts.tm_hour = Int32(number(8, 2))
        parts.tm_min = Int32(number(10, 2))
        parts.tm_sec = Int32(number(12, 2))
        guard (0...11).contains(parts.tm_mon), (1...31).contains(parts.tm_mday), parts.tm_hour < 24,
              parts.tm_min < 60, parts.tm_sec < 61 else { return nil }
        return Int64(timegm(&parts)) * 1000 + Int64(number(14, 3))
    }

    // MARK: - SQLite

    /// SQLite's online backup API from a separate read-write connection (so a hot journal is
    /// rolled back first) into the existing empty file `destination`, in one step: one read
    /// transaction, a consistent snapshot that includes the WAL.
    static func onlineBackup(from source: String, to destination: String, busyTimeout: TimeInterval) throws(StrataError) {
        let src = try openForBackup(source, busyTimeout: busyTimeout)
        var destinationHandle: OpaquePointer?
        defer {
            sqlite3_close_v2(src)
            sqlite3_close_v2(destinationHandle)
        }
        guard sqlite3_open_v2(destination, &destinationHandle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK,
              let dst = destinationHandle else {
            throw openError(destinationHandle, path: destination, context: "cannot open the backup file \(destination)")
        }
        // Speed only, nothing persistent: a large source is read through a memory map instead of
        // a read(2) per page; the copy is a fresh temporary file that is deleted unless the whole
        // backup succeeds and is fsynced by the caller, so it needs no rollback journal and no
        // syncs of its own.
        mapIfLarge(src, path: source)
        // Every page is read once and written once: a small cache on both sides (see
        // RawQuery.scanCacheKiB) instead of SQLite's 2 MB each.
        _ = sqlite3_exec(src, RawQuery.scanCacheSize, nil, nil, nil)
        _ = sqlite3_exec(dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \(RawQuery.scanCacheSize)", nil, nil, nil)
        guard let backup = sqlite3_backup_init(dst, "main", src, "main") else {
            throw openError(dst, path: destination, context: "cannot start the backup of \(source)")
        }
        let deadline = Date().addingTimeInterval(busyTimeout)
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(backup, -1)
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && Date() < deadline { sqlite3_sleep(50) }
        } while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_OK) && Date() < deadline
        let finish = sqlite3_backup_finish(backup)
        if rc != SQLITE_DONE {
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_OK {
                throw StrataError(.database, "cannot back up \(source): the database stayed locked",
                                  hint: SQLiteErrors.busyHint(busyTimeout), databaseCode: SQLiteErrors.codeName(SQLITE_BUSY))
            }
            let fromSource = sqlite3_extended_errcode(src) & 0xFF == rc & 0xFF
            throw codeError(rc, connection: fromSource ? src : dst, path: fromSource ? source : destination,
                            context: "cannot back up \(source)")
        }
        guard finish == SQLITE_OK else {
            throw codeError(finish, connection: dst, path: destination, context: "cannot finish the backup of \(source)")
        }
    }

    /// Reads the database through a memory map of up to 2 GiB (SQLite's default upper limit), for
    /// one connection only; a no-op where memory maps are not available.
    static let mapWholeFile = "PRAGMA mmap_size = 2147418112"

    /// The size from which a file is read through a memory map: below it, reading page by page
    /// costs a little more time (tens of milliseconds at 100 MB), and the mapped pages would count
    /// in the process's resident memory (a 90 MB database read twice, by the backup and by its
    /// check, is 180 MB of it). Above it, the map halves the time of the backup and its check.
    static let mapThreshold: Int64 = 256 << 20

    /// ``mapWholeFile`` on `connection` when the file at `path` is at least ``mapThreshold`` long.
    static func mapIfLarge(_ connection: OpaquePointer, path: String) {
        var info = stat()
        guard stat(path, &info) == 0, Int64(info.st_size) >= mapThreshold else { return }
        _ = sqlite3_exec(connection, mapWholeFile, nil, nil, nil)
    }

    /// The lines of `PRAGMA integrity_check` on a file (opened read-write, never created).
    static func integrityCheck(_ path: String, displayPath: String, busyTimeout: TimeInterval) throws(StrataError) -> [String] {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let connection = db else {
            throw openError(db, path: displayPath, context: "cannot open \(displayPath)")
        }
        sqlite3_busy_timeout(connection, Int32(min(busyTimeout * 1000, Double(Int32.max))))
        prepareForScan(connection, path: path)
        return try integrityCheck(connection, displayPath: displayPath)
    }

    /// Sets a connection up to read the whole database once: pages from a memory map when the file
    /// is large (half the time), and a small page cache (see ``RawQuery/scanCacheKiB``).
    static func prepareForScan(_ connection: OpaquePointer, path: String) {
        mapIfLarge(connection, path: path)
        _ = sqlite3_exec(connection, RawQuery.scanCacheSize, nil, nil, nil)
    }

    /// The lines of `PRAGMA integrity_check` on an open connection; a damaged file's error hints at
    /// restoring `displayPath`.
    static func integrityCheck(_ connection: OpaquePointer, displayPath: String) throws(StrataError) -> [String] {
        do throws(StrataError) {
            return try RawQuery.strings(connection, "PRAGMA integrity_check")
        } catch {
            var mapped = error
            if mapped.databaseCode.map({ $0.hasPrefix("SQLITE_CORRUPT") || $0 == "SQLITE_NOTADB" }) == true {
                mapped.hint = SQLiteErrors.restoreHint(path: displayPath)
            }
            throw mapped
        }
    }

    static func openError(_ db: OpaquePointer?, path: String, context: String) -> StrataError {
        let rc = db.map { sqlite3_extended_errcode($0) } ?? SQLITE_CANTOPEN
        return codeError(rc, connection: db, path: path, context: context)
    }

    static func codeError(_ rc: Int32, connection: OpaquePointer?, path: String, context: String) -> StrataError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(rc))
        let hint: String? = switch rc & 0xFF {
        case 5, 6: SQLiteErrors.busyHint(nil)
        case 8: SQLiteErrors.readonlyHint
        case 11, 26: SQLiteErrors.restoreHint(path: path)
        case 13: "the disk is full: free space, or set `backups.dir` in strata.yml to another disk"
        case 14: "check that the path is right and its directory exists and is writable"
        default: nil
        }
        return StrataError(.database, "\(context): \(message)", hint: hint, databaseCode: SQLiteErrors.codeName(rc))
    }

    // MARK: - gzip

    /// The `gzip` program: `/usr/bin/gzip`, `/bin/gzip`, or the first on `PATH`.
    static func gzipPath() -> String? {
        var candidates = ["/usr/bin/gzip", "/bin/gzip"]
        if let path = ProcessInfo.processInfo.environment["PATH"] {
            candidates += path.split(separator: ":").map { "\($0)/gzip" }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `gzip arguments…` with its standard output going to `output`.
    static func runGzip(_ arguments: [String], output: Int32, what: String) throws(StrataError) {
        guard let gzip = gzipPath() else {
            throw StrataError(.configuration, "cannot \(what): the gzip program was not found",
                              hint: "install gzip (for example `apt-get install gzip`), or set `backups.compress: false` in strata.yml")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gzip)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(fileDescriptor: output, closeOnDealloc: false)
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw StrataError(.configuration, "cannot \(what): cannot run \(gzip): \(error.localizedDescription)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
            throw StrataError(.database, "cannot \(what)" + (text.isEmpty ? "" : ": \(text)"),
                              hint: "check that the file is a complete gzip file and the disk has room")
        }
    }

    // MARK: - Files

    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func parentDirectory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// A hidden temporary name beside `name` in `directory`.
    static func tempPath(in directory: String, for name: String) -> String {
        BackupTemporaryFiles.path(in: directory, for: name)
    }

    static func makeDirectory(_ path: String, mode: Int) throws(StrataError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StrataError(.configuration, "\(path) exists and is not a directory",
                                  hint: "set `backups.dir` in strata.yml to a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw StrataError(.configuration, "cannot create the directory \(path): \(error.localizedDescription)",
                              hint: "check the permissions of its parent, or set `backups.dir` in strata.yml")
        }
    }

    /// Creates a new file (never an existing one, never through a symbolic link); with
    /// `forceMode` its mode is exactly `mode` whatever the umask.
    static func createExclusive(_ path: String, mode: mode_t, forceMode: Bool) throws(StrataError) -> Int32 {
        let fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw StrataError(.configuration, "cannot create \(path): \(errnoText())",
                              hint: "check that \(parentDirectory(of: path)) exists and is writable")
        }
        if forceMode { fchmod(fd, mode) }
        return fd
    }

    static func copyContents(of source: String, to fd: Int32, destinationPath: String) throws(StrataError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw StrataError(.configuration, "cannot read \(source): \(errnoText())")
        }
        defer { close(input) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer.baseAddress, buffer.count)
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                throw StrataError(.configuration, "cannot read \(source): \(errnoText())")
            }
            try writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), destinationPath: destinationPath)
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short and interrupted writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, destinationPath: String) throws(StrataError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == ENOSPC || code == EDQUOT {
                    throw StrataError(.database, "cannot write \(destinationPath): the disk is full (\(errnoText()))",
                                      hint: "free space, or set `backups.dir` in strata.yml to another disk")
                }
                throw StrataError(.database, "cannot write \(destinationPath): \(errnoText())",
                                  hint: "check that the disk has room")
            }
            offset += written
        }
    }

    static func readPrefix(_ path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, count - total) }
            if n <= 0 { break }
            total += n
        }
        return Array(buffer.prefix(total))
    }

    /// `device:inode` of a file (symbolic links followed), for comparing paths.
    static func fileIdentity(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    static func syncFile(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func removeSidecars(_ path: String) {
        for suffix in ["-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }

    static func removeWithSidecars(_ path: String) {
        unlink(path)
        removeSidecars(path)
    }
}
