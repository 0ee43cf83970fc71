import GRDBSQLite
import Strata

/// One statement with bound ``SQLValue`` arguments, on a raw connection: what a Swift migration's
/// ``SQLiteMigrationDatabase/execute(_:arguments:)`` (with arguments) and
/// ``SQLiteMigrationDatabase/rows(_:arguments:)`` run.
enum BoundStatement {
    /// Prepares `sql` (exactly one statement), binds `arguments` to its `?` placeholders in order,
    /// and steps it, calling `row` for each result row.
    /// - Throws: ``StrataError`` `.migrationFailed` located at `location` for a preparation or
    ///   execution error, several statements, a transaction statement, or a wrong argument count.
    static func run(_ connection: OpaquePointer, _ sql: String, _ arguments: [SQLValue], at location: SourceLocation,
                    _ row: (OpaquePointer) throws -> Void) throws {
        var bytes = Array(sql.utf8)
        let total = bytes.count
        bytes.append(0)
        try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var stmt: OpaquePointer? = nil
            var tail: UnsafePointer<CChar>? = nil
            guard sqlite3_prepare_v3(connection, base, Int32(total + 1), 0, &stmt, &tail) == SQLITE_OK else {
                throw error(connection, location)
            }
            guard let stmt else {
                throw StrataError(.migrationFailed, "the SQL holds no statement", location: location)
            }
            defer { sqlite3_finalize(stmt) }
            let end = tail.map { base.distance(to: $0) } ?? total
            if SQLScan.skipTrivia(buffer, from: end, to: total) < total {
                throw StrataError(.migrationFailed, "a statement with arguments must be a single statement",
                                  location: location, hint: "run the other statements in calls of their own")
            }
            if let control = SQLScan.transactionControl(buffer, from: SQLScan.skipTrivia(buffer, from: 0, to: end), to: end) {
                throw StrataError(.migrationFailed, "a migration cannot run \(control.keyword): Strata holds its transaction",
                                  location: location, hint: SQLiteErrors.transactionControlHint)
            }
            let expected = Int(sqlite3_bind_parameter_count(stmt))
            guard expected == arguments.count else {
                throw StrataError(.migrationFailed, "the statement has \(expected) placeholder\(expected == 1 ? "" : "s") and \(arguments.count) argument\(arguments.count == 1 ? " was" : "s were") given",
                                  location: location)
            }
            for (i, value) in arguments.enumerated() { bind(value, to: stmt, at: Int32(i + 1)) }
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { return }
                guard rc == SQLITE_ROW else { throw error(connection, location) }
                try row(stmt)
            }
        }
    }

    /// Column `i` of the current row.
    static func value(_ stmt: OpaquePointer, _ i: Int32) -> SQLValue {
        switch sqlite3_column_type(stmt, i) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(stmt, i))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(stmt, i))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(stmt, i))
            guard count > 0, let pointer = sqlite3_column_blob(stmt, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default:
            return .text(sqlite3_column_text(stmt, i).map { String(cString: $0) } ?? "")
        }
    }

    /// Binds one value to the `?` at `index` (1-based); text and blobs are copied.
    static func bind(_ value: SQLValue, to stmt: OpaquePointer, at index: Int32) {
        let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
        switch value {
        case .null: sqlite3_bind_null(stmt, index)
        case .integer(let v): sqlite3_bind_int64(stmt, index, v)
        case .real(let v): sqlite3_bind_double(stmt, index, v)
        case .text(let v): sqlite3_bind_text(stmt, index, v, -1, transient)
        case .blob(let bytes) where bytes.isEmpty:
            sqlite3_bind_zeroblob(stmt, index, 0)
        case .blob(let bytes):
            bytes.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(stmt, index, raw.baseAddress, Int32(raw.count), transient)
            }
        }
    }

    private static func error(_ connection: OpaquePointer, _ location: SourceLocation) -> StrataError {
        let rc = sqlite3_extended_errcode(connection)
        let message = String(cString: sqlite3_errmsg(connection))
        return StrataError(SQLiteErrors.statementErrorCode(rc, otherwise: .migrationFailed), message, location: location,
                           hint: SQLiteErrors.scriptHint(code: rc, message: message, busyTimeout: 0),
                           databaseCode: SQLiteErrors.codeName(rc))
    }
}
