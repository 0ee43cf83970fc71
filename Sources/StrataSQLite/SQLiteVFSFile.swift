import GRDBSQLite
import Strata

/// An open file of one connection as SQLite's VFS holds it (the main database file, or in WAL mode
/// the write-ahead log): reads never move a file offset, and nothing is opened or closed, so the
/// process's POSIX locks on the database stay as SQLite keeps them. Sendable to the one thread
/// that copies it while its connection waits.
struct SQLiteVFSFile: @unchecked Sendable {
    let file: UnsafeMutablePointer<sqlite3_file>
    let read: @convention(c) (UnsafeMutablePointer<sqlite3_file>?, UnsafeMutableRawPointer?, Int32, sqlite3_int64) -> Int32
    let size: @convention(c) (UnsafeMutablePointer<sqlite3_file>?, UnsafeMutablePointer<sqlite3_int64>?) -> Int32

    /// The connection's main database file (`SQLITE_FCNTL_FILE_POINTER`) or, with `journal`, its
    /// rollback journal or write-ahead log (`SQLITE_FCNTL_JOURNAL_POINTER`); `nil` when that file is
    /// not open.
    static func of(_ connection: OpaquePointer, journal: Bool = false) -> SQLiteVFSFile? {
        var pointer: UnsafeMutablePointer<sqlite3_file>?
        let operation = journal ? SQLITE_FCNTL_JOURNAL_POINTER : SQLITE_FCNTL_FILE_POINTER
        guard sqlite3_file_control(connection, "main", operation, &pointer) == SQLITE_OK,
              let file = pointer, let methods = file.pointee.pMethods,
              let read = methods.pointee.xRead, let size = methods.pointee.xFileSize else { return nil }
        return SQLiteVFSFile(file: file, read: read, size: size)
    }

    /// The file's length in bytes.
    func length(_ source: String) throws(StrataError) -> Int64 {
        var value: sqlite3_int64 = 0
        let rc = size(file, &value)
        guard rc == SQLITE_OK else { throw failure(rc, source) }
        return Int64(value)
    }

    /// Fills `buffer` from `offset`. With `allowShort`, bytes past the end of the file read as
    /// zeros (SQLite's `SQLITE_IOERR_SHORT_READ`, `SQLITE_IOERR | (2 << 8)`) instead of failing.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, _ source: String,
              allowShort: Bool = false) throws(StrataError) {
        let rc = read(file, buffer.baseAddress, Int32(buffer.count), sqlite3_int64(offset))
        guard rc == SQLITE_OK || (allowShort && rc == SQLITE_IOERR | (2 << 8)) else { throw failure(rc, source) }
    }

    private func failure(_ rc: Int32, _ source: String) -> StrataError {
        StrataError(.database, "cannot back up \(source): \(String(cString: sqlite3_errstr(rc)))",
                    databaseCode: SQLiteErrors.codeName(rc))
    }
}
