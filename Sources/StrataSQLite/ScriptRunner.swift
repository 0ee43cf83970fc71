import GRDBSQLite
import Strata

/// Runs SQL scripts statement by statement with SQLite's own parser (`sqlite3_prepare_v3` and its
/// tail pointer), so what runs is exactly what the `sqlite3` shell would run, and every statement's
/// byte offset is known for error locations.
///
/// Used only inside a GRDB database access closure, on the connection it was given.
struct ScriptRunner {
    /// The raw connection.
    let connection: OpaquePointer
    /// The busy timeout, for hints.
    let busyTimeout: Double

    /// How a script's own transaction statements are treated.
    enum TransactionPolicy {
        /// Strata holds a transaction: balanced `BEGIN … COMMIT` pairs of the script are skipped,
        /// any other transaction statement is an error.
        case absorb
        /// No surrounding transaction: the script's statements run as written.
        case passThrough
    }

    /// Runs every statement of a migration's script; rows returned by statements are ignored,
    /// as the `sqlite3` shell would only print them.
    func run(_ script: MigrationScript, policy: TransactionPolicy) throws(StrataError) {
        var own = ScriptTransactionStatements()  // the script's skipped BEGIN … COMMIT
        do {
            try forEachStatement(script, code: .migrationFailed) { stmt, start, end, bytes in
                let first = SQLScan.skipTrivia(bytes, from: start, to: end)
                let control = SQLScan.transactionControl(bytes, from: first, to: end)
                if let control, policy == .absorb {
                    try own.absorb(control, at: first, in: script, hint: SQLiteErrors.transactionControlHint)
                    return
                }
                while true {
                    let rc = sqlite3_step(stmt)
                    if rc == SQLITE_ROW { continue }
                    if rc == SQLITE_DONE { break }
                    throw currentError(code: .migrationFailed, script: script, at: first)
                }
                if policy == .absorb && sqlite3_get_autocommit(connection) != 0 {
                    throw StrataError(
                        .migrationFailed, "the statement ended Strata's transaction",
                        location: script.location(ofUTF8Offset: first), hint: SQLiteErrors.transactionControlHint)
                }
            }
        } catch let error as StrataError {
            throw error
        } catch {
            throw StrataError(.migrationFailed, "\(error)", location: script.location(ofUTF8Offset: 0))
        }
        try own.finish(in: script)
    }

    /// Runs a verify script: the first row any statement returns fails the verification.
    func verify(_ script: MigrationScript) throws(StrataError) {
        do {
            try forEachStatement(script, code: .verificationFailed) { stmt, start, end, bytes in
                let first = SQLScan.skipTrivia(bytes, from: start, to: end)
                if let control = SQLScan.transactionControl(bytes, from: first, to: end) {
                    throw StrataError(
                        .verificationFailed, "a verify script cannot use \(control.keyword)",
                        location: script.location(ofUTF8Offset: first),
                        hint: "a verify script holds queries only: remove the transaction statements")
                }
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_ROW {
                    var values: [String] = []
                    let count = sqlite3_column_count(stmt)
                    for i in 0..<count {
                        let name = sqlite3_column_name(stmt, i).map { String(cString: $0) } ?? "column \(i + 1)"
                        values.append("\(name)=\(Self.render(stmt, i))")
                    }
                    throw StrataError(
                        .verificationFailed,
                        "the verify query returned a row: " + values.joined(separator: ", "),
                        location: script.location(ofUTF8Offset: first),
                        hint: "a verify query must return no rows when the migration is right; "
                            + "the migration was rolled back")
                }
                if rc != SQLITE_DONE {
                    throw currentError(code: .verificationFailed, script: script, at: first)
                }
            }
        } catch let error as StrataError {
            throw error
        } catch {
            throw StrataError(.verificationFailed, "\(error)", location: script.location(ofUTF8Offset: 0))
        }
    }

    /// A row value as the `sqlite3` shell's quote mode shows it.
    static func render(_ stmt: OpaquePointer, _ i: Int32) -> String {
        switch sqlite3_column_type(stmt, i) {
        case SQLITE_NULL: return "NULL"
        case SQLITE_INTEGER: return String(sqlite3_column_int64(stmt, i))
        case SQLITE_FLOAT: return String(sqlite3_column_double(stmt, i))
        case SQLITE_BLOB: return "<blob of \(sqlite3_column_bytes(stmt, i)) bytes>"
        default:
            let text = sqlite3_column_text(stmt, i).map { String(cString: $0) } ?? ""
            return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }

    /// The connection's current error as a located ``StrataError``.
    func currentError(code: StrataError.Code, script: MigrationScript, at offset: Int) -> StrataError {
        let rc = sqlite3_extended_errcode(connection)
        let message = String(cString: sqlite3_errmsg(connection))
        var hint = SQLiteErrors.scriptHint(code: rc, message: message, busyTimeout: busyTimeout)
        if rc & 0xFF == 11 || rc & 0xFF == 26 {
            let path = sqlite3_db_filename(connection, "main").map { String(cString: $0) } ?? "the database"
            hint = SQLiteErrors.restoreHint(path: path)
        }
        return StrataError(
            SQLiteErrors.statementErrorCode(rc, otherwise: code), message,
            location: script.location(ofUTF8Offset: offset), hint: hint, databaseCode: SQLiteErrors.codeName(rc))
    }

    /// Prepares each statement of `script` in turn and hands it to `body` with its byte range
    /// (from the end of the previous statement, leading whitespace and comments included).
    func forEachStatement(
        _ script: MigrationScript, code: StrataError.Code,
        _ body: (OpaquePointer, _ start: Int, _ end: Int, UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        var bytes = Array(script.sql.utf8)
        let total = bytes.count
        bytes.append(0)
        try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var offset = 0
            while offset < total {
                var stmt: OpaquePointer? = nil
                var tail: UnsafePointer<CChar>? = nil
                let rc = sqlite3_prepare_v3(connection, base + offset, Int32(total - offset + 1), 0, &stmt, &tail)
                if rc != SQLITE_OK {
                    let errorOffset = Int(sqlite3_error_offset(connection))
                    let at = errorOffset >= 0
                        ? offset + errorOffset
                        : SQLScan.skipTrivia(buffer, from: offset, to: total)
                    throw currentError(code: code, script: script, at: at)
                }
                let next = tail.map { base.distance(to: $0) } ?? total
                guard let stmt else {
                    if next <= offset {
                        throw StrataError(code, "the script contains a NUL character",
                                          location: script.location(ofUTF8Offset: offset),
                                          hint: "remove the NUL character: SQLite stops reading a script there")
                    }
                    offset = next
                    continue
                }
                defer { sqlite3_finalize(stmt) }
                try body(stmt, offset, next, buffer)
                offset = next
            }
        }
    }
}

/// A tiny scanner for what the driver needs to know about a statement without parsing it:
/// where it really starts and whether it is a transaction statement.
enum SQLScan {
    /// A transaction statement.
    typealias TransactionControl = ScriptTransactionStatements.Control

    /// The offset of the first byte at or after `start` that is neither whitespace nor part of a
    /// comment; `end` when there is none.
    static func skipTrivia(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = start
        while i < end {
            let c = b[i]
            if c == 32 || c == 9 || c == 10 || c == 13 || c == 12 || c == 11 {
                i += 1
            } else if c == UInt8(ascii: "-"), i + 1 < end, b[i + 1] == UInt8(ascii: "-") {
                i += 2
                while i < end && b[i] != 10 { i += 1 }
            } else if c == UInt8(ascii: "/"), i + 1 < end, b[i + 1] == UInt8(ascii: "*") {
                i += 2
                while i < end && !(b[i] == UInt8(ascii: "*") && i + 1 < end && b[i + 1] == UInt8(ascii: "/")) {
                    i += 1
                }
                i = min(end, i + 2)
            } else {
                return i
            }
        }
        return end
    }

    /// Up to `limit` leading keywords of a statement, upper-cased.
    static func keywords(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, limit: Int) -> [String] {
        var words: [String] = []
        var i = start
        while words.count < limit {
            i = skipTrivia(b, from: i, to: end)
            var j = i
            while j < end, isWordByte(b[j]) { j += 1 }
            if j == i { break }
            words.append(String(decoding: UnsafeBufferPointer(rebasing: b[i..<j]), as: UTF8.self).uppercased())
            i = j
        }
        return words
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    /// Whether the statement starting at `start` begins, commits or rolls back a transaction.
    /// `ROLLBACK TO <savepoint>`, `SAVEPOINT` and `RELEASE` are not transaction statements here.
    static func transactionControl(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> TransactionControl? {
        let words = keywords(b, from: start, to: end, limit: 3)
        switch words.first {
        case "BEGIN": return .begin
        case "COMMIT", "END": return .commit
        case "ROLLBACK": return words.contains("TO") ? nil : .rollback
        default: return nil
        }
    }
}
