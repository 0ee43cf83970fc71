import Foundation
import GRDBSQLite
import Strata
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SQLiteBackups {
    /// A byte-for-byte copy of a database in rollback-journal mode, and the `PRAGMA integrity_check`
    /// of exactly the bytes copied (side by side on two threads when the file is large); `nil`,
    /// with nothing copied, when the database is in WAL mode or its file is empty (the caller then
    /// takes an online backup, which writes an empty database's first page, and checks the copy).
    ///
    /// Two connections of this process take SQLite's shared lock on the database: one whose file
    /// the copy is read through (its own `sqlite3_file`, so no descriptor of the database is opened
    /// or closed outside SQLite, which would drop the process's POSIX locks on it), and one that
    /// runs the check. In rollback-journal mode no connection can commit while a shared lock is
    /// held, so both see the same database, and it is the copy's: what the check says of the
    /// database holds for the copy. The online backup API writes one page per system call and the
    /// check can only start once it is done; this copy goes at the speed of `cp`, with the check
    /// beside it (a 1 GiB database on tmpfs: 0.7 s, was 1.4 s; `cp` 0.7 s).
    ///
    /// A writer of another process that has begun its commit keeps new shared locks out until it
    /// has the database to itself, which it waits for: so the second lock is not waited for but
    /// tried, and when refused both are released and taken again (no deadlock with such a writer).
    ///
    /// - Parameters:
    ///   - source: The database.
    ///   - destination: The copy (an empty file this process created; written from offset 0).
    ///   - busyTimeout: Seconds to wait for the shared locks.
    /// - Returns: The check's lines (`["ok"]` for a sound database), or `nil` in WAL mode or for an
    ///   empty file.
    /// - Throws: ``StrataError`` `.database` when the database cannot be opened or read (a damaged
    ///   header is `SQLITE_NOTADB`), stays locked, or the copy cannot be written.
    static func lockedCopy(from source: String, to destination: String,
                           busyTimeout: TimeInterval) throws(StrataError) -> [String]? {
        let reader = try openForBackup(source, busyTimeout: busyTimeout)
        defer { sqlite3_close_v2(reader) }
        let checker = try openForBackup(source, busyTimeout: busyTimeout)
        defer { sqlite3_close_v2(checker) }
        prepareForScan(checker, path: source)
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            try readLock(reader, source: source)
            let file = try databaseFile(reader, source: source)
            let copyable = try file.length(source) > 0 ? !isWAL(file, source: source) : false
            if !copyable {
                _ = sqlite3_exec(reader, "ROLLBACK", nil, nil, nil)
                return nil
            }
            sqlite3_busy_timeout(checker, 0)
            let rc = sqlite3_exec(checker, "BEGIN; PRAGMA schema_version", nil, nil, nil)
            if rc == SQLITE_OK { break }
            // The message is taken before the rollbacks, which reset it.
            let error = codeError(rc, connection: checker, path: source, context: "cannot back up \(source)")
            _ = sqlite3_exec(checker, "ROLLBACK", nil, nil, nil)
            _ = sqlite3_exec(reader, "ROLLBACK", nil, nil, nil)
            guard rc & 0xFF == SQLITE_BUSY && Date() < deadline else { throw error }
            sqlite3_sleep(20)
        }
        defer {
            _ = sqlite3_exec(checker, "ROLLBACK", nil, nil, nil)
            _ = sqlite3_exec(reader, "ROLLBACK", nil, nil, nil)
        }

        // A large file is copied on a thread of its own while this one checks (the check's
        // allocations stay in the main thread's malloc arena, where memory freed earlier is reused).
        let file = try databaseFile(reader, source: source)
        let length = try file.length(source)
        guard length >= parallelCopyThreshold else {
            try copyDatabaseFile(file, length: length, source: source, to: destination)
            return try integrityCheck(checker, displayPath: source)
        }
        let copy = CopyOnThread(file, length: length, source: source, destination: destination)
        let check = Result { () throws(StrataError) -> [String] in try integrityCheck(checker, displayPath: source) }
        try copy.wait().get()
        return try check.get()
    }

    /// The file size from which the copy runs beside the check instead of before it: below it the
    /// copy takes a few milliseconds, less than a thread's stack and malloc arena are worth.
    static let parallelCopyThreshold: Int64 = 32 << 20

    /// A connection to an existing database (never created), read-write so that a hot journal
    /// left by a crashed writer is rolled back before anything is read.
    static func openForBackup(_ path: String, busyTimeout: TimeInterval) throws(StrataError) -> OpaquePointer {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let connection = handle else {
            defer { sqlite3_close_v2(handle) }
            throw openError(handle, path: path, context: "cannot open \(path) to back it up")
        }
        sqlite3_busy_timeout(connection, Int32(min(busyTimeout * 1000, Double(Int32.max))))
        return connection
    }

    /// Begins a read transaction and takes the shared lock with a statement that reads the header
    /// only (the schema of a large database is not parsed on this connection).
    private static func readLock(_ connection: OpaquePointer, source: String) throws(StrataError) {
        let rc = sqlite3_exec(connection, "BEGIN; PRAGMA schema_version", nil, nil, nil)
        guard rc == SQLITE_OK else {
            let error = codeError(rc, connection: connection, path: source, context: "cannot back up \(source)")
            _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    /// The connection's open main database file (`SQLITE_FCNTL_FILE_POINTER`).
    private static func databaseFile(_ connection: OpaquePointer, source: String) throws(StrataError) -> DatabaseFile {
        var pointer: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_FILE_POINTER, &pointer) == SQLITE_OK,
              let file = pointer, let methods = file.pointee.pMethods,
              let read = methods.pointee.xRead, let size = methods.pointee.xFileSize else {
            throw StrataError(.database, "cannot back up \(source): SQLite did not give access to the open database file")
        }
        return DatabaseFile(file: file, read: read, size: size)
    }

    /// Whether the header's read and write versions (bytes 18 and 19) say WAL.
    private static func isWAL(_ file: DatabaseFile, source: String) throws(StrataError) -> Bool {
        guard try file.length(source) >= 100 else { return false }
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 8)
        defer { header.deallocate() }
        try file.read(into: header, at: 0, source)
        return header[18] == 2 || header[19] == 2
    }

    /// Copies the first `length` bytes of the file, through SQLite's own handle of it, to the start
    /// of `destination`, 256 KiB at a time (as fast as larger reads, measured at 1 GiB).
    fileprivate static func copyDatabaseFile(_ file: DatabaseFile, length: Int64, source: String,
                                             to destination: String) throws(StrataError) {
        let output = open(destination, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard output >= 0 else {
            throw StrataError(.configuration, "cannot write the backup \(destination): \(errnoText())")
        }
        defer { close(output) }
        let chunk = Int(min(length, 256 << 10))
        guard chunk > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < length {
            let count = Int(min(Int64(chunk), length - offset))
            let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            try file.read(into: part, at: offset, source)
            try writeAll(output, UnsafeRawBufferPointer(part), destinationPath: destination)
            offset += Int64(count)
        }
    }
}

/// An open database file as SQLite's VFS gives it: its reads never move a file offset, and
/// nothing is opened or closed. Sendable to the one thread that copies it while its connection
/// waits.
fileprivate struct DatabaseFile: @unchecked Sendable {
    let file: UnsafeMutablePointer<sqlite3_file>
    let read: @convention(c) (UnsafeMutablePointer<sqlite3_file>?, UnsafeMutableRawPointer?, Int32, sqlite3_int64) -> Int32
    let size: @convention(c) (UnsafeMutablePointer<sqlite3_file>?, UnsafeMutablePointer<sqlite3_int64>?) -> Int32

    func length(_ source: String) throws(StrataError) -> Int64 {
        var value: sqlite3_int64 = 0
        let rc = size(file, &value)
        guard rc == SQLITE_OK else { throw failure(rc, source) }
        return Int64(value)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, _ source: String) throws(StrataError) {
        let rc = read(file, buffer.baseAddress, Int32(buffer.count), sqlite3_int64(offset))
        guard rc == SQLITE_OK else { throw failure(rc, source) }
    }

    private func failure(_ rc: Int32, _ source: String) -> StrataError {
        StrataError(.database, "cannot back up \(source): \(String(cString: sqlite3_errstr(rc)))",
                    databaseCode: SQLiteErrors.codeName(rc))
    }
}

/// ``SQLiteBackups/copyDatabaseFile(_:length:source:to:)`` on a thread of its own, started at once.
/// The file's connection is used by nobody else until ``wait()`` returns.
private final class CopyOnThread: @unchecked Sendable {
    private let outcome = Mutex<Result<Void, StrataError>>(.success(()))
    private let done = DispatchSemaphore(value: 0)

    init(_ file: DatabaseFile, length: Int64, source: String, destination: String) {
        let thread = Thread { [self] in
            let result = Result { () throws(StrataError) in
                try SQLiteBackups.copyDatabaseFile(file, length: length, source: source, to: destination)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.name = "strata.sqlite.backup-copy"
        thread.start()
    }

    /// Waits for the copy to finish.
    func wait() -> Result<Void, StrataError> {
        done.wait()
        return outcome.withLock { $0 }
    }
}
