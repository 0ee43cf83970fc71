import Foundation
import Strata
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds (or held) a runner lock, as written in the lock file.
///
/// Strata writes one `key: value` line per field:
///
/// ```text
/// pid: 4242
/// hostname: build-7
/// since: 2026-11-21T10:40:00.123Z
/// strata_version: 0.1.0
/// ```
///
/// Reading is lenient, so that lock files written by other tools still say something useful:
/// `key=value` and `"key": value` (JSON) work too, key spellings such as `host`, `timestamp`,
/// `started_at` are understood, a bare number is taken as the PID and a bare date or Unix time
/// as the start time (the "PID and timestamp" file of seed 002). Every field is optional.
public struct LockHolder: Sendable, Hashable, CustomStringConvertible {
    /// The process ID of the runner.
    public var pid: Int32?
    /// The host the runner runs on.
    public var hostname: String?
    /// When it took the lock, ISO-8601 UTC (as written; not validated).
    public var since: String?
    /// The Strata version of the runner.
    public var strataVersion: String?

    /// Creates a holder.
    public init(pid: Int32? = nil, hostname: String? = nil, since: String? = nil, strataVersion: String? = nil) {
        self.pid = pid
        self.hostname = hostname
        self.since = since
        self.strataVersion = strataVersion
    }

    /// This process, now: its PID, host name, ``Timestamp/now()`` and ``StrataInfo/version``.
    public static func current() -> LockHolder {
        LockHolder(pid: getpid(), hostname: RunIdentity.current().hostname, since: Timestamp.now(),
                   strataVersion: StrataInfo.version)
    }

    /// Reads a lock file's text leniently; unknown lines are ignored.
    public init(parsing text: String) {
        self.init()
        var loose: [String] = []
        let pieces = text.split(whereSeparator: { "\n\r,{}".contains($0) })
        for raw in pieces {
            let piece = Self.unquote(String(raw))
            if piece.isEmpty { continue }
            if let (key, value) = Self.keyValue(piece), assign(key: key, value: value) { continue }
            loose.append(piece)
        }
        for piece in loose {
            if pid == nil, let number = Int32(piece), number > 0 {
                pid = number
            } else if since == nil, Self.looksLikeTime(piece) {
                since = Self.normalizedTime(piece)
            }
        }
    }

    /// The text Strata writes to the lock file: one `key: value` line per known field.
    public var fileContents: String {
        var lines: [String] = []
        if let pid { lines.append("pid: \(pid)") }
        if let hostname { lines.append("hostname: \(hostname)") }
        if let since { lines.append("since: \(since)") }
        if let strataVersion { lines.append("strata_version: \(strataVersion)") }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Whether no field is known.
    public var isUnknown: Bool { pid == nil && hostname == nil && since == nil && strataVersion == nil }

    /// `pid 4242 on host build-7 since 2026-11-21T10:40:00.123Z`, leaving out what is unknown;
    /// `an unknown process` when nothing is.
    public var description: String {
        var parts: [String] = []
        if let pid { parts.append("pid \(pid)") }
        if let hostname { parts.append((parts.isEmpty ? "a process on host " : "on host ") + hostname) }
        if let since { parts.append((parts.isEmpty ? "a process since " : "since ") + since) }
        return parts.isEmpty ? "an unknown process" : parts.joined(separator: " ")
    }

    // MARK: Parsing helpers

    private mutating func assign(key: String, value: String) -> Bool {
        switch key {
        case "pid", "process", "process_id", "processid":
            guard let number = Int32(value), number > 0 else { return false }
            if pid == nil { pid = number }
        case "hostname", "host", "host_name", "node", "machine":
            if hostname == nil { hostname = value }
        case "since", "started", "started_at", "start", "start_time", "time", "timestamp", "created",
             "created_at", "acquired", "acquired_at", "locked_at", "date":
            if since == nil { since = Self.normalizedTime(value) }
        case "strata_version", "strataversion", "version", "strata":
            if strataVersion == nil { strataVersion = value }
        default:
            return false
        }
        return true
    }

    /// Splits at the first `:` or `=`, else at the first space; `nil` when there is no key.
    private static func keyValue(_ piece: String) -> (String, String)? {
        let separator = piece.firstIndex(where: { $0 == ":" || $0 == "=" }) ?? piece.firstIndex(of: " ")
        guard let separator else { return nil }
        let key = unquote(String(piece[..<separator])).lowercased()
            .replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
        let value = unquote(String(piece[piece.index(after: separator)...]))
        guard !key.isEmpty, !value.isEmpty else { return nil }
        return (key, value)
    }

    private static func unquote(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            .trimmingCharacters(in: .whitespaces)
    }

    private static func looksLikeTime(_ text: String) -> Bool {
        guard let first = text.first, first.isNumber else { return false }
        if let seconds = Double(text) { return seconds > 100_000_000 }
        return text.contains("-") || text.contains(":")
    }

    /// Unix time (`1763721600.5`, as Python's `time.time()` writes it) becomes ISO-8601 UTC;
    /// anything else is kept as written.
    private static func normalizedTime(_ text: String) -> String {
        guard let seconds = Double(text), seconds > 100_000_000, seconds < 100_000_000_000 else { return text }
        let whole = seconds.rounded(.down)
        return Timestamp.format(seconds: Int(whole), milliseconds: min(999, Int((seconds - whole) * 1000)))
    }
}

/// The runner lock of a SQLite database: a lock file next to the database, so that no two
/// runners ever apply the same migration.
///
/// ```swift
/// let lock = try await SQLiteLockFile.acquire(databasePath: "app.db", timeout: 60) { holder in
///     print("waiting for the lock held by \(holder)")
/// }
/// defer { lock.release() }
/// if let notice = lock.staleLockNotice { print(notice) }
/// ```
///
/// or, releasing on every exit path:
///
/// ```swift
/// let report = try await SQLiteLockFile.withLock(databasePath: "app.db", timeout: 60) {
///     try await migrator.run(.up(target: nil, allowOutOfOrder: false))
/// }
/// ```
///
/// How it works:
/// - The lock file is ``lockPath(forDatabase:)``: `<database>.lock`, for example `app.db.lock`.
///   It is opened with `O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC` and mode `0600`; a symbolic
///   link at that path is refused, never followed.
/// - Exclusion is an exclusive `flock(2)` on that file. The kernel drops it when the holding
///   process ends, however it ends, so a lock can never outlive its process.
/// - After locking, the path must still name the locked file (another runner may have just
///   released it, which unlinks it); otherwise the attempt starts over.
/// - The holder (``LockHolder``: PID, host, start time, Strata version) is then written into
///   the file, for people and for the messages of waiting runners.
/// - ``release()`` unlinks the file (only while the path still names it), then closes it.
/// - A lock file whose `flock` is free was left by a process that died: it is stale and is taken
///   over (``tookOverStaleLockFrom``, ``staleLockNotice``).
///
/// Keep a reference to the lock while you need it: it is released when it is deinitialized.
public final class SQLiteLockFile: Sendable {
    /// The database path the lock was acquired for, as given.
    public let databasePath: String
    /// The lock file's path (see ``lockPath(forDatabase:)``).
    public let lockPath: String
    /// What this runner wrote into the lock file.
    public let holder: LockHolder
    /// The holder named in a stale lock file that was taken over; `nil` when the lock file was
    /// new (or empty).
    public let tookOverStaleLockFrom: LockHolder?

    private let state: State

    /// The open descriptor, set to `nil` by the first ``release()``.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var fd: Int32?
        let device: UInt64
        let inode: UInt64

        init(fd: Int32, device: UInt64, inode: UInt64) {
            self.fd = fd
            self.device = device
            self.inode = inode
        }

        /// The descriptor the first time, `nil` afterwards.
        func take() -> Int32? {
            lock.withLock {
                defer { fd = nil }
                return fd
            }
        }

        var isHeld: Bool { lock.withLock { fd != nil } }
    }

    private init(databasePath: String, lockPath: String, holder: LockHolder, previous: LockHolder?, state: State) {
        self.databasePath = databasePath
        self.lockPath = lockPath
        self.holder = holder
        self.tookOverStaleLockFrom = previous
        self.state = state
    }

    deinit {
        release()
    }

    /// Whether the lock is still held (``release()`` has not been called).
    public var isHeld: Bool { state.isHeld }

    /// Whether the stale lock that was taken over names a host other than this one. Its process
    /// could not be checked from here; the lock was taken over only because its `flock` was free
    /// (which, on a network filesystem, may not prove that the other host's runner is gone).
    public var tookOverFromAnotherHost: Bool {
        guard let host = tookOverStaleLockFrom?.hostname else { return false }
        return host.lowercased() != (holder.hostname ?? "").lowercased()
    }

    /// A line for the user when a stale lock was taken over, `nil` otherwise:
    /// `took over a stale lock left by pid 4242 on host build-7 since 2026-11-21T10:40:00.123Z`,
    /// with a warning appended when that host is not this one.
    public var staleLockNotice: String? {
        guard let previous = tookOverStaleLockFrom else { return nil }
        var text = "took over a stale lock left by \(previous)"
        if tookOverFromAnotherHost, let host = previous.hostname {
            text += "; it was written on another host (\(host)), whose processes cannot be checked from here, "
                + "so make sure no runner is still running there (is \(lockPath) on a network filesystem?)"
        }
        return text
    }

    /// The lock file of a database: `<database path>.lock`. When the database exists, its real
    /// path (symbolic links resolved) is used, so every spelling of the same database file
    /// shares one lock.
    public static func lockPath(forDatabase databasePath: String) -> String {
        if let resolved = realpath(databasePath, nil) {
            defer { free(resolved) }
            return String(cString: resolved) + ".lock"
        }
        return databasePath + ".lock"
    }

    /// Acquires the runner lock of a database, waiting for another runner to release it.
    ///
    /// - Parameters:
    ///   - databasePath: The database file (it need not exist yet). Do not lock `:memory:`
    ///     databases: they are private to their connection.
    ///   - timeout: Seconds to wait while another runner holds the lock; `0` tries once.
    ///   - pollInterval: Seconds between attempts while waiting.
    ///   - onWait: Called when the lock is found held, with its holder as read from the lock
    ///     file, and again whenever that holder changes; not called when the lock is free.
    /// - Returns: The held lock. Call ``release()`` when done (or use
    ///   ``withLock(databasePath:timeout:pollInterval:onWait:onTakeover:isolation:_:)``).
    /// - Throws: ``StrataError`` with code
    ///   - `.lockTimeout` when another runner still holds the lock after `timeout` seconds
    ///     (`another runner holds the lock on app.db: pid 4242 on host build-7 since …`), or when
    ///     the task is cancelled while waiting (nothing is held then);
    ///   - `.database` when the lock file cannot be created or locked: a symbolic link or a
    ///     directory at its path, a directory that is missing or not writable;
    ///   - `.configuration` for an empty path;
    ///   - the stop's code (`.interrupted`, `.terminated`) when the current task's
    ///     ``StopRequest`` asks to stop; nothing is held then.
    public static func acquire(databasePath: String, timeout: Double, pollInterval: Double = 0.05,
                               onWait: (@Sendable (LockHolder) -> Void)? = nil) async throws(StrataError) -> SQLiteLockFile {
        guard !databasePath.isEmpty else {
            throw StrataError(.configuration, "cannot lock a database without a path")
        }
        let lockPath = lockPath(forDatabase: databasePath)
        let clock = ContinuousClock()
        let seconds = timeout.isNaN ? 0 : max(0, timeout)
        // Beyond ~30 years means "wait for ever" (and keeps Duration arithmetic in range).
        let deadline = seconds < 1e9 ? clock.now + .milliseconds(Int64((seconds * 1000).rounded(.up))) : nil
        let interval = pollInterval.isFinite && pollInterval > 0.001 ? min(pollInterval, 3600) : 0.001
        var lastHolder: LockHolder?
        while true {
            if Task.isCancelled { throw cancelledError(databasePath) }
            try StopRequest.checkRequested("while waiting for the lock on \(databasePath)")
            switch try attempt(lockPath: lockPath, databasePath: databasePath) {
            case .acquired(let lock):
                return lock
            case .replaced:
                await Task.yield()
            case .busy(let holder):
                if holder != lastHolder {
                    lastHolder = holder
                    onWait?(holder)
                }
                let now = clock.now
                var pause = Duration.milliseconds(Int64((interval * 1000).rounded(.up)))
                if let deadline {
                    if now >= deadline { throw timeoutError(databasePath, lockPath: lockPath, holder: holder) }
                    pause = min(pause, deadline - now)
                }
                do {
                    try await Task.sleep(for: pause)
                } catch {
                    throw cancelledError(databasePath)
                }
            }
        }
    }

    /// Runs `body` while holding the runner lock of a database, and releases the lock however
    /// `body` ends: by returning, by throwing, or because the task was cancelled.
    ///
    /// - Parameters:
    ///   - databasePath: The database file.
    ///   - timeout: Seconds to wait while another runner holds the lock.
    ///   - pollInterval: Seconds between attempts while waiting.
    ///   - onWait: As in ``acquire(databasePath:timeout:pollInterval:onWait:)``.
    ///   - onTakeover: Called once the lock is held, before `body`, when a stale lock was taken
    ///     over; print its ``staleLockNotice``.
    ///   - body: The work to do under the lock. It runs in the caller's isolation.
    /// - Throws: What ``acquire(databasePath:timeout:pollInterval:onWait:)`` throws, or what
    ///   `body` throws.
    public static func withLock<T: Sendable>(databasePath: String, timeout: Double, pollInterval: Double = 0.05,
                                             onWait: (@Sendable (LockHolder) -> Void)? = nil,
                                             onTakeover: (@Sendable (SQLiteLockFile) -> Void)? = nil,
                                             isolation: isolated (any Actor)? = #isolation,
                                             _ body: () async throws -> T) async throws -> T {
        let lock = try await acquire(databasePath: databasePath, timeout: timeout, pollInterval: pollInterval,
                                     onWait: onWait)
        defer { lock.release() }
        if lock.tookOverStaleLockFrom != nil { onTakeover?(lock) }
        return try await body()
    }

    /// Releases the lock: removes the lock file (only while its path still names the file this
    /// runner locked), then closes it, which drops the `flock`. Calling it again does nothing.
    public func release() {
        guard let fd = state.take() else { return }
        var current = stat()
        if lstat(lockPath, &current) == 0, UInt64(current.st_dev) == state.device,
           UInt64(current.st_ino) == state.inode {
            if unlink(lockPath) != 0 {
                // Cannot remove it (a directory made read-only meanwhile): leave it empty, so the
                // next runner takes it over silently instead of reporting this run as stale.
                _ = ftruncate(fd, 0)
            }
        }
        close(fd)
    }

    // MARK: - Internals

    private enum Attempt {
        /// Locked, inode checked, holder written.
        case acquired(SQLiteLockFile)
        /// Another runner holds the lock.
        case busy(LockHolder)
        /// The file was unlinked or replaced between opening and locking: try again.
        case replaced
    }

    /// One non-blocking attempt.
    private static func attempt(lockPath: String, databasePath: String) throws(StrataError) -> Attempt {
        var before = stat()
        if lstat(lockPath, &before) == 0 {
            try checkFileType(before.st_mode, lockPath: lockPath)
        }
        var fd: Int32
        repeat {
            fd = open(lockPath, O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
        } while fd < 0 && errno == EINTR
        if fd < 0 { throw openError(errno, lockPath: lockPath) }

        var opened = stat()
        guard fstat(fd, &opened) == 0 else {
            let code = errno
            close(fd)
            throw StrataError(.database, "cannot inspect the lock file \(lockPath): \(describe(code))")
        }
        do {
            try checkFileType(opened.st_mode, lockPath: lockPath)
        } catch {
            close(fd)
            throw error
        }

        var result: Int32
        repeat {
            result = flock(fd, LOCK_EX | LOCK_NB)
        } while result != 0 && errno == EINTR
        if result != 0 {
            let code = errno
            if code == EWOULDBLOCK || code == EAGAIN {
                let holder = LockHolder(parsing: readContents(fd))
                close(fd)
                return .busy(holder)
            }
            close(fd)
            throw StrataError(.database, "cannot lock \(lockPath): \(describe(code))",
                              hint: "the filesystem of \(lockPath) may not support file locks; keep the database on a local disk")
        }

        // Locked. The path must still name this very file: a runner that released the lock in the
        // meantime unlinked it, and a lock on an unlinked file excludes nobody.
        var now = stat()
        guard lstat(lockPath, &now) == 0, now.st_dev == opened.st_dev, now.st_ino == opened.st_ino else {
            close(fd)
            return .replaced
        }

        let previousText = readContents(fd)
        let previous = previousText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            ? nil : LockHolder(parsing: previousText)
        let holder = LockHolder.current()
        let state = State(fd: fd, device: UInt64(opened.st_dev), inode: UInt64(opened.st_ino))
        let lock = SQLiteLockFile(databasePath: databasePath, lockPath: lockPath, holder: holder,
                                  previous: previous, state: state)
        _ = fchmod(fd, 0o600)  // a stale file may have been created with other permissions
        if ftruncate(fd, 0) != 0 || !writeAll(fd, holder.fileContents) {
            let code = errno
            lock.release()
            throw StrataError(.database, "cannot write the lock file \(lockPath): \(describe(code))",
                              hint: "check the free space and permissions of the directory \(directory(of: lockPath))")
        }
        return .acquired(lock)
    }

    private static func checkFileType(_ mode: mode_t, lockPath: String) throws(StrataError) {
        switch mode & S_IFMT {
        case S_IFREG:
            return
        case S_IFLNK:
            throw symlinkError(lockPath)
        case S_IFDIR:
            throw StrataError(.database, "the lock file \(lockPath) is a directory",
                              hint: "remove the directory \(lockPath); Strata keeps its lock file there")
        default:
            throw StrataError(.database, "the lock file \(lockPath) is not a regular file",
                              hint: "remove \(lockPath); Strata keeps its lock file there")
        }
    }

    private static func symlinkError(_ lockPath: String) -> StrataError {
        StrataError(.database, "the lock file \(lockPath) is a symbolic link; Strata does not follow it",
                    hint: "remove the link \(lockPath) (its target is left alone); Strata creates the lock file itself")
    }

    private static func openError(_ code: Int32, lockPath: String) -> StrataError {
        let directory = directory(of: lockPath)
        switch code {
        case ELOOP, EMLINK:
            return symlinkError(lockPath)
        case EACCES, EPERM, EROFS:
            return StrataError(.database, "cannot create the lock file \(lockPath): \(describe(code)); the directory \(directory) is not writable for this user",
                               hint: "Strata (and SQLite's journal) must write next to the database: make the directory writable "
                                   + "(for example `chmod u+w \(directory)` as its owner), or move the database to a writable directory")
        case ENOENT:
            return StrataError(.database, "cannot create the lock file \(lockPath): the directory \(directory) does not exist",
                               hint: "check the database path")
        case EISDIR:
            return StrataError(.database, "the lock file \(lockPath) is a directory",
                               hint: "remove the directory \(lockPath); Strata keeps its lock file there")
        default:
            return StrataError(.database, "cannot open the lock file \(lockPath): \(describe(code))")
        }
    }

    private static func timeoutError(_ databasePath: String, lockPath: String, holder: LockHolder) -> StrataError {
        let who = holder.isUnknown ? " (its lock file does not say which process)" : ": \(holder)"
        return StrataError(.lockTimeout, "another runner holds the lock on \(databasePath)\(who)",
                           hint: "wait for it to finish, or if that process is gone remove \(lockPath)")
    }

    private static func cancelledError(_ databasePath: String) -> StrataError {
        StrataError(.lockTimeout, "stopped waiting for the lock on \(databasePath): the task was cancelled")
    }

    /// Up to 4 KiB from the start of the file, as UTF-8 (invalid bytes replaced).
    private static func readContents(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + count, raw.count - count, off_t(count))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            count += n
        }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    private static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + written, raw.count - written, off_t(written))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            written += n
        }
        return true
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
